#!/usr/bin/env python3
"""Time ``cigen generate`` and ``cigen check`` against ``cigen plan`` on the same synthetic monorepos.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_generate.py [--packages 1000 5000] [--runs 5] [--cache DIR]

For each size it generates (once, cached) ``../shared/tools/synth_monorepo.py OUT
--packages N --seed 1 --lockfile`` (npm workspaces, 5 dependency layers).
The baseline is ``cigen plan --format json``: discovery, the graph and the plan,
which generate needs too; what generate adds over it is the workflow itself
(toolchains, rendering, YAML, the atomic write). ``cigen check`` renders the
same workflow and diffs it with the file on disk.

Each command runs once to warm the file cache, then ``--runs`` times, taking
turns; the script prints median wall time, peak memory, the ratio to the
baseline measured in the same run, and the size of the workflow (bytes, jobs,
and the largest per-job ``CIGEN_SERVICES`` value, which must stay well under
Linux's 128 KiB limit for one environment string).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess  # a benchmark measures raw child processes; cigen.proc would add its own overhead
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / ".." / "shared" / "tools" / "synth_monorepo.py"
CIGEN = [sys.executable, "-m", "cigen"]
WORKFLOW = Path(".github/workflows/cigen.yml")

_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
if done.returncode:
    sys.exit(f"{sys.argv[2:]} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
print(json.dumps({"wall": wall, "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def measure(root: Path, argv: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(root), *argv], capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout)


def monorepo(cache: Path, packages: int) -> Path:
    root = cache / f"synth-{packages}"
    if not (root / "package.json").exists():
        if not GENERATOR.exists():
            sys.exit(f"{GENERATOR} is missing (../shared next to the checkout)")
        subprocess.run([sys.executable, str(GENERATOR), str(root), "--packages", str(packages), "--seed", "1",
                        "--lockfile"], check=True, stdout=subprocess.DEVNULL)
    return root


def workflow_size(root: Path) -> str:
    from ruamel.yaml import YAML

    text = (root / WORKFLOW).read_text()
    jobs = YAML(typ="safe", pure=True).load(text)["jobs"]
    largest = max((len(j["env"]["CIGEN_SERVICES"]) for j in jobs.values() if "env" in j), default=0)
    return f"{len(text.encode()):,} bytes, {len(jobs)} jobs, largest CIGEN_SERVICES {largest:,} bytes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cigen-bench-generate")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    commands = {
        "plan (baseline)": [*CIGEN, "plan", "--format", "json"],
        "generate": [*CIGEN, "generate"],
        "check": [*CIGEN, "check"],
    }
    for packages in args.packages:
        root = monorepo(args.cache, packages)
        (root / WORKFLOW).unlink(missing_ok=True)
        for argv in commands.values():  # warm-up; generate also writes the file check reads
            measure(root, argv)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                results[name].append(measure(root, argv))
        base = statistics.median(r["wall"] for r in results["plan (baseline)"])
        print(f"{packages} packages ({workflow_size(root)}), median of {args.runs}:")
        for name, runs in results.items():
            wall = statistics.median(r["wall"] for r in runs)
            rss = max(r["rss_kb"] for r in runs) / 1024
            print(f"  {name:16} {wall:7.3f} s  {rss:6.0f} MiB peak  {wall / base:5.2f}x the baseline")


if __name__ == "__main__":
    main()
