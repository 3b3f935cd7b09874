"""``cigen status``: what each service is doing, as PM2 and the process table say, and whether it is healthy.

A service's status is what is true of it now:

- PM2's own (``online``, ``launching``, ``stopping``, ``stopped``, ``errored``,
  ``waiting restart``) while its daemon runs it;
- ``exited`` with its exit code when it ended by itself and PM2 will not start it
  again (``restart.autorestart: false``; PM2 itself goes on showing such a process
  "waiting restart" when a restart backoff is set);
- ``orphaned`` when its process runs but the project's PM2 daemon is gone (killed,
  out of memory): nothing restarts it, and ``cigen down`` stops it;
- ``not running``.

CPU and memory are those of the service's whole process tree (``npm run
start`` -> sh -> node, a worker it forks), which ``processes`` lists; PM2
measures only the process it spawned.

A configured service is up when it is ``online`` and its health check passes
(or it has none): :attr:`Row.up`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cigen.errors import InputError
from cigen.runtime import logrotate, processes
from cigen.runtime.daemon import Proc, session
from cigen.runtime.probes import TcpProbe, run_probe
from cigen.runtime.project import Project
from cigen.runtime.apps import MONITOR_APP
from cigen.runtime.proxies import proxy_table
from cigen.runtime.services import suggest
from cigen.runtime.trees import Node, trees


_PROXY_TIMEOUT = 2.0  # seconds: a proxy on loopback accepts at once or not at all


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    status: str  # PM2's status, "exited", "orphaned" or "not running"
    pm_id: int | None
    pid: int | None
    uptime: float | None  # seconds
    restarts: int | None
    cpu: float | None  # percent of one core, the process tree's
    memory: int | None  # bytes, resident, the process tree's
    health: str  # healthy, unhealthy, "-" (not running), "no probe"
    health_detail: str
    exit_code: int | None  # its last exit code, when it exited
    configured: bool  # a service of cigen.yaml or the workspace (not only a process of the daemon)
    processes: tuple[Node, ...] = ()  # its process tree, depth first, PM2's process at depth 0
    proxy_for: str | None = None  # a proxy cigen up put in front of this service (proxy:NAME)

    @property
    def up(self) -> bool:
        """Running under its daemon and healthy (or without a health check)."""
        return self.status == "online" and self.health in ("healthy", "no probe")

    @property
    def planned(self) -> bool:
        """Part of the stack cigen starts: a service, or a proxy on one of its edges (its callers need it up)."""
        return self.configured or self.proxy_for is not None

    @property
    def shown_status(self) -> str:
        return f"exited (code {self.exit_code})" if self.status == "exited" else self.status

    def as_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__slots__}
        data["processes"] = [{"pid": n.pid, "ppid": n.ppid, "depth": n.depth, "command": n.command,
                              "cpu": n.cpu, "memory": n.rss} for n in self.processes]
        return data


@dataclass(frozen=True, slots=True)
class _Seen:
    """One process of a service, from PM2 or, without a daemon, from PM2's pid files."""

    status: str
    pid: int | None
    proc: Proc | None  # None for an orphan
    uptime: float | None


