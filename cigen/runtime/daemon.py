"""Talking to the project's PM2 daemon: the Node bridge, sessions, and stopping it.

Commands reach the daemon through a small Node bridge (``pm2_bridge.js``) that
uses PM2's programmatic API over one connection. The daemon is spawned by the
first ``connect`` with ``spawn``, under an exclusive file lock, so two
``cigen up`` started together never both spawn one.

A daemon that dies (``kill -9``, the OOM killer) leaves PM2's client waiting
for ever, so every call watches the daemon's PID and fails with
:class:`DaemonDied` within a fraction of a second; ``cigen down`` then stops
what is left by PID, each process checked to be this project's first
(:mod:`cigen.runtime.processes`), and so does it when pm2 itself is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cigen.adapters import proc
from cigen.errors import ToolError
from cigen.runtime import processes
from cigen.runtime.pm2 import Pm2Install, alive, daemon_pid, find_node, find_pm2, home_lock, orphans, pm2_home, project_lock

_BRIDGE = Path(__file__).with_name("pm2_bridge.js")
_WATCH = 0.1  # seconds between looks at the daemon's PID while waiting for an answer


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
    autorestart: bool  # PM2 starts it again when it exits


@dataclass(frozen=True, slots=True)
class ProcEvent:
    event: str  # exit, online, start, "restart overlimit", stop, delete, ...
    name: str
    pm_id: int
    exit_code: int | None
    status: str | None
    restarts: int
    manually: bool  # caused by a command (stop/delete), not by the process
    at: float | None = None  # epoch seconds when the daemon emitted it (its Date.now()), not when it was read


class DaemonDied(ToolError):
    """The project's PM2 daemon died while cigen was using it; ``detail`` says when and what was done."""

    def __init__(self, pid: int, detail: str = "", *, hint: str | None = None) -> None:
        super().__init__(f"the PM2 daemon (pid {pid}) died{detail}", hint=hint)
        self.pid = pid
        self.detail = detail


class Bridge:
    """A connection to one PM2 daemon through ``pm2_bridge.js``; requests answer with Futures.

    ``daemon`` is the PID to watch while waiting for an answer (None: no daemon known yet).
    """

    def __init__(self, install: Pm2Install, home: Path, *, log_file: Path | None) -> None:
        self.daemon: int | None = None
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
        """The answer to one request; DaemonDied as soon as the watched daemon is gone."""
        return self.wait(self.request(op, **fields), op, timeout)

    def wait(self, future: Future[Any], op: str, timeout: float) -> Any:
        """The answer of ``future`` (a request ``op``); DaemonDied as soon as the watched daemon is gone."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return future.result(timeout=max(0.0, min(_WATCH, deadline - time.monotonic())))
            except TimeoutError:
                self.check_daemon()
                if time.monotonic() >= deadline:
                    raise ToolError(f"PM2 did not answer {op!r} within {timeout:g} s", hint=self._log_hint()) from None

    def kill(self, timeout: float = 30.0) -> None:
        """Stop the daemon and everything it runs."""
        try:
            self.call("kill", timeout=timeout)
        except DaemonDied:
            pass  # it is gone before PM2's client said so: that was the request

    def check_daemon(self) -> None:
        """Raise DaemonDied when the watched daemon no longer runs."""
        if self.daemon is not None and not alive(self.daemon):
            raise DaemonDied(self.daemon)

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

    @property
    def daemon(self) -> int | None:
        """The daemon's PID (None without one)."""
        return self.bridge.daemon if self.bridge else None

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
        bridge.daemon = before  # a daemon that dies while we connect to it fails the connect at once
        try:
            try:
                info = bridge.call("connect", spawn=spawn, timeout=60)
            except Pm2Error as exc:  # the bridge saw the daemon it spawned die before it answered
                raise ToolError(str(exc), hint=f"see PM2's log, {log_file or home / 'pm2.log'}") from None
            bridge.daemon = daemon_pid(home) if info["daemon"] else None
        except BaseException:
            bridge.close()
            spawned = daemon_pid(home)
            if before is None and spawned is not None:  # interrupted right after spawning: undo it
                os.kill(spawned, signal.SIGTERM)
                processes.reap({spawned}, 5.0)
            raise
    try:
        yield Session(home, bridge if info["daemon"] else None, spawned=bool(info["spawned"]))
    finally:
        bridge.close()


