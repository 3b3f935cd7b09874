"""``cigen up``: start services under PM2 in dependency order, each gated on its health check."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out


@app.command()
def up(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to start (with their dependencies); default: all.")
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="On a failed gate, leave what this run started running (to debug it).")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
    root: RootOption = Path("."),
) -> int:
    """Start services under PM2: each starts once its dependencies are healthy, and must pass its health check.

    Progress goes to stderr, a line per service. Exit codes: 0 every service is
    healthy; 1 a gate failed (the report names the service, its probe's last
    error, its PM2 state and what its logs got during this run; what this run
    started is stopped unless --keep); 2 bad configuration; 3 pm2 or node
    missing or failing, or the PM2 daemon died during the run (what the run
    started is then stopped by PID); 130 interrupted (Ctrl-C or SIGTERM; what
    this run started is stopped). Services already running healthy with the
    same definition are left as they are. A second `cigen up` or a `cigen down`
    in the same project waits for this one to finish.
    """
    # Imported here: `cigen graph` and `--help` never pay for the runtime.
    from cigen.app.stack import up as start
    from cigen.errors import EXIT_FAILED, EXIT_INTERRUPTED
    from cigen.runtime.orchestrate import Progress
    from cigen.runtime.report import render_failure, render_success, to_json

    def progress(p: Progress, width: int) -> None:
        print(f"{p.service:<{width}}  {p}", file=sys.stderr, flush=True)

    try:
        started = start(root, services or [], keep=keep, progress=progress)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the run has already stopped what it started
        print("cigen: interrupted: stopped what this run started", file=sys.stderr)
        return EXIT_INTERRUPTED
    result, proj = started.result, started.project
    if json_output:
        out(json.dumps(to_json(result, proj.logs), indent=2))
    elif result.ok:
        out(render_success(result))
    else:
        out(render_failure(result, proj.logs))
    return 0 if result.ok else EXIT_FAILED
