"""One error root and the exit-code table.

Exit codes (the README repeats this table; keep both in step):

====  ==========================================================================
code  meaning
====  ==========================================================================
0     success
1     the answer is "no": a dependency cycle where an order is needed, a stale
      generated file (``cigen check``), a file ``cigen generate --exit-code``
      rewrote, a failed health gate or task, a service ``cigen status`` finds
      not up, a check ``cigen verify`` ran that failed, a failed threshold of
      the run report (``cigen monitor``, ``cigen report``)
2     bad input: malformed manifest or cigen.yaml, unknown key, bad option,
      a glob that escapes the root, a ``workspace:`` dependency on no member
3     the environment failed: a tool cigen runs (git, pm2, node) is missing or
      failed in a way the input does not explain, or the PM2 daemon died
      during ``cigen up``; a service a check of ``cigen verify`` needs is not
      running and healthy; nothing of the project running (``cigen monitor``)
      or no run recorded (``cigen report``)
130   interrupted (Ctrl-C / SIGTERM), with the one line ``cigen: interrupted``
141   the reader of stdout went away early (``cigen graph`` piped into ``head``), as for SIGPIPE
====  ==========================================================================
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141


class CigenError(Exception):
    """Root of every error cigen reports to the user as one clear line."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(CigenError):
    """Something the user wrote is wrong: a manifest, cigen.yaml, an option."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f":{line}"
                if column is not None:
                    where += f":{column}"
            where += ": "
        super().__init__(where + message, hint=hint)
        self.path = path
        self.line = line
        self.column = column


class CycleError(CigenError):
    """The dependency graph has a cycle and the command needs an order."""

    exit_code = EXIT_FAILED


class CheckFailed(CigenError):
    """A check ran and said no (stale file, failed gate, failed task)."""

    exit_code = EXIT_FAILED


class ToolError(CigenError):
    """A tool cigen runs is missing or failed."""

    exit_code = EXIT_ENVIRONMENT
