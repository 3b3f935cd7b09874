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
    from cigen.app.stack import down as stop

    stopped = stop(root)
    names = sorted({p.name for p in stopped.procs})
    if json_output:
        out(json.dumps({"stopped": names, "orphans": stopped.orphans}, indent=2))
        return 0
    lines = [f"stopped {', '.join(names)} and the PM2 daemon"] if names else []
    if stopped.orphans:
        lines.append(f"stopped {len(stopped.orphans)} process{'es' if len(stopped.orphans) > 1 else ''} left by a PM2 "
                     f"daemon that had died (pid{'s' if len(stopped.orphans) > 1 else ''} {', '.join(map(str, stopped.orphans))})")
    out("\n".join(lines) or "nothing was running")
    return 0
