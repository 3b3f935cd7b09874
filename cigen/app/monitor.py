"""``cigen monitor`` (watch the running services for a while, then report) and ``cigen report`` (the last run's).

``cigen monitor`` runs the same sampler ``cigen up`` starts under PM2, in the
foreground and into a folder of its own, so its report covers only the time
it watched; the start-up figures come from the run's manifest when ``cigen up``
recorded one.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cigen.app.workspace import load
from cigen.config.loader import load_config
from cigen.errors import ToolError
from cigen.monitor.report import load as load_report
from cigen.monitor.run import log_sizes, new_manifest, read_manifest, watched, write_manifest
from cigen.monitor.sampler import Sampler
from cigen.runtime.apps import MONITOR_APP
from cigen.runtime.daemon import session
from cigen.runtime.project import project, run_folder
from cigen.runtime.proxies import proxy_table
from cigen.runtime.services import select

Tick = Callable[[list[dict[str, Any]]], None]


@dataclass(frozen=True)
class Watching:
    """What ``cigen monitor`` watches: the services, and their longest name (to align the live lines)."""

    services: tuple[str, ...]
    width: int


def monitor(root: Path, services: Sequence[str], duration: float | None, *,
            on_start: Callable[[Watching], None] = lambda w: None, on_tick: Tick = lambda r: None) -> dict[str, Any]:
    """Sample the running services (``services`` and what they need; all when empty) for ``duration`` seconds
    (until Ctrl-C when None); the report of that time. Nothing of the project running is a ToolError (exit 3)."""
    config, workspace = load(root)
    proj = project(root, config, workspace)
    wanted = set(select(proj.specs, list(services))) if services else set(proj.specs)
    with session(root, spawn=False) as s:
        bridge = s.bridge
        running = sorted({p.name for p in s.list() if p.status == "online" and p.name != MONITOR_APP} & wanted)
        if bridge is None or not running:
            raise ToolError("nothing of this project is running", hint="start the services with `cigen up`")
        recorded = read_manifest(proj.run_dir)
        manifest = new_manifest(config.monitor, time.time())
        manifest.proxies.update((e.port, e.target) for e in proxy_table(root).values())
        for name in running:
            startup = recorded.services[name].startup if recorded and name in recorded.services else None
            manifest.services[name] = watched(proj, name, log_sizes(proj, name), startup)
        with tempfile.TemporaryDirectory(prefix="cigen-monitor-") as folder:
            write_manifest(Path(folder), manifest)
            sampler = Sampler(Path(folder), manifest, lambda: bridge.list(modules=True), home=s.home)
            bridge.subscribe(sampler.on_event)
            on_start(Watching(tuple(running), max(len(n) for n in running)))
            _sample(sampler, duration, on_tick)
            report = load_report(Path(folder))
    assert report is not None  # written above
    return report


def _sample(sampler: Sampler, duration: float | None, on_tick: Tick) -> None:
    stop = threading.Event()
    timer = threading.Timer(duration, stop.set) if duration is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        sampler.run(stop, on_tick)
    except KeyboardInterrupt:
        pass  # Ctrl-C ends the watch: the report of what was seen follows
    finally:
        if timer is not None:
            timer.cancel()


def last_run(root: Path) -> dict[str, Any]:
    """The report of the run ``cigen up`` recorded last (it may still run); a ToolError when there is none."""
    folder = run_folder(root, load_config(root))
    report = load_report(folder)
    if report is None:
        raise ToolError(f"no run is recorded in {folder.relative_to(root).as_posix()}",
                        hint="`cigen up` records one (unless monitor.enabled is false)")
    return report
