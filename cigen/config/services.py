"""cigen.yaml ``services:`` and ``runtime:``: what to start, how to gate it, how PM2 restarts it.

The keys follow docker compose (``depends_on``, ``start_period``, ``retries``)
and PM2 (``max_restarts``, ``min_uptime``, ``kill_timeout``) so that users of
either read them without a manual. Durations are numbers of seconds or strings
with units (``250ms``, ``2s``, ``1m30s``); they are stored as seconds.

Health checks follow compose semantics: probes run from the moment PM2 has
launched the process, every ``interval``, each allowed ``timeout``; failures
during ``start_period`` do not count toward ``retries``; ``deadline`` bounds
the whole wait. Without ``health:`` a service with a ``port`` gets a TCP probe
on it; a service with neither is healthy once it has stayed up ``min_uptime``
(PM2's own notion of a started process).
"""

from __future__ import annotations

import math
import posixpath
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from cigen.config.base import StrictModel
from cigen.config.refs import check_references
from cigen.config.monitor import ServiceMonitorConfig
from cigen.durations import parse_duration

_MEMORY = re.compile(r"[1-9]\d*[KMG]?")
# PM2 hands durations to Node's setTimeout, which fires at once for anything over 2**31 - 1 ms (24.8 days):
# a longer kill_timeout would kill at once, a longer restart delay restart at once.
MAX_SECONDS = (2**31 - 1) / 1000
# PM2's cluster mode runs one process per CPU (`instances: max`); no runner or common server has more than 256
# hardware threads, so more is a typo, and 100,000 forks Node until the machine runs out of memory.
MAX_INSTANCES = 256


def parse_status(value: Any) -> tuple[tuple[int, int], ...]:
    """``200-399`` / ``200`` / ``"200,204,300-399"`` / ``[200, "300-399"]`` -> inclusive ranges."""
    items = value if isinstance(value, list) else str(value).split(",")
    ranges: list[tuple[int, int]] = []
    for item in items:
        text = str(item).strip()
        match = re.fullmatch(r"(\d{3})(?:\s*-\s*(\d{3}))?", text)
        if not match or isinstance(item, bool):
            raise ValueError("expected HTTP status codes such as 200, 200-399 or 200,204")
        low, high = int(match[1]), int(match[2] or match[1])
        if not (100 <= low <= high <= 599):
            raise ValueError(f"{text} is not a range of HTTP status codes (100-599, low-high)")
        ranges.append((low, high))
    if not ranges:
        raise ValueError("expected at least one HTTP status code")
    return tuple(sorted(ranges))


def format_status(ranges: tuple[tuple[int, int], ...]) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


def _memory(value: Any) -> str:
    text = str(value).strip()
    if isinstance(value, bool) or not _MEMORY.fullmatch(text):
        raise ValueError("expected a memory size such as 300M, 1G or 512K (PM2's max_memory_restart)")
    return text


def _bounded(seconds: float) -> float:
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        raise ValueError(f"a duration must be at most {MAX_SECONDS:,.0f} s (24 days: the longest timer PM2 sets)")
    return seconds


def relative_folder(value: str | None) -> str | None:
    """A folder written relative to another one: no absolute path, no way out of the repository."""
    if value is not None and (posixpath.isabs(value) or value.startswith("~") or "\\" in value):
        raise ValueError(f"{value!r} must be a relative folder with / separators (write e.g. e2e)")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration), AfterValidator(_bounded)]
StatusRanges = Annotated[tuple[tuple[int, int], ...], BeforeValidator(parse_status)]
Memory = Annotated[str, BeforeValidator(_memory)]
Command = str | list[str]
EnvValue = str | int | float | bool


class HealthConfig(StrictModel):
    http: str | None = Field(default=None, description="URL, or a path (/health) on the service's port")
    tcp: int | str | None = Field(default=None, description="a port on 127.0.0.1, or host:port")
    cmd: Command | None = Field(default=None, description="a command (a string runs through sh) that exits 0")
    status: StatusRanges = Field(default=((200, 399),), description="HTTP statuses that pass")
    headers: dict[str, str] = Field(default_factory=dict, description="HTTP request headers")
    interval: Duration = Field(default=0.25, gt=0, description="between the start of one probe and the next")
    timeout: Duration = Field(default=2.0, gt=0, description="for one probe")
    start_period: Duration = Field(default=0.0, description="failures in this window do not count toward retries")
    deadline: Duration = Field(default=60.0, gt=0, description="to become healthy at all")
    retries: int | None = Field(default=None, ge=1, description="consecutive failures that fail the gate early")

    @model_validator(mode="after")
    def _one_probe(self) -> HealthConfig:
        given = [k for k in ("http", "tcp", "cmd") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of http, tcp or cmd (got {', '.join(given) or 'none'})")
        if isinstance(self.cmd, list) and not self.cmd:
            raise ValueError("cmd must not be empty")
        if self.http is not None and not re.match(r"(https?://[^/\s]+|/)\S*$", self.http):
            raise ValueError(f"http must be a URL (http://127.0.0.1:4001/health) or a path (/health), got {self.http!r}")
        if self.tcp is not None and not _valid_tcp(self.tcp):
            raise ValueError(f"tcp must be a port (4001) or host:port (127.0.0.1:4001), got {self.tcp!r}")
        return self


def _valid_tcp(value: int | str) -> bool:
    if isinstance(value, int):
        return not isinstance(value, bool) and 1 <= value <= 65535
    host, _, port = value.rpartition(":")
    return port.isdigit() and 1 <= int(port) <= 65535 and (host == "" or bool(host.strip("[]")))


class RestartConfig(StrictModel):
    autorestart: bool = Field(default=True, description="restart the process when it exits")
    max_restarts: int = Field(default=16, ge=0, description="unstable restarts before PM2 gives up (errored)")
    min_uptime: Duration = Field(default=1.0, description="uptime under which a restart counts as unstable")
    backoff: Duration = Field(default=0.1, description="first delay of PM2's exponential restart backoff; 0 = none")
    max_memory: Memory | None = Field(default=None, description="restart above this memory (300M, 1G)")


class ServiceConfig(StrictModel):
    enabled: bool = Field(default=True, description="false: never start this member, even with a start script")
    start: Command | None = Field(
        default=None, description="default: the member's start script through its package manager"
    )
    cwd: str | None = Field(default=None, description="relative to the member's folder (to the root without one)")
    depends_on: list[str] = Field(default_factory=list, description="services to be healthy before this starts")
    port: int | None = Field(default=None, ge=1, le=65535, description="exported as PORT; probed when no health")
    env: dict[str, Annotated[EnvValue, AfterValidator(check_references)]] = Field(
        default_factory=dict, description="the process's environment; ${url:NAME} reaches service NAME")
    instances: int = Field(default=1, ge=1, le=MAX_INSTANCES,
                           description="more than 1 runs a Node script in PM2 cluster mode")
    health: HealthConfig | None = None
    restart: RestartConfig = Field(default_factory=RestartConfig)
    kill_timeout: Duration = Field(default=1.6, description="SIGINT to SIGKILL when stopping")
    monitor: ServiceMonitorConfig = Field(default_factory=ServiceMonitorConfig,
                                          description="this service's log rules and thresholds")

    _cwd = field_validator("cwd")(relative_folder)

    @model_validator(mode="after")
    def _check(self) -> ServiceConfig:
        if isinstance(self.start, list) and not self.start:
            raise ValueError("start must not be empty")
        if isinstance(self.start, str) and not self.start.strip():
            raise ValueError("start must not be empty")
        return self