class Connecting:
    """A spawning session opened in the background, so the daemon starts while cigen reads the workspace.

    ``wait()`` returns the session (or raises what opening it raised); ``close()``
    ends it. Both may be called from the thread that created it, again after a
    Ctrl-C interrupted one of them: they wait on an Event, not on Thread.join,
    which a KeyboardInterrupt can leave believing the thread has ended (Python
    3.11), so the daemon it was spawning went unseen and outlived cigen.
    """

    def __init__(self, root: Path, *, log_file: Path | None) -> None:
        self._manager = session(root, spawn=True, log_file=log_file)
        self._outcome: Session | BaseException | None = None
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._open, name="pm2-connect", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        try:
            self._outcome = self._manager.__enter__()
        except BaseException as exc:  # noqa: BLE001 - handed to wait()
            self._outcome = exc
        finally:
            self._opened.set()

    def wait(self) -> Session:
        self._opened.wait()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome

    def close(self) -> None:
        self._opened.wait()
        if isinstance(self._outcome, Session):
            self._manager.__exit__(None, None, None)


def shutdown_if_idle(s: Session, *, grace: float = 5.0) -> bool:
    """Stop the daemon that session ``s`` spawned when no process runs in it; True when stopped."""
    if not s.spawned or s.bridge is None or s.daemon_stopped:
        return False
    with home_lock(s.home):
        pid = s.daemon
        try:
            if s.bridge.list():
                return False
        except DaemonDied:
            return False  # nothing to stop through it; what it ran is the caller's to stop by PID
        s.bridge.kill()
        processes.reap({pid} if pid else set(), grace)
        shutil.rmtree(s.home, ignore_errors=True)
    s.daemon_stopped = True
    return True


@dataclass(frozen=True)
class Stopped:
    daemon: bool  # a daemon ran, and was stopped
    procs: list[Proc]  # what the daemon ran, stopped through PM2
    orphans: list[int]  # pids of processes left behind by a daemon that had died
    by_pid: list[str] = field(default_factory=list)  # what was stopped by PID as PM2 could not be used (`why`)
    why: str | None = None  # why PM2 could not be used: pm2 is missing, or its daemon does not answer


def kill_daemon(root: Path, *, grace: float = 5.0, first: tuple[str, ...] = ()) -> Stopped:
    """Stop every process of the project, then its daemon. Nothing survives: each is checked by PID.

    Through PM2 when it can. By PID when pm2 is missing or the daemon does not answer: the daemon
    first (SIGKILL, so that it cannot restart what is being stopped), then every process of its pid
    files and what they started, SIGINT and after ``grace`` SIGKILL, as PM2 itself stops them. Only
    processes checked to be this project's are signalled (see :mod:`cigen.runtime.processes`).
    The apps named ``first`` (the run's sampler) are stopped before the rest and left out of ``procs``.
    """
    home = pm2_home(root)
    with project_lock(home, "cigen down"), home_lock(home):
        pid = daemon_pid(home)
        owned = processes.services(home)  # read first: PM2 removes a process's pid file when it exits
        if pid is None:
            stopped = Stopped(False, [], sorted(orphans(home)))
            processes.stop({o.pid for o in owned}, grace)
        else:
            try:
                stopped = _kill_through_pm2(find_pm2(root), home, pid, grace, first)
            except (ToolError, Pm2Error) as exc:
                every = {pid} | {o.pid for o in owned}
                below = processes.descendants(every)  # found before the daemon dies: its children move away
                processes.signal_all({pid}, signal.SIGKILL)
                processes.stop((every | below) - {pid}, grace)
                processes.reap({pid}, grace)
                why = exc.message if isinstance(exc, ToolError) else str(exc)
                names = {o.name for o in owned} - {processes.file_name(n) for n in first}
                stopped = Stopped(True, [], [], sorted(names), why)
        shutil.rmtree(home, ignore_errors=True)
    return stopped


def _kill_through_pm2(install: Pm2Install, home: Path, pid: int, grace: float, first: tuple[str, ...]) -> Stopped:
    """Stop everything through the daemon, then wait for each process by PID; raises when it does not answer."""
    bridge = Bridge(install, home, log_file=None)
    bridge.daemon = pid
    try:
        bridge.call("connect", spawn=False, timeout=30)
        for name in first:
            if any(p.name == name for p in bridge.list()):
                bridge.call("delete", name=name, timeout=30)
        everything = bridge.list(modules=True)
        app_pids = {p.pid for p in everything if p.pid}
        watched = {pid} | app_pids | processes.descendants(app_pids)
        bridge.kill(timeout=30 + 2.0 * len(everything))
    finally:
        bridge.close()
    left = orphans(home) - watched  # started by a daemon before this one, or not listed by it
    processes.stop(left, grace)
    processes.reap(watched, grace)
    return Stopped(True, [p for p in everything if not p.module and p.name not in first], sorted(left))
