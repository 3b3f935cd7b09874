"""Running the ``cigen`` command line in tests: in this process by default, as a real process where that matters.

:func:`run_cigen` calls :func:`cigen.cli.main` in the test's own process, as
``python -m cigen ARGS`` would run it but without the ~300 ms of starting an
interpreter and importing cigen again:

- stdout and stderr are captured at the file-descriptor level (1 and 2), so
  what a child process cigen starts writes there is captured too, as it would
  be from a real process; ``sys.stdout`` and ``sys.stderr`` are fresh UTF-8
  streams on those descriptors, stdout block-buffered and stderr line-buffered
  as in a real process;
- ``stdin`` is the given text (empty by default, as a test's stdin is);
- ``cwd`` and ``env`` (the whole environment, as for :mod:`subprocess`) hold
  for the call only: the working directory, ``os.environ`` and the SIGINT and
  SIGTERM handlers are restored afterwards, whatever happened;
- an exception cigen does not handle ends the call as it would end the
  interpreter: its traceback on stderr and exit code 1 (``SystemExit`` gives
  its code), so a test sees what a person would.

It must run in the main thread (cigen installs signal handlers for ``up`` and
``run``), which is where pytest and pytest-xdist run tests.

:func:`run_cigen_process` runs the same command as a real ``python -m cigen``
process and returns the same :class:`CliResult`. Keep it for what only a
process boundary shows: start-up imports (``-X importtime``), signals sent
to cigen, a closed stdout pipe, the installed entry point.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class CliResult:
    """What one cigen command did: its exit code and everything it printed."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        """stdout's lines, without their line ends."""
        return self.stdout.splitlines()

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()

    def json(self) -> Any:
        """stdout parsed as one JSON document (a command that printed anything else fails here)."""
        return json.loads(self.stdout)

    def __str__(self) -> str:
        """For assertion messages: the command, its exit code and its output."""
        return f"cigen {' '.join(self.args)} -> exit {self.exit_code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def _decode(data: bytes, errors: str = "strict") -> str:
    """Text as ``subprocess.run(..., text=True)`` gives it: UTF-8 with universal newlines."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors=errors).read()


class _Captured:
    """What the block wrote to file descriptors 1 and 2, filled in when it ends."""

    stdout = b""
    stderr = b""


@contextmanager
def _captured_output() -> Iterator[_Captured]:
    """Point file descriptors 1 and 2 (and sys.stdout, sys.stderr) at two temporary files for the block."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    captured = _Captured()
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        saved_fds = {fd: os.dup(fd) for fd in (1, 2)}
        saved_streams = sys.stdout, sys.stderr
        try:
            os.dup2(out_file.fileno(), 1)
            os.dup2(err_file.fileno(), 2)
            out = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
            err = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)), encoding="utf-8",
                                   errors="backslashreplace", line_buffering=True)
            sys.stdout, sys.stderr = out, err
            try:
                yield captured
            finally:
                for stream in (out, err):
                    try:
                        stream.flush()
                    except (OSError, ValueError):
                        pass  # stdout pointed at /dev/null after a closed pipe, or closed by the command
        finally:
            sys.stdout, sys.stderr = saved_streams
            for fd, saved in saved_fds.items():
                os.dup2(saved, fd)
                os.close(saved)
            for file in (out_file, err_file):
                file.seek(0)
            captured.stdout, captured.stderr = out_file.read(), err_file.read()


@contextmanager
def _call_context(cwd: Path | str | None, env: Mapping[str, str] | None, stdin: str) -> Iterator[None]:
    """The working directory, environment, stdin and signal handlers of one call, restored after it."""
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("run_cigen must run in the main thread: cigen installs signal handlers")
    saved_cwd = os.getcwd()
    saved_env = dict(os.environ)
    saved_stdin = sys.stdin
    saved_handlers = {s: signal.getsignal(s) for s in _SIGNALS}
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        yield
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        if dict(os.environ) != saved_env:
            os.environ.clear()
            os.environ.update(saved_env)
        for s, handler in saved_handlers.items():
            if handler is not None:
                signal.signal(s, handler)


def _exit_code(exc: SystemExit) -> int:
    """The interpreter's exit code for ``raise SystemExit(code)``; a message goes to stderr with 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


class _Watchdog:
    """After ``timeout`` seconds, interrupt the main thread as Ctrl-C would, unless the call ended first."""

    def __init__(self, timeout: float | None) -> None:
        self.fired = False
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(timeout, self._fire) if timeout is not None else None

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                self.fired = True
                os.kill(os.getpid(), signal.SIGINT)

    def __enter__(self) -> _Watchdog:
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
        if self._timer is not None:
            self._timer.cancel()


def run_cigen(
    *args: str | Path,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str = "",
    timeout: float | None = 120,
) -> CliResult:
    """Run ``cigen ARGS`` in this process, as ``python -m cigen ARGS`` in ``cwd`` with ``env`` would.

    A command still running after ``timeout`` seconds is interrupted (SIGINT, as Ctrl-C: ``cigen up``
    stops what it started) and :class:`subprocess.TimeoutExpired` is raised, as ``subprocess.run`` would.
    """
    from cigen.cli import main

    argv = tuple(str(a) for a in args)
    watchdog = _Watchdog(timeout)
    try:
        with _call_context(cwd, env, stdin), _captured_output() as captured:
            try:
                with watchdog:
                    code = main(list(argv))
            except SystemExit as exc:
                code = _exit_code(exc)
            except Exception:  # noqa: BLE001 - an unhandled error ends the command as it ends the interpreter
                traceback.print_exc()
                code = 1
    except KeyboardInterrupt:
        if not watchdog.fired:
            raise
        code = 130  # the watchdog's SIGINT arrived after main() had returned
    result = CliResult(argv, code, _decode(captured.stdout), _decode(captured.stderr, "backslashreplace"))
    if watchdog.fired:
        raise subprocess.TimeoutExpired(["cigen", *argv], timeout or 0, result.stdout, result.stderr)
    return result


def run_cigen_process(
    *args: str | Path,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str = "",
    python_flags: tuple[str, ...] = (),
    timeout: float = 120,
) -> CliResult:
    """Run ``python [FLAGS] -m cigen ARGS`` as a real process; for what needs the process boundary."""
    argv = tuple(str(a) for a in args)
    done = subprocess.run(
        [sys.executable, *python_flags, "-m", "cigen", *argv], cwd=cwd, env=None if env is None else dict(env),
        input=stdin, capture_output=True, text=True, timeout=timeout,
    )
    return CliResult(argv, done.returncode, done.stdout, done.stderr)


def start_cigen_process(
    *args: str | Path, cwd: Path | str | None = None, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``python -m cigen ARGS`` and return at once, in a session of its own, stdout and stderr piped.

    For a test that signals cigen as a terminal would: ``os.killpg(p.pid, SIGINT)`` is Ctrl-C.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "cigen", *(str(a) for a in args)], cwd=cwd, env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