def collect(project: Project, names: Sequence[str] = ()) -> list[Row]:
    """One row per configured service and per process of the project (a process may outlive its configuration);
    with ``names``, theirs only."""
    with session(project.root, spawn=False) as s:
        procs = s.list()
        seen = {p.name: _from_pm2(p) for p in reversed(procs) if p.name != MONITOR_APP}  # the first instance wins
        if s.bridge is None:
            seen = _orphans(project, s.home)
    proxies = {entry.app: entry for entry in proxy_table(project.root).values()}
    wanted = sorted(set(project.specs) | set(seen))
    for name in names:
        if name not in wanted:
            raise InputError(f"no service is named {name!r}",
                             hint=suggest(name, wanted) or f"services: {', '.join(wanted) or 'none'}")
    if names:
        wanted = sorted(set(names))
    checks = {}
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(wanted)))) as pool:
        for name in wanted:
            spec, found = project.specs.get(name), seen.get(name)
            if not found or found.status not in ("online", "orphaned"):
                continue
            if spec and spec.health.probe:
                checks[name] = pool.submit(run_probe, spec.health.probe, spec.health.timeout)
            elif name in proxies:  # gated on its port when cigen up started it: the same check now
                checks[name] = pool.submit(run_probe, TcpProbe("127.0.0.1", proxies[name].port), _PROXY_TIMEOUT)
    measured = trees(sorted({pid for n in wanted if n in seen for pid in [seen[n].pid] if pid}), interval=0.1)
    rows = []
    for name in wanted:
        found, spec = seen.get(name), project.specs.get(name)
        if name in checks:
            result = checks[name].result()
            health, detail = ("healthy" if result.ok else "unhealthy"), result.detail
        elif found is None or found.status not in ("online", "orphaned"):
            health, detail = "-", ""
        else:
            health, detail = ("no probe", "") if spec or name in proxies else ("-", "not in cigen.yaml")
        proc = found.proc if found else None
        tree = tuple(measured.get(found.pid, ())) if found and found.pid else ()
        rows.append(Row(
            name=name,
            status=found.status if found else "not running",
            pm_id=proc.pm_id if proc else None,
            pid=found.pid if found else None,
            uptime=found.uptime if found else None,
            restarts=proc.restarts if proc else None,
            cpu=round(sum(n.cpu for n in tree), 1) if tree else proc.cpu if proc else None,
            memory=sum(n.rss for n in tree) if tree else proc.memory if proc else None,
            health=health,
            health_detail=detail,
            exit_code=proc.exit_code if proc and found and found.status in ("exited", "errored", "stopped") else None,
            configured=spec is not None,
            processes=tree,
            proxy_for=proxies[name].target if name in proxies else None,
        ))
    return rows


def _from_pm2(proc: Proc) -> _Seen:
    status = proc.status
    if not proc.autorestart and not proc.pid and status in ("stopped", "waiting restart"):
        status = "exited"
    uptime = None
    if proc.uptime_since and status == "online":
        uptime = round(time.time() - proc.uptime_since / 1000, 1)
    return _Seen(status, proc.pid if status == "online" else None, proc, uptime)


def _orphans(project: Project, home: Path) -> dict[str, _Seen]:
    """The processes PM2's pid files name that still run without their daemon, by service name."""
    by_file_name = {processes.file_name(name): name for name in project.specs}
    found = {}
    for owned in processes.services(home):
        if owned.name in (processes.file_name(logrotate.MODULE), processes.file_name(MONITOR_APP)):
            continue  # a PM2 module or the run's sampler, not a service: status never lists them
        started = processes.started(owned.pid)
        uptime = round(time.time() - started, 1) if started is not None else None
        found[by_file_name.get(owned.name, owned.name)] = _Seen("orphaned", owned.pid, None, uptime)
    return found


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


def render_table(rows: list[Row], *, tree: bool = False) -> str:
    """The table a person reads; with ``tree``, each service's processes under its row."""
    if not rows:
        return "no services (no member has a start script and cigen.yaml lists none)"
    header = ("NAME", "STATUS", "PID", "UPTIME", "RESTARTS", "CPU", "MEMORY", "HEALTH")
    table = [header] + [
        (r.name, r.shown_status, str(r.pid or "-"), _uptime(r.uptime), "-" if r.restarts is None else str(r.restarts),
         "-" if r.cpu is None else f"{r.cpu:g}%", _memory(r.memory),
         f"{r.health} ({r.health_detail})" if r.health_detail else r.health)
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    lines = []
    for i, row in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
        if tree and i > 0:
            lines += [f"  {'  ' * n.depth}└─ {n.pid} {n.command[:100]}  ({n.cpu:g}% CPU, {_memory(n.rss)})"
                      for n in rows[i - 1].processes]
    return "\n".join(lines)
