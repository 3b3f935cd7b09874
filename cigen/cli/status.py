"""``cigen status``: each service's PM2 state and current health."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out


@app.command()
def status(
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
    root: RootOption = Path("."),
) -> int:
    """Show each service: PM2 status, pid, uptime, restarts, CPU, memory and its health right now.

    Never starts a PM2 daemon: without one every service shows "not running".
    """
    from cigen.app.stack import status as collect
    from cigen.runtime.status import render_table

    rows = collect(root)
    out(json.dumps([row.as_json() for row in rows], indent=2) if json_output else render_table(rows))
    return 0
