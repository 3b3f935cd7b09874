"""``cigen status``: each service's state and current health; the exit code says whether all are up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out


@app.command()
def status(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to show (and to judge the exit code by); default: all.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
    tree: Annotated[bool, typer.Option("--tree", help="List each service's processes under it.")] = False,
    root: RootOption = Path("."),
) -> int:
    """Show each service: its status, pid, uptime, restarts, CPU, memory and its health right now.

    CPU and memory are the whole process tree's (the start command, the server under it, the workers it
    forks), not only the process PM2 spawned; --tree lists the processes, and --json has them always.

    The status is PM2's (online, launching, stopping, stopped, errored, waiting
    restart) while the project's daemon runs the service; "exited (code N)"
    when it ended by itself and restart.autorestart is false; "orphaned" when
    its process runs but the PM2 daemon is gone (`cigen down` stops it); "not
    running". Never starts a PM2 daemon.

    Exit codes, as `systemctl is-active` has them: 0 every configured service
    (or every one named), and each proxy `cigen up` put in front of one, is
    online and healthy, or has no health check; 1 one
    is not (not running, orphaned, exited, errored, unhealthy...); 2 bad
    configuration or an unknown service name; 3 pm2 or node missing or failing.
    """
    from cigen.app.stack import status as collect
    from cigen.errors import EXIT_FAILED
    from cigen.runtime.status import render_table

    rows = collect(root, services or ())
    out(json.dumps([row.as_json() for row in rows], indent=2) if json_output else render_table(rows, tree=tree))
    return 0 if all(row.up for row in rows if row.planned) else EXIT_FAILED
