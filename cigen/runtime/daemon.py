"""Talking to the project's PM2 daemon: the Node bridge, sessions, and stopping it.

Commands reach the daemon through a small Node bridge (``pm2_bridge.js``) that
uses PM2's programmatic API over one connection. The daemon is spawned by the
first ``connect`` with ``spawn``, under an exclusive file lock, so two
``cigen up`` started together never both spawn one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cigen.adapters import proc
from cigen.errors import ToolError
from cigen.runtime.pm2 import Pm2Install, daemon_pid, descendants, find_node, find_pm2, home_lock, orphans, pm2_home, reap

_BRIDGE = Path(__file__).with_name("pm2_bridge.js")


@dataclass(frozen=True, slots=True)
class Proc:
    """One PM2 process, as ``pm2 jlist`` would show it."""

    name: str
    pm_id: int
    pid: int | None
    status: str  # online, launching, stopping, stopped, errored, "waiting restart"
    restarts: int
    unstable_restarts: int
    exit_code: int | None
    uptime_since: float | None  # epoch milliseconds
    cpu: float | None
    memory: int | None
    out_log: str | None
    err_log: str | None
    spec_hash: str | None
    module: bool  # a PM2 module (pm2-logrotate), not a service


@dataclass(frozen=True, slots=True)
class ProcEvent:
    event: str  # exit, online, start, "restart overlimit", stop, delete, ...
    name: str
    pm_id: int
    exit_code: int | None
    status: str | None
    restarts: int
    manually: bool  # caused by a command (stop/delete), not by the process


class Bridge:
    """A connection to one PM2 daemon through ``pm2_bridge.js``; requests answer with Futures."""

    def __init__(self, install: Pm2Install, home: Path, *, log_file: Path | None) -> None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        env = {**os.environ, "PM2_HOME": str(home), "PM2_NO_INTERACTION": "true", "PM2_DISCRETE_MODE": "true"}
        if log_file is not None:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            env["PM2_LOG_FILE_PATH"] = str(log_file)  # the daemon's own log, next to the services' logs
        self._deliver: Callable[[ProcEvent], None] = lambda event: None
        self._pending: dict[int, Future[Any]] = {}
        self._next_id = 0
        self._lock = threading.Lock()
        self._stderr_path = home / "bridge.log"
        # spawn, not run: the bridge is a long-lived peer we talk to while it runs.
        # Its own session keeps a terminal's Ctrl-C away from it: cigen decides what to stop.
        with open(self._stderr_path, "ab") as stderr:
            self._proc = proc.spawn([find_node(), str(_BRIDGE), str(install.package)], stdin=proc.PIPE,
                                    stdout=proc.PIPE, stderr=stderr, cwd=home, env=env, new_session=True)
        self._reader = threading.Thread(target=self._read, name="pm2-bridge", daemon=True)
        self._reader.start()

    def request(self, op: str, **fields: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            self._next_id += 1
            rid = self._next_id
            if self._proc.poll() is not None:
                future.set_exception(self._died())
                return future
            self._pending[rid] = future
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write((json.dumps({"id": rid, "op": op, **fields}) + "\n").encode())
                self._proc.stdin.flush()
            except OSError:
                self._pending.pop(rid, None)
                future.set_exception(self._died())
        return future

    def subscribe(self, deliver: Callable[[ProcEvent], None]) -> None:
        """Send process events to ``deliver`` from now on (events before it are dropped)."""
        self._deliver = deliver

    def call(self, op: str, timeout: float = 30.0, **fields: Any) -> Any:
        try:
            return self.request(op, **fields).result(timeout=timeout)
        except TimeoutError as exc:
            raise ToolError(f"PM2 did not answer {op!r} within {timeout:g} s", hint=self._log_hint()) from exc

    def list(self, *, modules: bool = False) -> list[Proc]:
        """The daemon's processes; PM2 modules (pm2-logrotate) only with ``modules``."""
        return [process for process in (Proc(**p) for p in self.call("list")) if modules or not process.module]

    def close(self) -> None:
        if self._proc.stdin and not self._proc.stdin.closed:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except proc.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=1)

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for raw in self._proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if "event" in message:
                if message.get("name") is not None and message.get("pm_id") is not None:
                    self._deliver(ProcEvent(**message))
                continue
            with self._lock:
                future = self._pending.pop(message.get("id"), None)
            if future is None:
                continue
            if message.get("ok"):
                future.set_result(message.get("result"))
            else:
                future.set_exception(Pm2Error(message.get("error") or "unknown PM2 error"))
        with self._lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_exception(self._died())

    def _died(self) -> ToolError:
        return ToolError(f"the PM2 bridge exited (code {self._proc.poll()})", hint=self._log_hint())

    def _log_hint(self) -> str:
        try:
            tail = self._stderr_path.read_text(errors="replace").strip().splitlines()[-3:]
        except OSError:
            tail = []
        return "; ".join(tail) if tail else f"see {self._stderr_path}"


