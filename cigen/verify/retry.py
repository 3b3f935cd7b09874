"""Retrying until something holds: what an ``eventually:`` step and the pytest plugin's helper do."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_FIRST_PAUSE = 0.05  # seconds before the second try; doubles up to _LONGEST_PAUSE
_LONGEST_PAUSE = 0.5


def eventually(attempt: Callable[[], T], within: float, *, holds: Callable[[T], bool] = bool,
               sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``attempt`` until ``holds`` says yes of its answer or ``within`` seconds have passed; the last answer.

    The answer that held is returned as soon as it comes; when none did, the last one is returned (the caller
    shows it: "expected 200, got 404 after 5 s"), so a failure always says what came. An exception raised by
    ``attempt`` counts as a try that did not hold while time remains, and is raised when time is up, so an
    assertion inside ``attempt`` reads as the reason. At least one try is made, however short ``within``.
    Pauses between tries grow from 50 ms to 500 ms, and never run past the deadline.
    """
    deadline = time.monotonic() + within
    pause = _FIRST_PAUSE
    while True:
        try:
            answer = attempt()
        except Exception:
            if time.monotonic() >= deadline:
                raise
        else:
            if holds(answer) or time.monotonic() >= deadline:
                return answer
        sleep(max(0.0, min(pause, deadline - time.monotonic())))
        pause = min(pause * 2, _LONGEST_PAUSE)
