"""What ``cigen up`` tells a person (text) and a machine (JSON) when it ends.

The JSON document is a contract for CI scripts (the generated integration job
reads it), so its keys only ever grow:

``ok`` (bool), ``elapsed`` (s), ``logs`` (folder, relative to the root),
``services`` (in start order: ``name``, ``state`` = healthy | failed | blocked
| not_started | interrupted, ``started`` = started by this run, ``adopted`` =
already running and healthy, ``stopped``, ``healthy_after`` (s or null),
``pm_ids``, ``blocked_by``, ``requested_at``/``launched_at`` (epoch s or null), ``probes``,
``probe_failures``, ``probe_gap`` (s)), ``failure`` (null, or ``service``, ``reason``,
``probe``, ``last_error``, ``status``, ``restarts``, ``exit_code``, ``pids``,
``stdout``/``stderr`` (last lines), ``out_log``/``err_log``), ``kept``,
``daemon_stopped``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cigen.durations import format_seconds
from cigen.runtime.apps import PROXY_PREFIX

if TYPE_CHECKING:
    from cigen.runtime.daemon import Proc
    from cigen.runtime.probes import ProbeResult
    from cigen.runtime.services import ServiceSpec

TAIL_LINES = 50
_TAIL_BYTES = 256 * 1024  # never read more than this of a log to find its last lines


@dataclass(frozen=True, slots=True)
class Failure:
    service: str
    reason: str
    probe: str | None
    last_error: str | None
    status: str | None
    restarts: int | None
    exit_code: int | None
    pids: tuple[int, ...]
    out_log: str
    err_log: str
    stdout: tuple[str, ...]
    stderr: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ServiceOutcome:
    name: str
    state: str
    started: bool
    adopted: bool
    stopped: bool
    healthy_after: float | None
    pm_ids: tuple[int, ...]
    blocked_by: str | None
    # For the run's report (cigen.monitor): when it was asked to start and PM2 launched it (epoch seconds),
    # and its gate's probes: how many, how many failed, and the most time lost between a failing and the passing one.
    requested_at: float | None = None
    launched_at: float | None = None
    probes: int = 0
    probe_failures: int = 0
    probe_gap: float = 0.0


@dataclass(frozen=True, slots=True)
class UpResult:
    ok: bool
    services: tuple[ServiceOutcome, ...]
    failure: Failure | None
    kept: bool
    daemon_stopped: bool
    elapsed: float


def tail(path: Path, offset: int = 0, lines: int = TAIL_LINES) -> tuple[str, ...]:
    """The last ``lines`` lines written to ``path`` after byte ``offset``."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(offset if offset <= size else 0, size - _TAIL_BYTES)
            handle.seek(start)
            data = handle.read()
    except OSError:
        return ()
    text = data.decode("utf-8", "replace").splitlines()
    if start > offset and text:
        text = text[1:]  # the first line read is cut
    return tuple(text[-lines:])


def failure_details(name: str, reason: str, spec: ServiceSpec, last: ProbeResult | None, app: dict[str, Any],
                    offsets: tuple[int, int], procs: list[Proc], root: Path) -> Failure:
    proc = procs[0] if procs else None
    probe = spec.health.probe
    return Failure(
        service=name,
        reason=reason,
        probe=probe.describe() if probe else None,
        last_error=None if last is None or last.ok else last.detail,
        status=proc.status if proc else None,
        restarts=proc.restarts if proc else None,
        exit_code=proc.exit_code if proc else None,
        pids=tuple(p.pid for p in procs if p.pid and p.status == "online"),  # PM2 keeps a dead one's pid
        out_log=_relative(app["out_file"], root),
        err_log=_relative(app["error_file"], root),
        stdout=tail(Path(app["out_file"]), offsets[0]),
        stderr=tail(Path(app["error_file"]), offsets[1]),
    )


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def to_json(result: UpResult, logs: str) -> dict[str, Any]:
    data = asdict(result)
    data["logs"] = logs
    data["elapsed"] = round(result.elapsed, 3)
    for service in data["services"]:
        if service["healthy_after"] is not None:
            service["healthy_after"] = round(service["healthy_after"], 3)
        name = service["name"]
        service["proxy_for"] = name.removeprefix(PROXY_PREFIX) if name.startswith(PROXY_PREFIX) else None
    return data


def render_failure(result: UpResult, logs: str) -> str:
    """The report a person reads when a gate failed."""
    f = result.failure
    assert f is not None
    lines = [f"{f.service} failed: {f.reason}"]
    if f.probe:
        lines.append(f"  probe:      {f.probe}")
        lines.append(f"  last error: {f.last_error or '(no probe failed; see the reason above)'}")
    if f.status is not None:
        pm2 = f"{f.status}, {f.restarts} restart{'s' if f.restarts != 1 else ''}"
        if f.exit_code is not None:
            pm2 += f", last exit code {f.exit_code}"
        if f.pids:
            pm2 += f", pid {', '.join(map(str, f.pids))}"
        lines.append(f"  pm2:        {pm2}")
    for label, path, text in (("stdout", f.out_log, f.stdout), ("stderr", f.err_log, f.stderr)):
        if text:
            lines.append(f"  --- last {len(text)} lines of {label} ({path}) ---")
            lines.extend(f"  | {line}" for line in text)
        else:
            lines.append(f"  --- {label}: nothing ({path}) ---")
    by_state: dict[str, list[str]] = {}
    for s in result.services:
        by_state.setdefault(s.state, []).append(s.name)
    healthy = [f"{s.name} ({'already running' if s.adopted else 'healthy after ' + format_seconds(s.healthy_after or 0)})"
               for s in result.services if s.state == "healthy"]
    if healthy:
        lines.append(f"  healthy: {', '.join(healthy)}")
    if by_state.get("interrupted"):
        lines.append(f"  still starting when the run stopped: {', '.join(by_state['interrupted'])}")
    if by_state.get("blocked"):
        lines.append(f"  never started (they depend on {f.service}): {', '.join(by_state['blocked'])}")
    if by_state.get("not_started"):
        lines.append(f"  not started (the run stopped first): {', '.join(by_state['not_started'])}")
    stopped = [s.name for s in result.services if s.stopped]
    if result.kept:
        running = [s.name for s in result.services if s.started]
        lines.append(f"  left running (--keep): {', '.join(running) or 'nothing'}; `cigen down` stops them")
    elif stopped:
        lines.append(f"  stopped what this run started: {', '.join(stopped)}")
    lines.append(f"  logs: {logs}/")
    return "\n".join(lines)


def render_success(result: UpResult) -> str:
    started = sum(1 for s in result.services if s.started)
    adopted = sum(1 for s in result.services if s.adopted)
    services = sum(1 for s in result.services if not s.name.startswith(PROXY_PREFIX))
    proxies = len(result.services) - services
    counted = f"{services} service{'s' if services != 1 else ''}"
    if proxies:  # the loopback proxies cigen up put on the ${url:NAME} edges
        counted += f" and {proxies} prox{'ies' if proxies != 1 else 'y'}"
    parts = [f"{counted} healthy"]
    if adopted:
        parts.append(f"{started} started, {adopted} already running")
    return f"{'; '.join(parts)} in {format_seconds(result.elapsed)}"
