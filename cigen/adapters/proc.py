"""The one gateway for subprocesses: nothing else in cigen imports :mod:`subprocess`.

A command cigen waits for goes through :func:`run`, so a failure always
reports the same things: the command, its exit code, and what it printed. A
process cigen keeps talking to or streams from while it runs (the PM2
bridge, the tasks of ``cigen run``) starts through :func:`spawn`, so one that
cannot start fails the same way everywhere: :class:`CannotStart`, naming the
command and why.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO


from cigen.errors import ToolError

# Re-exported so callers of spawn() name streams and the timeout without importing subprocess.
PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
STDOUT = subprocess.STDOUT
TimeoutExpired = subprocess.TimeoutExpired
Completed = subprocess.CompletedProcess  # what run() returns, for callers' annotations

_TAIL = 2000  # characters of stdout/stderr kept in an error message


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _TAIL else "..." + text[-_TAIL:]


class CommandFailed(ToolError):
    """A command exited non-zero; carries everything needed to understand why."""

    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        parts = [f"command failed with exit code {returncode}: {shlex.join(self.argv)}"]
        if stdout.strip():
            parts.append(f"stdout: {_tail(stdout)}")
        if stderr.strip():
            parts.append(f"stderr: {_tail(stderr)}")
        super().__init__("\n".join(parts))


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (never through a shell) and capture its text output.

    ``env`` is added to the current environment rather than replacing it.
    With ``check`` a non-zero exit raises :class:`CommandFailed`; a missing
    executable always raises :class:`ToolError`.
    """
    full_env = None if env is None else {**os.environ, **env}
    try:
        result = subprocess.run(
            list(argv),
            cwd=cwd,
            env=full_env,
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolError(
            f"{argv[0]} was not found", hint=f"install {argv[0]} or put it on PATH"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"command timed out after {timeout} s: {shlex.join(argv)}") from exc
    if check and result.returncode != 0:
        raise CommandFailed(argv, result.returncode, result.stdout, result.stderr)
    return result


class CannotStart(ToolError):
    """A process could not be started: no such program, no such folder, or not executable."""

    def __init__(self, argv: Sequence[str], reason: OSError) -> None:
        self.argv = list(argv)
        why = reason.strerror or str(reason)
        super().__init__(f"{shlex.join(self.argv)}: {why}", hint=f"check that {argv[0]} is installed and on PATH"
                         if isinstance(reason, FileNotFoundError) else None)


def spawn(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: int | IO[bytes] | None = None,
    stdout: int | IO[bytes] | None = None,
    stderr: int | IO[bytes] | None = None,
    new_session: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` (never through a shell) and return at once; its streams are bytes.

    Unlike :func:`run`, ``env`` is the child's whole environment when given (a
    long-lived peer gets exactly what it is handed). ``new_session`` puts it in a
    session, so a process group, of its own: a terminal's Ctrl-C reaches cigen
    alone, and stopping the group reaches everything the command spawned.
    """
    try:
        return subprocess.Popen(list(argv), cwd=cwd, env=None if env is None else dict(env), stdin=stdin,
                                stdout=stdout, stderr=stderr, start_new_session=new_session)
    except OSError as exc:
        raise CannotStart(argv, exc) from exc
