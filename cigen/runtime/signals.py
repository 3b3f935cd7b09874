"""Signals during ``cigen up``: SIGTERM interrupts like Ctrl-C, and clean-up is not interrupted.

A CI runner cancelling a job sends SIGTERM; a person presses Ctrl-C. Both must
lead to the same clean-up (stop what the run started), and a second signal
while that clean-up runs must not abandon it half way. A step that must not be
cut in two (starting the thread that spawns the daemon, and keeping hold of it)
takes the signal at its end instead.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

from cigen.adapters.signals import handling


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def interruptible() -> contextlib.AbstractContextManager[None]:
    """Within the block, SIGINT and SIGTERM raise KeyboardInterrupt; handlers are restored after."""
    return handling(_interrupt)


def shielded() -> contextlib.AbstractContextManager[None]:
    """Within the block, SIGINT and SIGTERM are ignored (clean-up must finish)."""
    return handling(signal.SIG_IGN)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM wait: the first one raises KeyboardInterrupt as the block ends."""
    received: list[int] = []
    with handling(lambda signum, frame: received.append(signum)):
        yield
    if received:
        _interrupt(received[0], None)
