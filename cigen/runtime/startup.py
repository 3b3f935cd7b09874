"""``cigen up`` from start to end: the daemon spawns while the workspace is read, then the gates run.

Whatever ends the run (a failed gate, Ctrl-C, SIGTERM, a broken daemon), what
this run started is stopped (unless ``keep`` after a failed gate), and the
daemon too when this run spawned it and nothing else runs in it. A daemon that
dies ends the run at once: what the run started is stopped by PID, and the
error says so. The run holds the project's lock from start to end, so a second
``cigen up`` (or a ``cigen down``) waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cigen.config.runtime import LogRotationConfig
from cigen.runtime import logrotate
from cigen.runtime.daemon import Connecting, DaemonDied, Session, shutdown_if_idle
from cigen.runtime.orchestrate import Orchestrator, Progress
from cigen.runtime.pm2 import orphans, pm2_home, project_lock
from cigen.runtime.report import UpResult
from cigen.runtime.services import ServiceSpec
from cigen.runtime.signals import deferred, interruptible, shielded

Prepared = tuple[dict[str, ServiceSpec], list[str], dict[str, dict[str, Any]]]


def up(root: Path, prepare: Callable[[], Prepared], *, keep: bool = False,
       progress: Callable[[Progress], None] = lambda p: None, log_file: Path | None = None,
       log_rotation: LogRotationConfig | None = None,
       on_end: Callable[[Session, UpResult], None] | None = None) -> UpResult:
    """Start services under the project's PM2 daemon in dependency order, gating each on its health.

    ``prepare`` returns the specs, the start order and the PM2 apps; it runs while
    the daemon spawns, so reading the workspace costs no start-up time. SIGTERM
    interrupts as Ctrl-C does; either stops what this run started (and the
    daemon, when this run spawned it and nothing else runs in it).
    """
    home = pm2_home(root)
    with interruptible(), project_lock(home, "cigen up"):
        connecting: Connecting | None = None
        try:
            with deferred():  # a Ctrl-C between starting the spawn and holding it would leave its daemon behind
                connecting = Connecting(root, log_file=log_file)
            specs, order, apps = prepare()
            s = connecting.wait()
            if log_rotation is not None:
                if not any(p.name == logrotate.MODULE for p in s.list(modules=True)):
                    progress(Progress(logrotate.MODULE, "installing", "log rotation, from the npm registry"))
                logrotate.apply(s, log_rotation)
            result = _gate(s, root, specs, order, apps, keep=keep, progress=progress, log_file=log_file)
            if on_end is not None:
                on_end(s, result)
            return result
        except DaemonDied as died:
            if died.detail:
                raise
            raise DaemonDied(died.pid, " during cigen up, before it started any service",
                             hint=_log_hint(log_file)) from None
        except BaseException:
            with shielded():
                opened: Session | None = None
                if connecting is not None:
                    try:
                        opened = connecting.wait()
                    except BaseException:  # noqa: BLE001 - the original error is the one to report
                        opened = None
                if opened is not None:
                    shutdown_if_idle(opened)
            raise
        finally:
            if connecting is not None:
                connecting.close()


def _gate(s: Session, root: Path, specs: dict[str, ServiceSpec], order: list[str], apps: dict[str, dict[str, Any]],
          *, keep: bool, progress: Callable[[Progress], None], log_file: Path | None) -> UpResult:
    o = Orchestrator(s, specs, order, apps, progress)
    try:
        try:
            o.run()
        except DaemonDied as died:
            with shielded():
                by_pid = o.stop_by_pid()
                left = orphans(s.home)
            what = (f"stopped what this run started, by PID: {', '.join(by_pid)}" if by_pid
                    else "nothing this run started was running")
            if left:
                what += (f"; {len(left)} process{'es' if len(left) > 1 else ''} it ran before still run without it "
                         f"(pid{'s' if len(left) > 1 else ''} {', '.join(map(str, sorted(left)))}: `cigen down` stops them)")
            raise DaemonDied(died.pid, f" during cigen up; {what}", hint=_log_hint(log_file)) from None
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


def _log_hint(log_file: Path | None) -> str | None:
    return f"PM2's own log: {log_file}" if log_file is not None else None
