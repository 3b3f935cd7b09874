"""What the benchmarks share: the synthetic monorepos, and timing one command against another.

Each measurement runs the command under a fresh Python parent, so that parent's
``RUSAGE_CHILDREN`` holds that one command's peak memory (turbo's node launcher
and its native binary included) and nothing else. Commands take turns, run by
run, after one warm-up round: a change in the machine's load slows them alike
and the ratio between them stays fair.
"""

from __future__ import annotations

import json
import subprocess  # a benchmark measures raw child processes; cigen.adapters.proc would add its own overhead
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / ".." / "shared" / "tools" / "synth_monorepo.py"
TURBO = REPO / "tools" / "node" / "node_modules" / ".bin" / "turbo"
CIGEN = [sys.executable, "-m", "cigen"]
BASELINE_HELP = ("the Python of another cigen checkout's environment (e.g. a worktree of an older commit with "
                 "its own .venv), timed against this one in the same alternating runs")


def cigen_commands(args: list[str], baseline: str | None) -> dict[str, list[str]]:
    """``cigen ARGS`` from this checkout, and from the ``baseline`` checkout's Python when one is given."""
    commands = {"cigen": [*CIGEN, *args]}
    if baseline:
        commands["baseline"] = [baseline, "-m", "cigen", *args]
    return commands

_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
if done.returncode:
    sys.exit(f"{sys.argv[2:]} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
print(json.dumps({"wall": wall, "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def synth(cache: Path, packages: int, *options: str) -> Path:
    """A monorepo from ../shared/tools/synth_monorepo.py (seed 1), generated once per cache folder."""
    if not GENERATOR.is_file():
        sys.exit(f"{GENERATOR} not found: the benchmark needs ../shared next to the checkout")
    tree = cache / "-".join(["synth", str(packages), *(o.lstrip("-") for o in options)])
    if not (tree / ".expected.json").is_file():
        subprocess.run(
            [sys.executable, str(GENERATOR), str(tree), "--packages", str(packages), "--seed", "1", *options],
            check=True, stdout=subprocess.DEVNULL,
        )
    return tree


def measure_once(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> dict[str, float]:
    """One run of ``argv`` in ``cwd``: {"wall": seconds, "rss_kb": peak resident KiB}."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(cwd), *argv], capture_output=True, text=True,
                          env=None if env is None else dict(env))
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout)


def alternate(
    commands: Mapping[str, list[str]], cwd: Path, runs: int, env: Mapping[str, str] | None = None
) -> dict[str, list[dict[str, float]]]:
    """``runs`` measurements of each command, taking turns, after one warm-up round that is dropped."""
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for _ in range(runs + 1):
        for name, argv in commands.items():
            samples[name].append(measure_once(argv, cwd, env))
    return {name: measured[1:] for name, measured in samples.items()}
