#!/usr/bin/env python3
"""Time ``cigen graph --format json`` against ``turbo ls`` on synthetic monorepos.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_graph.py [--sizes 1000 5000 20000] [--runs 5] [--cache DIR]

For each size N it generates (once, cached) a monorepo with
``../shared/tools/synth_monorepo.py OUT --packages N --seed 1 --turbo-json``,
checks that cigen finds the members and edges the generator recorded in
``.expected.json`` and the packages ``turbo ls`` lists, then runs each
command once to warm the file cache (and to write cigen's bytecode, as an
installed cigen has it) and ``--runs`` times measured. It prints
the median wall time and the peak resident memory of each command, and the
ratio cigen / turbo measured in the same run (below 1: cigen is faster).

Targets (issue 2): at 5,000 packages no slower than ``turbo ls``; under 2 s
at 20,000.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess  # a benchmark measures raw child processes; cigen.adapters.proc would add its own overhead
import sys
import tempfile
from pathlib import Path

from common import BASELINE_HELP, CIGEN, TURBO, alternate, cigen_commands, synth

TURBO_ENV = {"TURBO_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1", "TURBO_NO_UPDATE_NOTIFIER": "1"}
# cigen is measured running from bytecode, as an installed cigen does (pip compiles it at install; a
# checkout writes it on its first run). With PYTHONDONTWRITEBYTECODE set, a checkout would compile
# every cigen module on every run (~0.02 s), timing the compiler rather than cigen; the warm-up
# run writes the bytecode instead.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, **TURBO_ENV}

# Times the phases of `cigen graph --format json` inside one process, to show
# where the time goes: imports (after interpreter start-up; without Typer's
# option parsing), discovery, ordering (graph_view) and rendering. The rest of
# the wall time is interpreter start-up and option parsing.
_PHASES = """
import json, sys, time
start = time.perf_counter()
from pathlib import Path
from cigen.cli import app  # the command line, as `cigen` imports it
from cigen.app.workspace import load_workspace
from cigen.cli.batch import without_cycle_collector
from cigen.render import graph_formats
import cigen.config.file, cigen.discovery  # imported by load_workspace(); counted as imports, not discovery
imported = time.perf_counter()
with without_cycle_collector():  # as the command runs
    workspace = load_workspace(Path(sys.argv[1]))
    loaded = time.perf_counter()
    view = graph_formats.graph_view(workspace)
    ordered = time.perf_counter()
    graph_formats.graph_json(view)
    rendered = time.perf_counter()
print(json.dumps({"imports": imported - start, "discovery": loaded - imported,
                  "ordering": ordered - loaded, "rendering": rendered - ordered}))
"""

def phases(tree: Path, runs: int) -> dict[str, float]:
    """Median seconds of each phase of ``cigen graph --format json`` (imports timed after interpreter start)."""
    samples = [
        json.loads(subprocess.run([sys.executable, "-c", _PHASES, str(tree)], check=True, capture_output=True,
                                  text=True, env=ENV).stdout)
        for _ in range(runs)
    ]
    return {phase: statistics.median(s[phase] for s in samples) for phase in samples[0]}


def check(tree: Path) -> str:
    """Compare cigen's graph with the generator's ground truth and turbo's package list."""
    expected = json.loads((tree / ".expected.json").read_text())
    graph = json.loads(subprocess.run([*CIGEN, "graph", "--format", "json", "-C", str(tree)],
                                      check=True, capture_output=True, text=True).stdout)
    members = {s["name"]: s["path"] for s in graph["services"] if not s["root"]}
    want = {name: info["dir"] for name, info in expected["packages"].items()}
    edges = sorted([e["from"], e["to"]] for e in graph["edges"] if e["from_path"] != ".")
    turbo = json.loads(subprocess.run([str(TURBO), "ls", "--output", "json"], cwd=tree, check=True,
                                      capture_output=True, text=True, env=ENV).stdout)
    turbo_members = {p["name"]: p["path"] for p in turbo["packages"]["items"]}
    problems = []
    if members != want:
        problems.append("members differ from .expected.json")
    if edges != expected["edges"]:
        problems.append(f"edges differ from .expected.json ({len(edges)} found, {len(expected['edges'])} expected)")
    root_names = {s["name"] for s in graph["services"] if s["root"]}
    levels = [sorted(set(level) - root_names) for level in graph["levels"]]
    if [level for level in levels if level] != [sorted(level) for level in expected["levels"]]:
        problems.append("levels differ from .expected.json")
    if members != turbo_members:
        problems.append("members differ from turbo ls")
    return "; ".join(problems) or "ok"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cigen-bench-graph")
    parser.add_argument("--phases", action="store_true", help="also time cigen's phases in-process")
    parser.add_argument("--baseline", metavar="PYTHON", help=BASELINE_HELP)
    args = parser.parse_args()
    if not TURBO.exists():
        sys.exit(f"{TURBO} not found: install the pinned Node tools (npm ci --prefix tools/node)")
    args.cache.mkdir(parents=True, exist_ok=True)

    header = f"{'packages':>8}  {'cigen s':>8}  {'cigen MiB':>9}  {'turbo s':>8}  {'turbo MiB':>9}  {'ratio':>6}"
    if args.baseline:
        header += f"  {'baseline s':>10}  {'cigen / baseline':>16}"
    print(f"cigen graph --format json vs turbo ls; median of {args.runs} alternating runs after a warm-up")
    print(header + "  check")
    for size in args.sizes:
        tree = synth(args.cache, size, "--turbo-json")
        verdict = check(tree)
        commands = {**cigen_commands(["graph", "--format", "json", "-C", str(tree)], args.baseline),
                    "turbo": [str(TURBO), "ls"]}
        timed = alternate(commands, tree, args.runs, ENV)
        wall = {name: statistics.median(r["wall"] for r in runs) for name, runs in timed.items()}
        peak = {name: max(r["rss_kb"] for r in runs) for name, runs in timed.items()}
        row = (f"{size:>8}  {wall['cigen']:>8.3f}  {peak['cigen'] / 1024:>9.1f}  {wall['turbo']:>8.3f}"
               f"  {peak['turbo'] / 1024:>9.1f}  {wall['cigen'] / wall['turbo']:>6.2f}")
        if args.baseline:
            row += f"  {wall['baseline']:>10.3f}  {wall['cigen'] / wall['baseline']:>16.2f}"
        print(f"{row}  {verdict}", flush=True)
        if args.phases:
            split = phases(tree, args.runs)
            print(" " * 10 + "cigen phases: " + ", ".join(f"{k} {v:.3f} s" for k, v in split.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
