"""The PM2 client: find pm2, give each project its own daemon, and talk to it.

Each project (repository root) gets its own ``PM2_HOME``, so ``cigen down``
can stop the daemon without touching a user's other PM2 processes. The folder
is short on purpose: PM2 puts its unix sockets there and a socket path is
limited to 107 bytes. It lives under ``$XDG_RUNTIME_DIR`` or
``/tmp/cigen-<uid>`` (created 0700, refused when another user owns it), named
by a hash of the root. ``$CIGEN_PM2_HOME`` overrides it.

Commands reach the daemon through a small Node bridge (``pm2_bridge.js``) that
uses PM2's programmatic API over one connection. The daemon is spawned by the
first ``connect`` with ``spawn``, under an exclusive file lock, so two
``cigen up`` started together never both spawn one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import queue
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cigen.errors import ToolError

PM2_VERSION = "7.0.4"  # the version cigen is tested with; CI installs exactly this one
MIN_PM2_MAJOR = 5
_SOCKET_LIMIT = 107  # bytes in sun_path, less the terminating NUL
_LONGEST_SOCKET = "interactor.sock"
_BRIDGE = Path(__file__).with_name("pm2_bridge.js")
_INSTALL_HINT = f"install it: npm install --save-dev pm2@{PM2_VERSION} (or set CIGEN_PM2 to a pm2 executable)"


@dataclass(frozen=True, slots=True)
class Pm2Install:
    executable: Path
    package: Path  # the folder of pm2's package.json
    version: str


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


def find_pm2(root: Path) -> Pm2Install:
    """``$CIGEN_PM2``, else ``<root>/node_modules/.bin/pm2``, else ``pm2`` on PATH."""
    candidates: list[Path] = []
    if os.environ.get("CIGEN_PM2"):
        candidates.append(Path(os.environ["CIGEN_PM2"]))
    else:
        candidates.append(root / "node_modules" / ".bin" / "pm2")
        on_path = shutil.which("pm2")
        if on_path:
            candidates.append(Path(on_path))
    for exe in candidates:
        if exe.is_file():
            package = _package_of(exe)
            version = json.loads((package / "package.json").read_text())["version"]
            if int(version.split(".")[0]) < MIN_PM2_MAJOR:
                raise ToolError(f"pm2 {version} at {exe} is too old (cigen needs {MIN_PM2_MAJOR} or later)",
                                hint=_INSTALL_HINT)
            return Pm2Install(exe, package, version)
    raise ToolError("pm2 was not found (looked at $CIGEN_PM2, node_modules/.bin/pm2 and PATH)", hint=_INSTALL_HINT)


def _package_of(exe: Path) -> Path:
    """pm2's package folder from its executable: a symlink into it (npm) or a shim beside it (pnpm)."""
    for start in (exe.resolve(), exe.parent.parent / "pm2" / "bin" / "pm2"):
        for folder in start.parents:
            manifest = folder / "package.json"
            if manifest.is_file():
                with contextlib.suppress(ValueError, OSError):
                    if json.loads(manifest.read_text()).get("name") == "pm2":
                        return folder.resolve()
                break
    raise ToolError(f"{exe} does not belong to a pm2 package", hint=_INSTALL_HINT)


def find_node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ToolError("node was not found on PATH (PM2 runs on Node.js)", hint="install Node.js 18 or later")
    return node


def pm2_home(root: Path) -> Path:
    """This project's PM2_HOME: short, private to the user, stable for the root."""
    if os.environ.get("CIGEN_PM2_HOME"):
        home = Path(os.environ["CIGEN_PM2_HOME"])
    else:
        digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
        runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
        if runtime_dir and os.path.isdir(runtime_dir) and os.access(runtime_dir, os.W_OK):
            base = Path(runtime_dir) / "cigen"
        else:
            base = Path(tempfile.gettempdir()) / f"cigen-{os.getuid()}"
        _private_dir(base)
        home = base / digest
    if len(os.fsencode(home / _LONGEST_SOCKET)) > _SOCKET_LIMIT:
        raise ToolError(f"PM2_HOME {home} is too long for PM2's unix sockets ({_SOCKET_LIMIT} bytes)",
                        hint="set CIGEN_PM2_HOME to a shorter folder, such as /tmp/cigen-pm2")
    return home


