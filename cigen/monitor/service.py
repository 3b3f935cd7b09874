"""Starting the run's sampler as a process of the project's PM2 daemon, and recording a run's start.

Why a PM2 process, not a thread of ``cigen up`` or a background child of it:
``cigen up`` ends once the services are healthy (in CI it is one step, the
tests are the next), so the sampler must outlive it, and must end with the
stack, never before and never after: PM2 already keeps the stack's processes
and nothing else, restarts the sampler if it dies, and ``cigen down``, which
stops the daemon and all it runs, stops it first (see
:func:`cigen.runtime.daemon.kill_daemon`). A second ``cigen up`` while it runs
adds its services to the manifest, and the running sampler watches them too.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

from cigen.monitor.run import RECORDS, Manifest, Startup, append, new_manifest, read_manifest, watched, write_manifest
from cigen.runtime.apps import MONITOR_APP
from cigen.runtime.daemon import Proc, Session
from cigen.runtime.pm2 import find_pm2
from cigen.runtime.project import Project
from cigen.runtime.proxies import proxy_table
from cigen.runtime.report import UpResult

_KILL_TIMEOUT_MS = 5000  # SIGINT to SIGKILL: time to write its last sample


def sampler_app(project: Project, session: Session) -> dict[str, Any]:
    """The PM2 app of the sampler: this Python, ``-m cigen.monitor``, logs in the run folder."""
    folder = project.run_dir
    return {
        "name": MONITOR_APP, "namespace": project.namespace,
        "script": sys.executable, "args": ["-m", "cigen.monitor", str(project.root), str(folder)],
        "interpreter": "none", "exec_mode": "fork", "cwd": str(project.root),
        "env": {"CIGEN_PM2": str(find_pm2(project.root).executable), "CIGEN_PM2_HOME": str(session.home),
                "PYTHONUNBUFFERED": "1"},
        "autorestart": True, "max_restarts": 3, "min_uptime": 1000, "kill_timeout": _KILL_TIMEOUT_MS,
        "out_file": str(folder / "sampler.out.log"), "error_file": str(folder / "sampler.err.log"),
        "merge_logs": True, "watch": False,
    }


def record_up(project: Project, session: Session, result: UpResult, offsets: dict[str, tuple[int, int]]) -> bool:
    """Write the run's manifest for what ``cigen up`` started, and start the sampler unless it runs already;
    True when a sampler runs. A failed start is recorded too (the report then shows the failure)."""
    cfg = project.config.monitor
    usable = session.bridge is not None and not session.daemon_stopped  # a failed up may have stopped the daemon
    running = _sampler(session) if usable else None
    folder = project.run_dir
    manifest = read_manifest(folder) if running is not None else None
    if manifest is None:  # a new run: what an earlier run recorded goes
        shutil.rmtree(folder, ignore_errors=True)
        manifest = new_manifest(cfg, min((s.requested_at for s in result.services if s.requested_at), default=time.time()))
    services = dict(manifest.services)
    for outcome in result.services:
        if outcome.name not in project.specs:
            continue  # a proxy cigen up put in front of a service: its connections count for the service
        if outcome.name in services and outcome.adopted:
            continue  # already watched since it started
        startup = None
        if outcome.requested_at is not None:
            healthy = outcome.requested_at + outcome.healthy_after if outcome.healthy_after is not None else None
            startup = Startup(outcome.requested_at, outcome.launched_at, None if outcome.adopted else healthy,
                              outcome.probes, outcome.probe_failures, outcome.probe_gap)
        services[outcome.name] = watched(project, outcome.name, offsets.get(outcome.name, (0, 0)), startup)
    proxies = {e.port: e.target for e in proxy_table(project.root).values()}
    write_manifest(folder, Manifest(manifest.started, manifest.interval, manifest.probe_every, manifest.quoted_hits,
                                    services, {**manifest.proxies, **proxies}))
    if result.failure is not None:
        append(folder, [{"t": time.time(), "kind": "event", "service": result.failure.service, "what": "gate_failed",
                         "detail": result.failure.reason}])
    if not result.ok or not cfg.enabled or not usable or session.bridge is None:
        return False
    if running is not None and running.status == "online":
        return True
    if running is not None:
        session.bridge.call("delete", name=MONITOR_APP)
    (folder / RECORDS).touch()
    session.bridge.call("start", app=sampler_app(project, session))
    return True


def _sampler(session: Session) -> Proc | None:
    return next((p for p in session.list() if p.name == MONITOR_APP), None)
