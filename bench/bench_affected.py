#!/usr/bin/env python3
"""Time ``cigen affected`` against ``turbo ls --affected`` on the same synthetic change.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_affected.py [--packages 5000] [--change 500] [--runs 5] [--cache DIR]

It generates (once, cached) ``../shared/tools/synth_monorepo.py OUT --packages N
--seed 1 --git --change K --turbo-json --lockfile``: branch ``main`` holds the
monorepo, branch ``change`` (checked out) edits ``index.js`` of K packages, so
K files changed. turbo needs turbo.json and warns without a lockfile, hence
the two flags; the lockfile does not change, so it costs cigen nothing.

Both tools answer the same question, the packages affected between the
merge-base of ``main`` and ``change``:

- ``cigen affected --base main --head change --format json``
- ``turbo ls --affected --output json`` with ``TURBO_SCM_BASE=main`` and
  ``TURBO_SCM_HEAD=change`` (turbo's ``--affected`` compares the merge-base of
  the base with the head, as cigen does).

Both answers are checked against the generator's ``.expected.json`` before
anything is timed. Each command then runs once to warm the file cache and
``--runs`` times measured, the two taking turns; the script prints the median wall time, the peak
resident memory, and the ratio cigen / turbo from the same run (below 1:
cigen is faster). Target (issue 3): no slower than turbo.
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

ENV = {
    "TURBO_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1", "TURBO_NO_UPDATE_NOTIFIER": "1",
    "TURBO_SCM_BASE": "main", "TURBO_SCM_HEAD": "change",
}

def _json(argv: list[str], tree: Path) -> dict:
    done = subprocess.run(argv, cwd=tree, check=True, capture_output=True, text=True, env={**os.environ, **ENV})
    return json.loads(done.stdout)


def check(tree: Path) -> tuple[str, int, int]:
    """Both tools' affected sets against the generator's ground truth; (verdict, changed files, affected)."""
    expected = json.loads((tree / ".expected.json").read_text())["change"]
    cigen = _json([*CIGEN, "affected", "--base", "main", "--head", "change", "--format", "json"], tree)
    turbo = _json([str(TURBO), "ls", "--affected", "--output", "json"], tree)
    turbo_names = sorted(p["name"] for p in turbo["packages"]["items"])
    problems = []
    if cigen["affected"] != expected["affected"] or cigen["all"] is not False:
        problems.append(f"cigen: {len(cigen['affected'])} affected, {len(expected['affected'])} expected")
    if turbo_names != expected["affected"]:
        problems.append(f"turbo: {len(turbo_names)} affected, {len(expected['affected'])} expected")
    return "; ".join(problems) or "both ok", len(cigen["changed_files"]), len(expected["affected"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--change", type=int, default=500, help="packages edited, one file each")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cigen-bench-affected")
    parser.add_argument("--baseline", metavar="PYTHON", help=BASELINE_HELP)
    args = parser.parse_args()
    if not TURBO.exists():
        sys.exit(f"{TURBO} not found: install the pinned Node tools (npm ci --prefix tools/node)")
    args.cache.mkdir(parents=True, exist_ok=True)

    tree = synth(args.cache, args.packages, "--git", "--change", str(args.change), "--turbo-json", "--lockfile")
    verdict, files, affected = check(tree)
    print(f"{args.packages} packages, {files} changed files, {affected} affected; {verdict}")
    print(f"median (fastest) of {args.runs} runs after a warm-up")
    affected = ["affected", "--base", "main", "--head", "change", "--format", "json"]
    rows = {f"{name} affected": argv for name, argv in cigen_commands(affected, args.baseline).items()}
    rows["turbo ls --affected"] = [str(TURBO), "ls", "--affected", "--output", "json"]
    env = {**os.environ, **ENV}
    figures = {
        label: (statistics.median(r["wall"] for r in runs), min(r["wall"] for r in runs), max(r["rss_kb"] for r in runs))
        for label, runs in alternate(rows, tree, args.runs, env).items()
    }
    print(f"{'command':<22}  {'wall s':>7}  {'fastest s':>9}  {'peak MiB':>8}")
    for label, (median, fastest, rss_kb) in figures.items():
        print(f"{label:<22}  {median:>7.3f}  {fastest:>9.3f}  {rss_kb / 1024:>8.1f}")
    ratio = figures["cigen affected"][0] / figures["turbo ls --affected"][0]
    print(f"ratio cigen / turbo (median wall time): {ratio:.2f} ({'faster' if ratio < 1 else 'slower'} than turbo)")
    if args.baseline:
        print(f"ratio cigen / baseline (median wall time): "
              f"{figures['cigen affected'][0] / figures['baseline affected'][0]:.2f}")
    return 0 if verdict == "both ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
