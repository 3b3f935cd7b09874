"""Finding pm2, giving each project its own PM2_HOME, and telling which processes still run.

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
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cigen.errors import ToolError

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


def reap(pids: set[int], grace: float) -> None:
    """Wait up to ``grace`` seconds for ``pids`` to exit, then SIGKILL what remains."""
    deadline = time.monotonic() + grace
    remaining = {p for p in pids if alive(p)}
    while remaining and time.monotonic() < deadline:
        time.sleep(0.05)
        remaining = {p for p in remaining if alive(p)}
    for pid in remaining:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
