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
    killed if it outlives its kill_timeout. When pm2 is missing or the daemon
    does not answer, the daemon and its processes are stopped by PID. A process
    is signalled only once it is known to be this project's (its PM2_HOME, its
    start time, its command line): a PID in a pid file that now belongs to
    another program is left alone, with a warning. Logs stay in the logs folder.
    Running it when nothing runs is not an error. Waits for a `cigen up` still
    running in the project.
    """
    from cigen.app.stack import down as stop

    stopped = stop(root)
    names = sorted({p.name for p in stopped.procs})
    if json_output:
        out(json.dumps({"stopped": names or stopped.by_pid, "orphans": stopped.orphans, "by_pid": stopped.why},
                       indent=2))
        return 0
    lines = []
    if stopped.daemon and stopped.why is None:
        lines.append(f"stopped {', '.join(names) + ' and ' if names else ''}the PM2 daemon")
    if stopped.why is not None:
        what = f"{', '.join(stopped.by_pid)} and the PM2 daemon" if stopped.by_pid else "the PM2 daemon"
        lines.append(f"stopped {what} by PID: {stopped.why}")
    if stopped.orphans:
        lines.append(f"stopped {len(stopped.orphans)} process{'es' if len(stopped.orphans) > 1 else ''} left by a PM2 "
                     f"daemon that had died (pid{'s' if len(stopped.orphans) > 1 else ''} {', '.join(map(str, stopped.orphans))})")
    out("\n".join(lines) or "nothing was running")
    return 0
