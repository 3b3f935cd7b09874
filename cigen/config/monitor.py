"""cigen.yaml ``monitor:`` and ``services.<name>.monitor``: what the run's sampler watches and what fails a run.

The global section sets the sampling interval, the log rules every service is
scanned for, the lines to ignore, and the thresholds; a service's own section
adds rules and ignores of its own and overrides a threshold for itself. The
defaults flag what every user wants to know (an uncaught exception, a Python
traceback, a FATAL or panic line, a restart or an exit after the service was
healthy) and let a normal run pass: memory up to 1G per service, up to 20 % of
health probes failing (a loaded runner answers a probe late now and then).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from cigen.config.base import StrictModel
from cigen.durations import parse_duration

Stream = Literal["stdout", "stderr", "both"]
_SIZE = re.compile(r"([1-9]\d*)\s*([KMG]?)i?B?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression ({exc})") from None
    return value


def parse_size(value: Any) -> int:
    """``300M`` / ``1G`` / ``512K`` / ``1048576`` (bytes) -> bytes, as PM2 reads ``max_memory_restart``."""
    match = _SIZE.fullmatch(str(value).strip()) if not isinstance(value, bool) else None
    if match is None:
        raise ValueError("expected a memory size such as 300M, 1G or 512K")
    return int(match[1]) * _UNITS[match[2].upper()]


Bytes = Annotated[int, BeforeValidator(parse_size)]
Regex = Annotated[str, AfterValidator(_regex)]
Seconds = Annotated[float, BeforeValidator(parse_duration)]


class LogRule(StrictModel):
    """A regular expression that counts as an error when a log line matches it."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="names the rule in the report")
    pattern: Regex = Field(min_length=1, description="Python regular expression, searched in each line")
    stream: Stream = Field(default="both", description="which log: stdout, stderr or both")
    limit: int = Field(default=0, ge=0, description="hits allowed before the run fails")


# What every user wants flagged. Each matches the line that starts a report, not every frame of it. Node ends
# the output of a process that an uncaught exception or an unhandled rejection kills with its version line.
DEFAULT_RULES: tuple[LogRule, ...] = (
    LogRule(name="node-uncaught-exception", pattern=r"(?i)\buncaught ?exception\b|^Node\.js v\d+\.\d+\.\d+$"),
    LogRule(name="node-unhandled-rejection", pattern=r"(?i)\bunhandled ?(promise )?rejection"),
    LogRule(name="python-traceback", pattern=r"^Traceback \(most recent call last\):"),
    LogRule(name="fatal", pattern=r"\bFATAL\b|^panic: |^fatal error: "),
)


class Thresholds(StrictModel):
    max_memory: Bytes | None = Field(default=None, description="of the service's whole process tree (300M, 1G)")
    max_restarts: int | None = Field(default=None, ge=0, description="restarts after the service was healthy")
    max_health_failure_rate: float | None = Field(default=None, ge=0, le=1,
                                                  description="failed probes / probes, 0 to 1")
    unexpected_exit: bool | None = Field(default=None, description="an exit cigen did not ask for fails the run")


DEFAULT_THRESHOLDS = Thresholds(max_memory=1024**3, max_restarts=0, max_health_failure_rate=0.2, unexpected_exit=True)


class MonitorConfig(StrictModel):
    """``monitor:``: the sampler ``cigen up`` starts, the log rules and the thresholds of every service."""

    enabled: bool = Field(default=True, description="false: `cigen up` starts no sampler")
    interval: Seconds = Field(default=1.0, ge=0.1, le=3600, description="between two samples")
    default_rules: bool = Field(default=True, description="scan for uncaught exceptions, tracebacks, FATAL/panic")
    log_rules: list[LogRule] = Field(default_factory=list, description="more rules, for every service")
    ignore: list[Regex] = Field(default_factory=list, description="regular expressions of lines never to count")
    thresholds: Thresholds = Field(default_factory=Thresholds,
                                   description="for every service; unset keys keep the defaults")
    quoted_hits: int = Field(default=20, ge=0, le=10000,
                             description="log hits quoted with their text, per service and rule (all are counted)")
    probe_every: Seconds = Field(default=5.0, ge=0.1, le=3600, description="between two health probes of a service")



def effective(*layers: Thresholds) -> Thresholds:
    """The thresholds that apply: each key from the first layer that sets it, else the default."""
    chosen = {key: next((getattr(t, key) for t in layers if getattr(t, key) is not None), default)
              for key, default in DEFAULT_THRESHOLDS.model_dump().items()}
    return Thresholds.model_validate(chosen)


class ServiceMonitorConfig(Thresholds):
    """``services.<name>.monitor``: this service's own rules, ignores and thresholds."""

    log_rules: list[LogRule] = Field(default_factory=list)
    ignore: list[Regex] = Field(default_factory=list)
