"""Durations as cigen.yaml writes them (``250ms``, ``2s``, ``1m30s``) and as messages show them."""

from __future__ import annotations

import re
from typing import Any

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_DURATION_TEXT = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")


def parse_duration(value: Any) -> float:
    """``250ms`` / ``2s`` / ``1m30s`` / ``1.5`` -> seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 250ms, 2s, 1m30s or a number of seconds")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return float(text)
        if _DURATION_TEXT.fullmatch(text):
            return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))
    raise ValueError("expected a duration such as 250ms, 2s, 1m30s or a number of seconds")


def format_seconds(seconds: float) -> str:
    """How durations read in messages: ``2 s``, ``0.25 s``, ``1.3 s``."""
    return f"{round(seconds, 2):g} s"
