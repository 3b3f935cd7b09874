"""SIGINT and SIGTERM handled alike, for the span of a block.

A CI runner cancelling a job sends SIGTERM; a person presses Ctrl-C. Commands
that start processes (``cigen up``, ``cigen run``) treat both the same way.
Signal handlers can only be installed from the main thread; elsewhere (a test
calling the code from a worker thread) the block runs with the handlers as
they are.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, Union

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

Handler = Union[Callable[[int, Union[FrameType, None]], Any], int, signal.Handlers]


@contextlib.contextmanager
def handling(handler: Handler) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM go to ``handler``; the previous handlers are restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
