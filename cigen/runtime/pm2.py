"""Finding pm2, giving each project its own PM2_HOME, its locks, and which of its processes still run.

Each project (repository root) gets its own ``PM2_HOME``, so ``cigen down``
can stop the daemon without touching a user's other PM2 processes. The folder
is short on purpose: PM2 puts its unix sockets there and a socket path is
limited to 107 bytes. It lives under ``$XDG_RUNTIME_DIR`` or
``/tmp/cigen-<uid>`` (created 0700, refused when another user owns it), named
by a hash of the root. ``$CIGEN_PM2_HOME`` overrides it. Talking to the daemon
is :mod:`cigen.runtime.daemon`'s job.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cigen.errors import ToolError
from cigen.runtime.apps import MONITOR_APP
from cigen.reporting import progress

PM2_VERSION = "7.0.4"  # the version cigen is tested with; CI installs exactly this one
MIN_PM2_MAJOR = 5
_SOCKET_LIMIT = 107  # bytes in sun_path, less the terminating NUL
_LONGEST_SOCKET = "interactor.sock"
_INSTALL_HINT = f"install it: npm install --save-dev pm2@{PM2_VERSION} (or set CIGEN_PM2 to a pm2 executable)"


@dataclass(frozen=True, slots=True)
class Pm2Install:
    executable: Path
    package: Path  # the folder of pm2's package.json
    version: str


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
    # lazy: psutil (~10 ms) is for the commands that look at processes; cigen generate reads PM2_VERSION here
    from cigen.runtime import processes

    return processes.alive(pid)


def daemon_pid(home: Path) -> int | None:
    """The PID of the project's PM2 daemon when it runs; a live PID in ``pm2.pid`` that is not that daemon
    (a reused PID, a file someone wrote) is left alone, with a warning."""
    # lazy: psutil, as in alive()
    from cigen.runtime import processes

    return processes.daemon(home)


@contextlib.contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """Exclusive lock of one project's daemon: held while it may be spawned or killed."""
    with _exclusive(home / "cigen.lock"):
        yield


@contextlib.contextmanager
def project_lock(home: Path, command: str) -> Iterator[None]:
    """Held by ``cigen up`` and ``cigen down`` from start to end, so that two never work on one project at once.

    The second waits, saying for which command and PID, as cargo and apt do on their locks: waiting
    is what a second ``up`` needs (the first one's services are then healthy, and it leaves them
    running), and a ``down`` after an ``up`` must stop what that ``up`` started, not race it. Ctrl-C
    ends the wait.
    """
    def waiting(holder: str) -> None:
        progress(f"waiting for {holder or 'another cigen up or down'} to finish in this project")

    with _exclusive(home / "project.lock", holder=f"{command} (pid {os.getpid()})", waiting=waiting):
        yield


@contextlib.contextmanager
def _exclusive(path: Path, *, holder: str = "", waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """An exclusive flock on ``path`` (created with its folder), noting ``holder`` in it for whoever waits."""
    while True:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is not None:
                    handle.seek(0)
                    waiting(handle.read().strip())
                    waiting = None  # said once
                fcntl.flock(handle, fcntl.LOCK_EX)
            # The holder before may have removed the folder, the file with it (cigen down does): a lock
            # on a removed file keeps nobody out, so it is taken again on the file that is there now.
            try:
                current = os.stat(path)
            except FileNotFoundError:
                continue
            mine = os.fstat(handle.fileno())
            if (current.st_dev, current.st_ino) != (mine.st_dev, mine.st_ino):
                continue
            handle.truncate(0)
            handle.write(holder)
            handle.flush()
            yield  # closing the file releases the lock
            return


def orphans(home: Path) -> set[int]:
    """Processes PM2 started from ``home`` that still run (their daemon may be gone), and their children.

    Each PID of PM2's pid files is checked to be this project's before it counts (see
    :mod:`cigen.runtime.processes`), so a reused PID is never taken for one. The run's sampler is no
    such process: it ends by itself once its daemon is gone (``cigen down`` stops it by PID all the same).
    """
    # lazy: psutil, as in alive()
    from cigen.runtime import processes

    sampler = processes.file_name(MONITOR_APP)
    found = {owned.pid for owned in processes.services(home) if owned.name != sampler}
    return found | processes.descendants(found)
