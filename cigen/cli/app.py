"""The Typer application, the options every command shares, and the output helpers.

This package is the only place in cigen that writes to the terminal: the core
returns values, which the commands print, and reports warnings and progress
through :mod:`cigen.reporting`, which the :class:`TerminalReporter` that
:func:`cigen.cli.main` installs sends to stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cigen.errors import EXIT_PIPE
from cigen.reporting import Level


app = typer.Typer(
    name="cigen",
    help="Turn a monorepo's service graph into CI: workflows, PM2 ecosystems, health-gated start-up.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

RootOption = Annotated[
    Path,
    typer.Option("--root", "-C", help="The monorepo's root folder.", file_okay=False, resolve_path=True),
]


class TerminalReporter:
    """Diagnostics and progress on stderr, each a line ``cigen: LEVEL: MESSAGE`` (progress: ``cigen: MESSAGE``)."""

    def report(self, level: Level, message: str) -> None:
        print(f"cigen: {level}: {message}" if level == "warning" else f"cigen: {message}", file=sys.stderr)


def out(text: str) -> None:
    """Write a command's result to stdout, ending with exactly one newline.

    A reader that went away (``cigen graph | head``) ends the command quietly
    with exit code 141, as a SIGPIPE would, rather than Typer's exit 1.
    """
    try:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        raise typer.Exit(EXIT_PIPE) from None


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def note(message: str) -> None:
    """A diagnostic line on stderr, ``cigen: MESSAGE`` (what a command concluded, beside its result)."""
    print(f"cigen: {message}", file=sys.stderr)


def error(message: str) -> None:
    print(f"cigen: error: {message}", file=sys.stderr)
