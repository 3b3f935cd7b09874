#!/usr/bin/env python3
"""Time ``cigen generate`` and ``cigen check`` against ``cigen plan`` on the same synthetic monorepos.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_generate.py [--packages 1000 5000] [--runs 5] [--cache DIR]
    .venv/bin/python bench/bench_generate.py --chain 1000 10000 [--runs 1] [--baseline COMMAND] [--timeout S]

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

``--chain N...`` measures the worst shape for the plan instead: N npm members,
each depending on the one before (N stages, a job each), and the three things
a repository of that shape does: ``generate`` with no workflow on disk,
``check`` after a cigen.yaml edit that changes every job (the diff of a stale
file), and ``generate`` again after that edit (reading the file on disk to keep
a person's additions). Everything must stay linear in N: compare the figures
per member between sizes. ``--baseline COMMAND`` runs the same, in the same
turns, with another cigen (a command line: ``"env PYTHONPATH=/old/checkout
.venv/bin/python -m cigen"``); ``--timeout S`` ends a run that takes longer
and reports it as such.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import statistics
import subprocess  # a benchmark measures raw child processes; cigen.adapters.proc would add its own overhead
import sys
import tempfile
from pathlib import Path

from common import CIGEN, alternate, synth

WORKFLOW = Path(".github/workflows/cigen.yml")
EDIT = "workflow:\n  timeout_minutes: 61\n"  # every stage job changes
# What each run does, in order: (what, the command, the exit code it must give, cigen.yaml before it or None).
STEPS = [
    ("generate, no file", "generate", 0, None),
    ("check after an edit", "check", 1, EDIT),
    ("generate after an edit", "generate", 0, EDIT),
]


def chain(cache: Path, members: int) -> Path:
    """p00000 <- p00001 <- ... <- p<N-1>, written once per cache folder."""
    root = cache / f"chain-{members}"
    if (root / "package.json").is_file():
        return root
    for i in range(members):
        manifest = {"name": f"p{i:05}", "version": "1.0.0", "scripts": {"build": "true", "test": "true"}}
        if i:
            manifest["dependencies"] = {f"p{i - 1:05}": "*"}
        folder = root / "packages" / f"p{i:05}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(json.dumps(manifest))
    (root / "package.json").write_text(json.dumps({"name": "chain", "private": True, "workspaces": ["packages/*"]}))
    return root


# As common.measure_once, but a run that fails or is ended by its timeout is reported, not fatal: the
# baseline may take hours where this checkout takes seconds.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
try:
    code = subprocess.run(sys.argv[3:], cwd=sys.argv[1], stdout=subprocess.DEVNULL, timeout=float(sys.argv[2])).returncode
except subprocess.TimeoutExpired:
    code = None
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_kb": usage.ru_maxrss, "code": code}))
"""


def measure(argv: list[str], cwd: Path, timeout: float) -> dict[str, float | None]:
    """One run of ``argv`` in ``cwd``: {"wall": s, "cpu": s, "rss_kb": peak KiB, "code": exit code, None when ended}.

    CPU time is printed beside wall time: on a shared machine it is the steadier of the two.
    """
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(cwd), str(timeout), *argv], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def chain_sizes(root: Path) -> str:
    text = (root / WORKFLOW).read_bytes()
    jobs = len(re.findall(rb"^  [\w-]+:$", text.split(b"\njobs:\n", 1)[1], re.M))
    return f"{len(text):,} bytes, {jobs:,} jobs"


def bench_chain(members: int, args: argparse.Namespace) -> None:
    root = chain(args.cache, members)
    cigens = {"cigen": CIGEN}
    if args.baseline:
        cigens["baseline"] = shlex.split(args.baseline)
    results: dict[str, list[dict[str, float | None]]] = {}
    size = ""
    for _ in range(args.runs):
        for who, cigen in cigens.items():
            (root / WORKFLOW).unlink(missing_ok=True)
            (root / "cigen.yaml").unlink(missing_ok=True)
            for step, command, expect, config in STEPS:
                if config is not None:
                    (root / "cigen.yaml").write_text(config)
                done = measure([*cigen, command], root, args.timeout)
                if done["code"] not in (expect, None):
                    sys.exit(f"{who} {command} exited {done['code']} in {root}")
                results.setdefault(f"{step:24} {who}", []).append(done)
                if step == "generate, no file" and not size:
                    size = chain_sizes(root)
    print(f"chain of {members} members ({size}), median of {args.runs}:")
    for name, runs in results.items():
        ok = [r for r in runs if r["code"] is not None]
        if not ok:
            print(f"  {name}  over {args.timeout:g} s (ended)")
            continue
        wall = statistics.median(float(r["wall"] or 0) for r in ok)
        cpu = statistics.median(float(r["cpu"] or 0) for r in ok)
        rss = max(float(r["rss_kb"] or 0) for r in ok) / 1024
        print(f"  {name}  {wall:8.2f} s  {cpu:8.2f} s CPU  {rss:7.0f} MiB peak  {1e3 * cpu / members:6.2f} ms CPU "
              "per member")


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
    parser.add_argument("--chain", type=int, nargs="+", help="measure chains of these many members instead")
    parser.add_argument("--baseline", help="with --chain: another cigen's command line, measured in the same turns")
    parser.add_argument("--timeout", type=float, default=1800, help="with --chain: seconds before a run is ended")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.chain:
        for members in args.chain:
            bench_chain(members, args)
        return

    commands = {
        "plan (baseline)": [*CIGEN, "plan", "--format", "json"],
        "generate": [*CIGEN, "generate"],
        "check": [*CIGEN, "check"],
    }
    for packages in args.packages:
        root = synth(args.cache, packages, "--lockfile")
        (root / WORKFLOW).unlink(missing_ok=True)
        # The warm-up round's generate writes the file that check then reads.
        results = alternate(commands, root, args.runs)
        base = statistics.median(r["wall"] for r in results["plan (baseline)"])
        print(f"{packages} packages ({workflow_size(root)}), median of {args.runs}:")
        for name, runs in results.items():
            wall = statistics.median(r["wall"] for r in runs)
            rss = max(r["rss_kb"] for r in runs) / 1024
            print(f"  {name:16} {wall:7.3f} s  {rss:6.0f} MiB peak  {wall / base:5.2f}x the baseline")


if __name__ == "__main__":
    main()
