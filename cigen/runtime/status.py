"""``cigen status``: what PM2 says about each service, and whether it is healthy right now."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cigen.runtime.daemon import Proc, session
from cigen.runtime.probes import run_probe
from cigen.runtime.project import Project


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    status: str  # PM2's status, or "not running"
    pm_id: int | None
    pid: int | None
    uptime: float | None  # seconds
    restarts: int | None
    cpu: float | None  # percent
    memory: int | None  # bytes
    health: str  # healthy, unhealthy, "-" (not running), "no probe"
    health_detail: str

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def collect(project: Project) -> list[Row]:
    """One row per configured service and per PM2 process (a process may outlive its configuration)."""
    with session(project.root, spawn=False) as s:
        procs = s.list()
    now_ms = time.time() * 1000
    names = sorted(set(project.specs) | {p.name for p in procs})
    by_name: dict[str, Proc] = {}
    for listed in procs:
        by_name.setdefault(listed.name, listed)
    checks = {}
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(names)))) as pool:
        for name in names:
            spec, proc = project.specs.get(name), by_name.get(name)
            if spec and spec.health.probe and proc and proc.status == "online":
                checks[name] = pool.submit(run_probe, spec.health.probe, spec.health.timeout)
    rows = []
    for name in names:
        proc = by_name.get(name)
        spec = project.specs.get(name)
        if name in checks:
            result = checks[name].result()
            health, detail = ("healthy" if result.ok else "unhealthy"), result.detail
        elif proc is None or proc.status != "online":
            health, detail = "-", ""
        else:
            health, detail = ("no probe", "") if spec else ("-", "not in cigen.yaml")
        rows.append(Row(
            name=name,
            status=proc.status if proc else "not running",
            pm_id=proc.pm_id if proc else None,
            pid=proc.pid if proc else None,
            uptime=round((now_ms - proc.uptime_since) / 1000, 1) if proc and proc.uptime_since and proc.status == "online" else None,
            restarts=proc.restarts if proc else None,
            cpu=proc.cpu if proc else None,
            memory=proc.memory if proc else None,
            health=health,
            health_detail=detail,
        ))
    return rows


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60}s"
    return f"{s // 3600}h{s % 3600 // 60}m"


def _memory(size: int | None) -> str:
    if size is None:
        return "-"
    return f"{size / 1024 / 1024:.1f} MB"


def render_table(rows: list[Row]) -> str:
    if not rows:
        return "no services (no member has a start script and cigen.yaml lists none)"
    header = ("NAME", "STATUS", "PID", "UPTIME", "RESTARTS", "CPU", "MEMORY", "HEALTH")
    table = [header] + [
        (r.name, r.status, str(r.pid or "-"), _uptime(r.uptime), "-" if r.restarts is None else str(r.restarts),
         "-" if r.cpu is None else f"{r.cpu:g}%", _memory(r.memory),
         f"{r.health} ({r.health_detail})" if r.health_detail else r.health)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1] for row in table)
