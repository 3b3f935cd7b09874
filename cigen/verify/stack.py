"""The running stack as checks see it: each service's URL, PID and logs, attached to what ``cigen up`` started.

:func:`attach` looks at the project's PM2 daemon once (``cigen status``'s view: PM2's status, then each
service's own health check) and refuses a stack in which a needed service is not running and healthy: that is
an environment error (exit 3) naming the service, not a failed check. Faults (``cigen.verify.faults``) act on a
:class:`Stack` through what it holds: the PIDs to pause, the PM2 daemon of ``root`` to stop and start through,
the spec of each service to gate it again on its health.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cigen.errors import EXIT_ENVIRONMENT, CigenError, InputError
from cigen.runtime.daemon import Session, session
from cigen.runtime.pm2 import pm2_home
from cigen.runtime.project import Project, project
from cigen.runtime.report import tail as last_lines
from cigen.runtime.services import ServiceSpec, suggest
from cigen.runtime.status import Row, collect

if TYPE_CHECKING:
    from cigen.config.root import Config
    from cigen.model import Workspace

HOST = "127.0.0.1"  # services are reached on loopback only, as `cigen up` runs them


class StackNotUp(CigenError):
    """A service a check needs is not running and healthy: the environment, not the check, is at fault."""

    exit_code = EXIT_ENVIRONMENT


@dataclass(frozen=True, slots=True)
class Service:
    """One service of the stack: where it answers and what it wrote."""

    name: str
    port: int | None
    pid: int | None  # its process's PID under PM2 when attached (None: not running, or not needed)
    out_log: Path
    err_log: Path

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``; a service without a port has no URL (an error naming it)."""
        return f"http://{HOST}:{self.reachable_port()}"

    def reachable_port(self) -> int:
        """Its port; a service without one cannot be sent a request (an error naming it)."""
        if self.port is None:
            raise InputError(f"service {self.name} has no port, so no check can send it a request",
                             hint=f"give it one in cigen.yaml: services.{self.name}.port")
        return self.port


@dataclass(frozen=True)
class Stack:
    root: Path
    config: Config
    project: Project  # the runtime's view: each service's spec (command, health, env), namespace, logs folder
    services: Mapping[str, Service]  # every configured service, running or not

    @property
    def pm2_home(self) -> Path:
        return pm2_home(self.root)

    def service(self, name: str) -> Service:
        """The service ``name``; an unknown name is an error that suggests the closest."""
        found = self.services.get(name)
        if found is None:
            known = sorted(self.services)
            raise InputError(f"no service is named {name!r}",
                             hint=suggest(name, known) or f"services: {', '.join(known) or 'none'}")
        return found

    def url(self, name: str) -> str:
        return self.service(name).url

    def spec(self, name: str) -> ServiceSpec:
        """How ``cigen up`` runs ``name``: its command, environment, health check (to gate it again)."""
        self.service(name)
        return self.project.specs[name]

    def status(self, names: Iterable[str] = ()) -> list[Row]:
        """Each of ``names`` (all services when empty) as it is now: PM2's status and its health check."""
        return collect(self.project, list(names))

    @contextmanager
    def daemon(self) -> Iterator[Session]:
        """A connection to the project's PM2 daemon (never spawns one: the stack is ``cigen up``'s)."""
        with session(self.root, spawn=False) as s:
            if s.bridge is None:
                raise StackNotUp("the project's PM2 daemon is not running", hint="run `cigen up` first")
            yield s

    def log_tail(self, name: str, lines: int = 20) -> tuple[str, ...]:
        """The last ``lines`` lines ``name`` wrote, stdout's then stderr's (each log read from its end)."""
        service = self.service(name)
        tail: list[str] = []
        for path in (service.out_log, service.err_log):
            tail.extend(last_lines(path, lines=lines))
        return tuple(tail[-lines:]) if len(tail) > lines else tuple(tail)


def attach(root: Path, config: Config, workspace: Workspace, needed: Iterable[str] = ()) -> Stack:
    """The stack ``cigen up`` started for ``root``; each of ``needed`` must be running and healthy.

    A needed service that is not is a :class:`StackNotUp` (exit 3) that names it and what it is doing
    (``not running``, ``stopped``, ``online but unhealthy: 503``), with the command that brings it up.
    """
    proj = project(root, config, workspace)
    wanted = sorted(set(needed))
    for name in wanted:
        if name not in proj.specs:
            known = sorted(proj.specs)
            raise InputError(f"no service is named {name!r}",
                             hint=suggest(name, known) or f"services: {', '.join(known) or 'none'}")
    rows = {row.name: row for row in collect(proj, wanted)} if wanted else {}
    down = [row for row in rows.values() if not row.up]
    if down:
        what = "; ".join(f"{row.name} is {_state(row)}" for row in down)
        names = " ".join(row.name for row in down)
        raise StackNotUp(f"the stack is not up: {what}",
                         hint=f"run `cigen up {names}` first, or `cigen verify --up`")
    services = {}
    for name, spec in sorted(proj.specs.items()):
        out_log, err_log = proj.log_paths(name)
        row = rows.get(name)
        services[name] = Service(name=name, port=spec.port, pid=row.pid if row else None,
                                 out_log=out_log, err_log=err_log)
    return Stack(root=root, config=config, project=proj, services=services)


def _state(row: Row) -> str:
    if row.status == "online":
        return f"online but {row.health}" + (f" ({row.health_detail})" if row.health_detail else "")
    return row.shown_status
