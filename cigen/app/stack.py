"""The running stack: ``cigen up`` (started under PM2 in dependency order, each service gated on its health),
``cigen status`` and ``cigen logs``.

``cigen up`` reads cigen.yaml once. Discovery and the start order are worked out while
the PM2 daemon spawns (the runtime calls ``prepare`` then), so reading the
workspace costs no start-up time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cigen.app.workspace import discover_with, load
from cigen.config.loader import load_config
from cigen.errors import CigenError, InputError
from cigen.monitor.run import log_sizes
from cigen.monitor.service import record_up
from cigen.reporting import warn
from cigen.runtime import proxies
from cigen.runtime.apps import MONITOR_APP
from cigen.runtime.orchestrate import Progress
from cigen.runtime.project import Project, logs_folder, project
from cigen.runtime.report import UpResult
from cigen.runtime.services import select, suggest
from cigen.runtime.daemon import Pm2Error, Session, Stopped, kill_daemon
from cigen.runtime.status import Row, collect
from cigen.runtime.startup import Prepared, up as start_services
from cigen.verify.faults import undo_leftovers


@dataclass(frozen=True)
class Started:
    result: UpResult
    project: Project


def up(root: Path, services: Sequence[str], *, keep: bool,
       progress: Callable[[Progress, int], None]) -> Started:
    """Start ``services`` (all when empty) and what they need; ``progress`` gets each step and the width of
    the longest service name, to align them."""
    config = load_config(root)
    undo_leftovers(root)  # a service a killed `cigen verify` left paused would fail its gate, not be adopted
    prepared: dict[str, Project] = {}  # set by prepare(), on the runtime's schedule
    offsets: dict[str, tuple[int, int]] = {}  # each log's size before this run: the run's report reads what follows
    width = 0

    def prepare() -> Prepared:
        nonlocal width
        proj = project(root, config, discover_with(root, config))
        if not proj.specs:
            raise InputError("no services to start: no member has a start script and cigen.yaml lists no services",
                             hint="add a `start` script to a service's package.json, or a services: entry to cigen.yaml")
        prepared["project"] = proj
        specs, order, apps = proxies.prepare(proj, select(proj.specs, services))
        width = max(len(name) for name in order)
        offsets.update((name, log_sizes(proj, name)) for name in order if name in proj.specs)
        return specs, order, apps

    def on_end(session: Session, result: UpResult) -> None:
        try:
            record_up(prepared["project"], session, result, offsets)
        except (OSError, CigenError, Pm2Error) as exc:  # the stack is up: a run without its report is no failed up
            warn(f"the run's sampler did not start: {exc} (`cigen monitor` watches the services instead)")

    result = start_services(root, prepare, keep=keep, progress=lambda p: progress(p, width),
                            log_file=root / logs_folder(root, config) / "pm2.log",
                            log_rotation=config.runtime.log_rotation, on_end=on_end)
    return Started(result, prepared["project"])


def status(root: Path, services: Sequence[str] = ()) -> list[Row]:
    """Each configured service and each process of the project (``services``: theirs only), with its health
    right now."""
    config, workspace = load(root)
    return collect(project(root, config, workspace), services)


def log_files(root: Path, service: str) -> tuple[Path, Path]:
    """The stdout and stderr logs of ``service``; a name that is no service and left no logs is an error."""
    config, workspace = load(root)
    proj = project(root, config, workspace)
    paths = proj.log_paths(service)
    if service not in proj.specs and not any(p.exists() for p in paths):
        raise InputError(f"no service is named {service!r}",
                         hint=suggest(service, sorted(proj.specs)) or f"services: {', '.join(sorted(proj.specs))}")
    return paths


def down(root: Path) -> Stopped:
    """Stop every process of the project's PM2 daemon, then the daemon; each is waited for by PID."""
    undo_leftovers(root, restart=False)  # a paused process would take its whole kill_timeout to stop
    return kill_daemon(root, first=(MONITOR_APP,))
