"""This project's PM2 processes, told apart from whatever else now has their PIDs, and stopped by PID.

PM2 keeps PIDs in files: ``pm2.pid`` for its daemon, ``pids/<name>-<pm_id>.pid`` for each process
it runs. A PID in a file is only a claim: the process may be long gone and its PID handed to an
unrelated program (PIDs are recycled), or someone else may have written the file. Before cigen
signals a PID it checks, through psutil (the same on Linux and macOS):

- the process's environment names this project's ``PM2_HOME`` (PM2 hands it to its daemon and to
  every process the daemon starts);
- it started no later than the file was written (a recycled PID belongs to a later process);
- for the daemon, its command line is PM2's: the title ``PM2 vX.Y.Z: God Daemon (<PM2_HOME>)``
  (or ``$PM2_DAEMON_TITLE``), or ``node .../pm2/lib/Daemon.js`` before it sets that title.

A process that fails a check is left alone, and a warning says which and why.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from cigen.reporting import warn

# psutil derives start times from the boot time, which Linux gives in whole seconds: a start time can
# read up to a second early, never late. A second of slack keeps a real process from looking recycled.
_CLOCK_SLACK = 1.0
_PID_FILE = re.compile(r"(?P<name>.+)-(?P<pm_id>\d+)\.pid")
_warned: set[tuple[Path, int]] = set()  # each stranger is named once per command, not at every look


@dataclass(frozen=True, slots=True)
class Owned:
    """A live process of this project, as a PM2 pid file names it."""

    pid: int
    name: str  # its app's name as PM2 writes it in file names (see file_name)
    pm_id: int


def file_name(app: str) -> str:
    """An app's name as PM2 writes it in its pid file's name: what is not a letter, a digit, a backslash,
    a dot or a hyphen becomes a hyphen (``@shop/api`` -> ``-shop-api``)."""
    return re.sub(r"[^a-zA-Z0-9\\.\-]", "-", app)


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # it exists, and belongs to someone else


def daemon(home: Path) -> int | None:
    """The PID of the project's PM2 daemon when it runs (checked, see the module's docstring)."""
    claim = _claim(home / "pm2.pid")
    if claim is None:
        return None
    pid, written = claim
    why = _stranger(pid, home, written, daemon=True)
    if why is not None:
        _left_alone(home / "pm2.pid", pid, "this project's PM2 daemon", why)
        return None
    return pid


def services(home: Path) -> list[Owned]:
    """The live processes PM2 started from ``home`` (services and PM2 modules), each checked; their
    daemon may be gone. Sorted by PID."""
    found = []
    for pid_file in sorted((home / "pids").glob("*.pid")):
        claim = _claim(pid_file)
        named = _PID_FILE.fullmatch(pid_file.name)
        if claim is None or named is None:
            continue
        pid, written = claim
        why = _stranger(pid, home, written, daemon=False)
        if why is not None:
            _left_alone(pid_file, pid, "a process of this project's PM2", why)
            continue
        found.append(Owned(pid, named["name"], int(named["pm_id"])))
    return sorted(found, key=lambda owned: owned.pid)


def started(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), None when it is gone."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def descendants(pids: set[int]) -> set[int]:
    """Every live process under ``pids`` (children of children...)."""
    found: set[int] = set()
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            found.update(child.pid for child in psutil.Process(pid).children(recursive=True))
    return found - pids


def signal_all(pids: set[int], sig: int) -> None:
    """Send ``sig`` to each of ``pids`` that still runs."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def reap(pids: set[int], grace: float) -> None:
    """Wait up to ``grace`` seconds for ``pids`` to exit, then SIGKILL what remains."""
    deadline = time.monotonic() + grace
    remaining = {p for p in pids if alive(p)}
    while remaining and time.monotonic() < deadline:
        time.sleep(0.05)
        remaining = {p for p in remaining if alive(p)}
    signal_all(remaining, signal.SIGKILL)


def stop(pids: set[int], grace: float) -> None:
    """Stop ``pids`` and everything under them as PM2 would: SIGINT, then SIGKILL after ``grace`` s."""
    every = pids | descendants(pids)
    signal_all(every, signal.SIGINT)
    reap(every, grace)


def _claim(pid_file: Path) -> tuple[int, float] | None:
    """The live PID a pid file names, and when the file was written; None when it names none."""
    try:
        pid = int(pid_file.read_text().strip())
        written = pid_file.stat().st_mtime
    except (OSError, ValueError):
        return None
    return (pid, written) if pid > 0 and alive(pid) else None


def _stranger(pid: int, home: Path, written: float, *, daemon: bool) -> str | None:
    """None when ``pid`` is this project's (its daemon with ``daemon``); otherwise why it is not."""
    try:
        process = psutil.Process(pid)
        if process.create_time() > written + _CLOCK_SLACK:
            return "it started after the file was written: its PID was reused"
        environ = process.environ()
        if not _same_folder(environ.get("PM2_HOME"), home):
            return f"its PM2_HOME is {environ['PM2_HOME']}" if environ.get("PM2_HOME") else "it has no PM2_HOME"
        command = " ".join(process.cmdline()).strip()
    except psutil.NoSuchProcess:
        return "it exited"
    except psutil.AccessDenied:
        return "it belongs to another user"
    if daemon and not _pm2_daemon_command(command, environ):
        return f"its command line is {command[:80]!r}"
    return None


def _pm2_daemon_command(command: str, environ: dict[str, str]) -> bool:
    title = environ.get("PM2_DAEMON_TITLE")
    if command.startswith("PM2 v") or (title and command.startswith(title)):
        return True
    return re.search(r"[/\\]pm2[/\\]lib[/\\]Daemon\.js\b", command) is not None


def _same_folder(named: str | None, home: Path) -> bool:
    return named is not None and os.path.realpath(named) == os.path.realpath(home)


def _left_alone(pid_file: Path, pid: int, what: str, why: str) -> None:
    if (pid_file, pid) in _warned:
        return
    _warned.add((pid_file, pid))
    warn(f"{pid_file} names pid {pid}, which is not {what} ({why}): left it alone")
