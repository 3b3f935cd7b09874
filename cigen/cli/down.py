"""``cigen down``: stop this project's services and its PM2 daemon."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out


@app.command()
def down(
    json_output: Annotated[bool, typer.Option("--json", help="Print what was stopped as JSON.")] = False,
    root: RootOption = Path("."),
) -> int:
    """Stop and delete every process of this project's PM2 daemon, then the daemon.

    Afterwards no process of the run remains: each one is waited for by PID and
    killed if it outlives its kill_timeout. Logs stay in the logs folder.
    Running it when nothing runs is not an error.
    """
    from cigen.runtime.daemon import kill_daemon

    stopped = kill_daemon(root)
    names = sorted({p.name for p in stopped})
    if json_output:
        out(json.dumps({"stopped": names}, indent=2))
    elif names:
        out(f"stopped {', '.join(names)} and the PM2 daemon")
    else:
        out("nothing was running")
    return 0
