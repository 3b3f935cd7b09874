"""The one output channel: the core reports through here, and the CLI decides where it goes.

The core never prints. What it has to tell a person while it works (a
warning, a progress line) goes to the installed :class:`Reporter`; results are
return values. The CLI installs a reporter that writes diagnostics and
progress to stderr (results go to stdout, through the CLI alone); the
composite action installs the same one; tests install one that records. With
none installed, reports are dropped, so a library caller sees no output it did
not ask for (as pypa/build's core does).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

Level = Literal["warning", "progress"]


class Reporter(Protocol):
    def report(self, level: Level, message: str) -> None: ...


class _Dropped:
    def report(self, level: Level, message: str) -> None:
        pass


@dataclass
class Recorder:
    """A reporter that keeps what it is told, in order (for tests and for callers that show it later)."""

    messages: list[tuple[Level, str]] = field(default_factory=list)

    def report(self, level: Level, message: str) -> None:
        self.messages.append((level, message))

    def warnings(self) -> list[str]:
        return [text for level, text in self.messages if level == "warning"]


_current: Reporter = _Dropped()
R = TypeVar("R", bound=Reporter)


def warn(message: str) -> None:
    """Something the person should know that does not stop the command."""
    _current.report("warning", message)


def progress(message: str) -> None:
    """A line about work under way (what starts, what finished)."""
    _current.report("progress", message)


@contextmanager
def reporting_to(reporter: R) -> Iterator[R]:
    """Send reports to ``reporter`` for the span of the block, then restore the previous one."""
    global _current
    previous, _current = _current, reporter
    try:
        yield reporter
    finally:
        _current = previous
