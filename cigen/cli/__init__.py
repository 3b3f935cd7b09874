"""The command line: parse options, call one function, print, map errors to exit codes.

Each command lives in a module of this package that registers itself on
:data:`cigen.cli.app.app`; the core it calls is imported inside the command so
that ``cigen graph`` never pays for PM2 or workflow code.

Ctrl-C ends any command with one line, ``cigen: interrupted``, and exit code
130, never a traceback: while this package is imported (the first ~100 ms of
``cigen``, before :func:`main` runs) a handler of its own ends the process at
once, as nothing has started yet; from then on :func:`main` catches the
KeyboardInterrupt, which the commands that start processes catch first to stop
what they started.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType


def _interrupted_while_importing(signum: int, frame: FrameType | None) -> None:
    os.write(2, b"cigen: interrupted\n")
    os._exit(130)  # EXIT_INTERRUPTED: cigen.errors may not be imported yet


# Only the main thread may set signal handlers (a test may import the CLI from another one).
_importing = threading.current_thread() is threading.main_thread()
_before_import = signal.signal(signal.SIGINT, _interrupted_while_importing) if _importing else None

import sys  # noqa: E402 - after the handler: from here on, Ctrl-C is one line
from collections.abc import Sequence  # noqa: E402

from cigen.cli.app import app  # noqa: E402
from cigen.errors import EXIT_INTERRUPTED, EXIT_PIPE, EXIT_USAGE, CigenError  # noqa: E402

# Registering commands: importing a module adds its commands to `app`.
from cigen.cli import graph as _graph  # noqa: E402,F401
from cigen.cli import plan as _plan  # noqa: E402,F401
from cigen.cli import affected as _affected  # noqa: E402,F401
from cigen.cli import generate as _generate  # noqa: E402,F401
from cigen.cli import ecosystem as _ecosystem  # noqa: E402,F401
from cigen.cli import up as _up  # noqa: E402,F401
from cigen.cli import down as _down  # noqa: E402,F401
from cigen.cli import status as _status  # noqa: E402,F401
from cigen.cli import logs as _logs  # noqa: E402,F401
from cigen.cli import run as _run  # noqa: E402,F401
from cigen.cli import verify as _verify  # noqa: E402,F401
from cigen.cli import monitor as _monitor  # noqa: E402,F401
from cigen.cli import report as _report  # noqa: E402,F401

if _importing:
    signal.signal(signal.SIGINT, _before_import)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("cigen: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    import typer
    from typer._click.exceptions import ClickException

    from cigen.cli.app import TerminalReporter, error, silence_stdout
    from cigen.reporting import reporting_to

    try:
        with reporting_to(TerminalReporter()):
            # The command runs in a context of its own, not through app(): Typer turns a
            # KeyboardInterrupt into a silent exit code 130, and Ctrl-C must say what happened.
            command = typer.main.get_command(app)
            with command.make_context("cigen", list(argv) if argv is not None else sys.argv[1:]) as context:
                result = command.invoke(context)
        sys.stdout.flush()  # here, where a closed pipe is handled, not at interpreter exit
    except CigenError as exc:
        error(str(exc))
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except ClickException as exc:
        # Typer vendors click (pyproject pins a version that does): every usage error is one of these.
        # Its public base, typer.TyperException, does not declare show(), so the vendored class is named.
        exc.show()
        return exc.exit_code if exc.exit_code else EXIT_USAGE
    except typer.Abort:
        print("cigen: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`cigen graph | head`) after a command's last `out()`.
        silence_stdout()
        return EXIT_PIPE
    return result if isinstance(result, int) else 0
