"""The one gateway for subprocesses.

Every external command cigen runs goes through :func:`run`, so a failure always
reports the same things: the command, its exit code, and what it printed.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from cigen.errors import ToolError

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
