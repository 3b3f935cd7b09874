"""Signals during ``cigen up``: SIGTERM interrupts like Ctrl-C, and clean-up is not interrupted.

A CI runner cancelling a job sends SIGTERM; a person presses Ctrl-C. Both must
lead to the same clean-up (stop what the run started), and a second signal
while that clean-up runs must not abandon it half way.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise KeyboardInterrupt; handlers are restored after."""
    if not _main_thread():
        yield
        return
    previous = {s: signal.signal(s, _interrupt) for s in _SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM are ignored (clean-up must finish)."""
    if not _main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in _SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
