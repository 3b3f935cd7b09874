#!/usr/bin/env python3
"""Time regenerating a workflow that carries a person's comments against the same workflow without them.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_regenerate.py [--members 20 80] [--runs 7]

For a chain of N members (N stage jobs: 80 make a workflow of about 400 KB,
near GitHub's 500 KB limit), the generated workflow is edited twice:

- (a) a job of one's own added, and no comment;
- (b) the same job, plus a comment above every job, at the end of every
  ``runs-on:`` line and above every step (several hundred comments).

Both regenerate (``cigen.render.ownership.regenerate``: read the file, keep
the job, write it again) from the same fresh document, taking turns, in this
process; the script prints the median time of each, the ratio b/a, and the
time (b) spends placing the comments (reading both texts' layout and writing
the comments back), which is what carrying them costs.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cigen.app.generate import build_model  # noqa: E402  (after the path above)
from cigen.config.root import Config  # noqa: E402
from cigen.render import ownership  # noqa: E402
from cigen.render.ownership import regenerate  # noqa: E402
from cigen.render.workflow import render_workflow  # noqa: E402
from testing.workspace_builder import workspace  # noqa: E402

MY_JOB = "  mine:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo mine\n"


def commented(text: str) -> str:
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.endswith(":") and lines[-1] != "on:":
            lines.append(f"  # above {line.strip()}")
        elif line.startswith("      - "):
            lines.append("      # above a step")
        lines.append(line + ("  # a runner" if line.startswith("    runs-on:") else ""))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, nargs="+", default=[20, 80])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{'members':>8} {'bytes':>9} {'comments':>9} {'(a) none':>10} {'(b) comments':>13} {'b/a':>6} "
          f"{'placing':>9}")
    for members in args.members:
        spec = {f"p{i:05}": [f"p{i - 1:05}"] if i else [] for i in range(members)}
        with tempfile.TemporaryDirectory() as folder:
            model = build_model(dataclasses.replace(workspace(spec), root=Path(folder)), Config())
        generated = regenerate(render_workflow(model), None)
        plain = generated.replace("\n  cigen:\n", "\n" + MY_JOB + "  cigen:\n")
        edited = commented(plain)
        assert regenerate(render_workflow(model), edited) == edited
        times: dict[str, list[float]] = {"a": [], "b": [], "placing": []}
        for turn in range(args.runs + 1):  # the first turn warms up and is dropped
            for name, text in (("a", plain), ("b", edited)):
                fresh = render_workflow(model)
                placing = _Timed(ownership, ("layout", "carry"))
                start = time.perf_counter()
                with placing:
                    regenerate(fresh, text)
                if turn:
                    times[name].append(time.perf_counter() - start)
                    if name == "b":
                        times["placing"].append(placing.total)
        a, b, placed = (statistics.median(times[k]) for k in ("a", "b", "placing"))
        count = edited.count("# above") + edited.count("# a runner")
        print(f"{members:>8} {len(edited.encode()):>9,} {count:>9,} {a:>9.3f}s {b:>12.3f}s {b / a:>6.2f} "
              f"{placed:>8.3f}s")


class _Timed:
    """Adds up the time spent in some functions of a module while it is entered (a context manager)."""

    def __init__(self, module: object, names: tuple[str, ...]) -> None:
        self.module, self.names, self.total = module, names, 0.0
        self.saved = {name: getattr(module, name) for name in names}

    def __enter__(self) -> None:
        for name, function in self.saved.items():
            setattr(self.module, name, self._timed(function))

    def __exit__(self, *exc: object) -> None:
        for name, function in self.saved.items():
            setattr(self.module, name, function)

    def _timed(self, function: object) -> object:
        def timed(*args: object) -> object:
            start = time.perf_counter()
            try:
                return function(*args)  # type: ignore[operator]
            finally:
                self.total += time.perf_counter() - start
        return timed


if __name__ == "__main__":
    main()