class Pm2Error(Exception):
    """PM2 refused a request (a script that does not exist, an unknown name)."""


@dataclass
class Session:
    home: Path
    bridge: Bridge | None  # None when no daemon runs and the session was not allowed to spawn one
    spawned: bool  # this session spawned the daemon
    daemon_stopped: bool = False  # this session stopped it again (nothing of the run was left)

    def list(self, *, modules: bool = False) -> list[Proc]:
        return self.bridge.list(modules=modules) if self.bridge else []


@contextlib.contextmanager
def session(root: Path, *, spawn: bool, log_file: Path | None = None) -> Iterator[Session]:
    """A connection to the project's daemon; ``spawn`` starts one when none runs (under the lock)."""
    home = pm2_home(root)
    if not spawn and daemon_pid(home) is None:
        # Nothing to talk to; do not start a bridge (or a daemon) just to find that out.
        yield Session(home, None, spawned=False)
        return
    install = find_pm2(root)
    with home_lock(home):
        before = daemon_pid(home)
        left = orphans(home) if before is None else set()
        if left:
            # A daemon that died (killed, OOM) leaves its processes running and holding their ports;
            # a new daemon would not know them, and would overwrite their pid files.
            raise ToolError(f"{len(left)} process{'es' if len(left) > 1 else ''} of this project still run without "
                            f"their PM2 daemon (pid{'s' if len(left) > 1 else ''} {', '.join(map(str, sorted(left)))}): it died",
                            hint="run `cigen down` to stop them")
        bridge = Bridge(install, home, log_file=log_file)
        try:
            info = bridge.call("connect", spawn=spawn, timeout=60)
        except BaseException:
            bridge.close()
            spawned = daemon_pid(home)
            if before is None and spawned is not None:  # interrupted right after spawning: undo it
                os.kill(spawned, signal.SIGTERM)
                reap({spawned}, 5.0)
            raise
    try:
        yield Session(home, bridge if info["daemon"] else None, spawned=bool(info["spawned"]))
    finally:
        bridge.close()


class Connecting:
    """A spawning session opened in the background, so the daemon starts while cigen reads the workspace.

    ``wait()`` returns the session (or raises what opening it raised); ``close()``
    ends it. Both may be called from the thread that created it.
    """

    def __init__(self, root: Path, *, log_file: Path | None) -> None:
        self._manager = session(root, spawn=True, log_file=log_file)
        self._outcome: Session | BaseException | None = None
        self._thread = threading.Thread(target=self._open, name="pm2-connect", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        try:
            self._outcome = self._manager.__enter__()
        except BaseException as exc:  # noqa: BLE001 - handed to wait()
            self._outcome = exc

    def wait(self) -> Session:
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome

    def close(self) -> None:
        self._thread.join()
        if isinstance(self._outcome, Session):
            self._manager.__exit__(None, None, None)


def shutdown_if_idle(s: Session, *, grace: float = 5.0) -> bool:
    """Stop the daemon that session ``s`` spawned when no process runs in it; True when stopped."""
    if not s.spawned or s.bridge is None or s.daemon_stopped:
        return False
    with home_lock(s.home):
        if s.bridge.list():
            return False
        pid = daemon_pid(s.home)
        s.bridge.call("kill", timeout=30)
        reap({pid} if pid else set(), grace)
        shutil.rmtree(s.home, ignore_errors=True)
    s.daemon_stopped = True
    return True


@dataclass(frozen=True)
class Stopped:
    procs: list[Proc]  # what the daemon ran
    orphans: list[int]  # pids of processes left behind by a daemon that had died


def kill_daemon(root: Path, *, grace: float = 5.0) -> Stopped:
    """Stop every process of the project, then its daemon. Nothing survives: each is checked by PID."""
    home = pm2_home(root)
    procs: list[Proc] = []
    with home_lock(home):
        pid = daemon_pid(home)
        watched: set[int] = set()
        if pid is not None:
            install = find_pm2(root)
            bridge = Bridge(install, home, log_file=None)
            try:
                bridge.call("connect", spawn=False, timeout=30)
                everything = bridge.list(modules=True)
                procs = [p for p in everything if not p.module]
                app_pids = {p.pid for p in everything if p.pid}
                watched = {pid} | app_pids | descendants(app_pids)
                bridge.call("kill", timeout=30 + 2.0 * len(everything))
            except (ToolError, Pm2Error):
                watched |= {pid} | descendants({pid})  # the daemon does not answer: kill it ourselves
            finally:
                bridge.close()
        left = orphans(home) - watched
        for orphan in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(orphan, signal.SIGTERM)
        reap(watched | left, grace)
        shutil.rmtree(home, ignore_errors=True)
    return Stopped(procs, sorted(left))
