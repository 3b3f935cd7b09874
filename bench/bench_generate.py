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
import statistics
import tempfile
from pathlib import Path

from common import CIGEN, alternate, synth

WORKFLOW = Path(".github/workflows/cigen.yml")

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