def _private_dir(path: Path) -> None:
    """Create ``path`` 0700, or check that an existing one is a real folder of ours that nobody else can write."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise ToolError(f"{path} is not a private folder of this user (a symlink, another owner, or writable by others)",
                        hint="remove it, or set CIGEN_PM2_HOME to a folder of your own")


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all we have
    return stat_line.rpartition(")")[2].split()[0] != "Z"


def descendants(pids: set[int]) -> set[int]:
    """Every process under ``pids`` (children of children...), from /proc; empty without it."""
    parent_of: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    fields = Path(entry.path, "stat").read_text().rpartition(")")[2].split()
                    parent_of[int(entry.name)] = int(fields[1])
    found, frontier = set(), set(pids)
    while frontier:
        frontier = {pid for pid, ppid in parent_of.items() if ppid in frontier and pid not in found}
        found |= frontier
    return found


def daemon_pid(home: Path) -> int | None:
    """The PID of the project's PM2 daemon when it runs."""
    try:
        pid = int((home / "pm2.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


@contextlib.contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """Exclusive lock of one project's daemon: held while it may be spawned or killed."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(home / "cigen.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
        # Popen, not cigen.proc.run: the bridge is a long-lived peer we talk to while it runs.
        # Its own session keeps a terminal's Ctrl-C away from it: cigen decides what to stop.
        with open(self._stderr_path, "ab") as stderr:
            self._proc = subprocess.Popen(
                [find_node(), str(_BRIDGE), str(install.package)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=stderr, cwd=home, env=env, start_new_session=True,
            )
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
        return [proc for proc in (Proc(**p) for p in self.call("list")) if modules or not proc.module]

    def close(self) -> None:
        if self._proc.stdin and not self._proc.stdin.closed:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
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
        bridge = Bridge(install, home, log_file=log_file)
        try:
            info = bridge.call("connect", spawn=spawn, timeout=60)
        except BaseException:
            bridge.close()
            spawned = daemon_pid(home)
            if before is None and spawned is not None:  # interrupted right after spawning: undo it
                os.kill(spawned, signal.SIGTERM)
                _reap({spawned}, 5.0)
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
        _reap({pid} if pid else set(), grace)
        shutil.rmtree(s.home, ignore_errors=True)
    s.daemon_stopped = True
    return True


def kill_daemon(root: Path, *, grace: float = 5.0) -> list[Proc]:
    """Stop every process of the project, then its daemon; return what ran. Nothing survives (checked by PID)."""
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
        _reap(watched | orphans(home), grace)
        shutil.rmtree(home, ignore_errors=True)
    return procs


def orphans(home: Path) -> set[int]:
    """Processes PM2 started from ``home`` that still run (their daemon may be gone).

    PM2 leaves a pid file per process; a PID is only trusted when the process's
    environment still names this PM2_HOME, so a recycled PID is never killed.
    """
    found: set[int] = set()
    marker = f"PM2_HOME={home}".encode()
    for pid_file in (home / "pids").glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip())
            if alive(pid) and marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                found.add(pid)
    return found | descendants(found)


def _reap(pids: set[int], grace: float) -> None:
    """Wait up to ``grace`` seconds for ``pids`` to exit, then SIGKILL what remains."""
    deadline = time.monotonic() + grace
    remaining = {p for p in pids if alive(p)}
    while remaining and time.monotonic() < deadline:
        time.sleep(0.05)
        remaining = {p for p in remaining if alive(p)}
    for pid in remaining:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
