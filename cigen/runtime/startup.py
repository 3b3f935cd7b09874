"""``cigen up`` from start to end: the daemon spawns while the workspace is read, then the gates run.

Whatever ends the run (a failed gate, Ctrl-C, SIGTERM, a broken daemon), what
this run started is stopped (unless ``keep`` after a failed gate), and the
daemon too when this run spawned it and nothing else runs in it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cigen.config.runtime import LogRotationConfig
from cigen.runtime import logrotate
from cigen.runtime.daemon import Connecting, Session, shutdown_if_idle
from cigen.runtime.orchestrate import Orchestrator, Progress
from cigen.runtime.report import UpResult
from cigen.runtime.services import ServiceSpec
from cigen.runtime.signals import interruptible, shielded

Prepared = tuple[dict[str, ServiceSpec], list[str], dict[str, dict[str, Any]]]


def up(root: Path, prepare: Callable[[], Prepared], *, keep: bool = False,
       progress: Callable[[Progress], None] = lambda p: None, log_file: Path | None = None,
       log_rotation: LogRotationConfig | None = None) -> UpResult:
    """Start services under the project's PM2 daemon in dependency order, gating each on its health.

    ``prepare`` returns the specs, the start order and the PM2 apps; it runs while
    the daemon spawns, so reading the workspace costs no start-up time. SIGTERM
    interrupts as Ctrl-C does; either stops what this run started (and the
    daemon, when this run spawned it and nothing else runs in it).
    """
    with interruptible():
        connecting = Connecting(root, log_file=log_file)
        try:
            specs, order, apps = prepare()
            s = connecting.wait()
            if log_rotation is not None:
                if not any(p.name == logrotate.MODULE for p in s.list(modules=True)):
                    progress(Progress(logrotate.MODULE, "installing", "log rotation, from the npm registry"))
                logrotate.apply(s, log_rotation)
            return _gate(s, root, specs, order, apps, keep=keep, progress=progress)
        except BaseException:
            with shielded():
                try:
                    s = connecting.wait()
                except BaseException:  # noqa: BLE001 - the original error is the one to report
                    s = None
                if s is not None:
                    shutdown_if_idle(s)
            raise
        finally:
            connecting.close()


def _gate(s: Session, root: Path, specs: dict[str, ServiceSpec], order: list[str], apps: dict[str, dict[str, Any]],
          *, keep: bool, progress: Callable[[Progress], None]) -> UpResult:
    o = Orchestrator(s, specs, order, apps, progress)
    try:
        try:
            o.run()
        except BaseException:
            # Ctrl-C, SIGTERM or a broken daemon: leave nothing of this run behind (the caller stops the daemon).
            with shielded():
                o.settle()
                o.stop_started()
            raise
        stopped: list[str] = []
        daemon_stopped = False
        if o.failed is not None:
            with shielded():
                o.snapshot_failure()
                o.settle()
                if not keep:
                    stopped = o.stop_started()
                    daemon_stopped = shutdown_if_idle(s)
        return o.result(stopped=stopped, kept=keep, daemon_stopped=daemon_stopped, root=root)
    finally:
        o.probes.shutdown(wait=False, cancel_futures=True)  # a probe still running ends at its own timeout
