#!/usr/bin/env python3
"""Time link_members on synthetic monorepos, against the floor of touching every dependency once.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_linking.py [--sizes 1000 5000 20000] [--runs 5] [--cache DIR]

For each size N and each flavour (npm: ``"*"`` ranges; pnpm: ``workspace:*``)
it generates (once, cached) ``../shared/tools/synth_monorepo.py OUT --packages
N --seed 1 --pm FLAVOUR``, discovers it, checks that the linked edges are the
generator's ground truth (.expected.json), then times ``link_members`` and, in
the same run, the baseline: one loop over every dependency that only records
(dependent, name, field), with no linking at all. It prints the median of
``--runs`` of each and their ratio (link / baseline).

Target (issue 2 brief): 20,000 members with ~60,000 dependencies link in a
fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess  # runs the generator script, not a cigen command
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
GENERATOR = REPO / ".." / "shared" / "tools" / "synth_monorepo.py"

from cigen.discovery import discover  # noqa: E402
from cigen.discovery.linking import link_members  # noqa: E402
from cigen.model import Workspace  # noqa: E402


def generate(cache: Path, size: int, flavour: str) -> Path:
    tree = cache / f"synth-{size}-{flavour}-seed1"
    if not (tree / ".expected.json").is_file():
        subprocess.run(
            [sys.executable, str(GENERATOR), str(tree), "--packages", str(size), "--seed", "1", "--pm", flavour],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    return tree


def baseline(workspace: Workspace) -> dict[tuple[str, str], set[str]]:
    """The floor: visit every dependency once and record it, as any linker must."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for member in workspace.members:
        for dep in member.dependencies:
            seen[(member.path, dep.name)].add(dep.field)
    return seen


def median_seconds(run, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cigen-bench")
    args = parser.parse_args()
    if not GENERATOR.is_file():
        sys.exit(f"{GENERATOR} not found: the benchmark needs ../shared beside the checkout")
    args.cache.mkdir(parents=True, exist_ok=True)

    print(f"{'members':>8} {'flavour':>7} {'deps':>7} {'edges':>7} {'link s':>8} {'baseline s':>10} {'ratio':>6}")
    for size in args.sizes:
        for flavour in ("npm", "pnpm"):
            tree = generate(args.cache, size, flavour)
            workspace = discover(tree)
            linked = link_members(workspace.root, workspace.members, workspace.package_manager, workspace.definition)
            names = {m.path: m.name for m in workspace.members}
            expected = json.loads((tree / ".expected.json").read_text())["edges"]
            got = sorted([names[e.source], names[e.target]] for e in linked.edges)
            if got != expected:
                sys.exit(f"{tree}: linked edges differ from the generator's ground truth")
            ws = workspace
            link_s = median_seconds(
                lambda: link_members(ws.root, ws.members, ws.package_manager, ws.definition), args.runs
            )
            base_s = median_seconds(lambda: baseline(workspace), args.runs)
            deps = sum(len(m.dependencies) for m in workspace.members)
            print(
                f"{len(workspace.members):>8} {flavour:>7} {deps:>7} {len(linked.edges):>7} "
                f"{link_s:>8.3f} {base_s:>10.3f} {link_s / base_s:>6.1f}"
            )


if __name__ == "__main__":
    main()
