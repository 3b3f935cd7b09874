"""The command line: parse options, call one function, print, map errors to exit codes.

Each command lives in a module of this package that registers itself on
:data:`cigen.cli.app.app`; the core it calls is imported inside the command so
that ``cigen graph`` never pays for PM2 or workflow code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cigen.cli.app import app
from cigen.errors import EXIT_INTERRUPTED, EXIT_PIPE, EXIT_USAGE, CigenError

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


def main(argv: Sequence[str] | None = None) -> int:
    import typer
    from typer._click.exceptions import ClickException

    from cigen.cli.app import TerminalReporter, error, silence_stdout
    from cigen.reporting import reporting_to

    try:
        with reporting_to(TerminalReporter()):
            result = app(args=list(argv) if argv is not None else None, prog_name="cigen", standalone_mode=False)
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
    except (typer.Abort, KeyboardInterrupt):
        print("cigen: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`cigen graph | head`) after a command's last `out()`.
        silence_stdout()
        return EXIT_PIPE
    return result if isinstance(result, int) else 0
