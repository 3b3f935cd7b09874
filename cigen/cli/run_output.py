"""What ``cigen run`` prints while it runs: prefixed output lines, and on a terminal a live status area.

:class:`Printer` writes each line of a task's output prefixed ``service:task:``
as Turborepo does, whole lines, flushed at once: what a log file, a pipe or a
CI log gets. :class:`LivePrinter` adds, on a terminal, a status area under
the streamed output, as ``docker compose up`` and Turborepo's terminal UI show
one: a line of counts (running, done, failed, waiting) and the clock, then
each running task with its elapsed time. Output scrolls above it: the area is
erased, the new lines written, the area drawn again, so no line is ever
overwritten. Its lines are cut to the terminal's width, so that none wraps and
the count of lines to erase stays exact. :class:`GroupedPrinter` is what a
GitHub Actions log gets: each task's output as one collapsible group.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping
from typing import TextIO

from cigen.durations import format_seconds
from cigen.executor.report import describe
from cigen.executor.runner import Reporter, ServiceResult, TaskResult
from cigen.executor.work import Step, Work

ERASE_UP = "\x1b[{n}F\x1b[J"  # cursor to the start of the line n above, erase to the end of the screen
REDRAW_EVERY = 0.1  # seconds between redraws of the clock when no output arrives


class Printer(Reporter):
    """Each output line prefixed ``service:task:``, whole, flushed at once."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def task_started(self, work: Work, step: Step) -> None:
        self._line(f"{work.label}:{step.task}: $ {step}")

    def output(self, work: Work, step: Step, line: str) -> None:
        prefix = f"{work.label}:{step.task}:"
        self._line(f"{prefix} {line}" if line.strip() else prefix)  # no trailing blanks on empty lines

    def task_finished(self, work: Work, result: TaskResult) -> None:
        if result.status != "passed":
            self._line(f"{work.label}:{result.task}: {describe(result)}")

    def not_run(self, result: ServiceResult) -> None:
        self._line(f"{result.label}: not run: {result.reason}")


class LivePrinter(Printer):
    """The prefixed lines, with the status area of the run drawn below them (a terminal only)."""

    def __init__(self, stream: TextIO, *, clock: Callable[[], float] = time.monotonic,
                 columns: Callable[[], int] = lambda: shutil.get_terminal_size().columns) -> None:
        super().__init__(stream)
        self.clock = clock
        self.columns = columns
        self.began = clock()
        self.total = 0
        self.running: dict[str, tuple[str, float]] = {}  # label -> (task, started)
        self.counts = {"done": 0, "failed": 0, "not run": 0}
        self.drawn = 0  # lines of the area on screen
        self.last_draw = 0.0

    def run_started(self, work: Mapping[str, Work]) -> None:
        self.began = self.clock()
        self.total = len(work)
        self._redraw()

    def _line(self, text: str) -> None:
        self.stream.write(self._erase() + text + "\n" + self._area())
        self.stream.flush()

    def task_started(self, work: Work, step: Step) -> None:
        self.running[work.label] = (step.task, self.clock())
        super().task_started(work, step)

    def service_finished(self, result: ServiceResult) -> None:
        self.running.pop(result.label, None)
        kind = {"passed": "done", "skipped": "done", "not run": "not run"}.get(result.status, "failed")
        self.counts[kind] += 1
        self._redraw()

    def tick(self) -> None:
        if self.clock() - self.last_draw >= REDRAW_EVERY:
            self._redraw()

    def finish(self) -> None:
        """Take the area off the screen (the summary table follows)."""
        self.stream.write(self._erase())
        self.stream.flush()

    def _redraw(self) -> None:
        self.stream.write(self._erase() + self._area())
        self.stream.flush()

    def _erase(self) -> str:
        erase, self.drawn = (ERASE_UP.format(n=self.drawn) if self.drawn else ""), 0
        return erase

    def _area(self) -> str:
        now = self.clock()
        self.last_draw = now
        counts = self.counts
        waiting = self.total - sum(counts.values()) - len(self.running)
        parts = [f"{len(self.running)} running", f"{counts['done']} done", f"{counts['failed']} failed"]
        if counts["not run"]:
            parts.append(f"{counts['not run']} not run")
        head = f"── {', '.join(parts)}, {waiting} waiting · {format_seconds(now - self.began)}"
        lines = [head] + [f"   {label}:{task}  {format_seconds(now - since)}"
                          for label, (task, since) in sorted(self.running.items(), key=lambda kv: kv[1][1])]
        width = max(self.columns() - 1, 10)
        self.drawn = len(lines)
        return "".join(line[:width] + "\n" for line in lines)


class GroupedPrinter(Printer):
    """GitHub Actions' log: each task's output as one collapsible group titled with its result and time,
    written when the task ends (tasks run at once would interleave their lines inside a group opened as
    they start), as Turborepo's grouped log order does in Actions."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.lines: dict[tuple[str, str], list[str]] = {}

    def task_started(self, work: Work, step: Step) -> None:
        self.lines[work.label, step.task] = [f"$ {step}"]

    def output(self, work: Work, step: Step, line: str) -> None:
        self.lines[work.label, step.task].append(line)

    def task_finished(self, work: Work, result: TaskResult) -> None:
        took = "" if result.seconds is None else f" in {format_seconds(result.seconds)}"
        lines = self.lines.pop((work.label, result.task), [])
        self.stream.write(f"::group::{work.label}:{result.task}: {describe(result)}{took}\n")
        self.stream.write("".join(line + "\n" for line in lines))
        self.stream.write("::endgroup::\n")
        self.stream.flush()
