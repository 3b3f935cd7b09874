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
    error, its PM2 state and the end of its logs; what this run started is
    stopped unless --keep); 2 bad configuration; 3 pm2 or node missing or
    failing; 130 interrupted (Ctrl-C or SIGTERM; what this run started is
    stopped). Services already running healthy with the same definition are
    left as they are.
    """
    from cigen.app.workspace import load
    from cigen.config.loader import load_config
    from cigen.errors import EXIT_FAILED, EXIT_INTERRUPTED, InputError
    from cigen.runtime.orchestrate import Progress
    from cigen.runtime.startup import Prepared, up as start_services
    from cigen.runtime.project import Project, logs_folder, project
    from cigen.runtime.report import render_failure, render_success, to_json
    from cigen.runtime.services import select

    first = load_config(root)
    logs = root / logs_folder(root, first)  # first: the daemon spawns with its log there
    proj: Project | None = None
    width = 0

    def prepare() -> Prepared:  # runs while the PM2 daemon spawns
        nonlocal proj, width
        config, workspace = load(root)
        proj = project(root, config, workspace)
        if not proj.specs:
            raise InputError("no services to start: no member has a start script and cigen.yaml lists no services",
                             hint="add a `start` script to a service's package.json, or a services: entry to cigen.yaml")
        order = select(proj.specs, services or [])
        width = max(len(name) for name in order)
        return proj.specs, order, proj.apps(order, absolute=True)

    def progress(p: Progress) -> None:
        print(f"{p.service:<{width}}  {p}", file=sys.stderr, flush=True)

    try:
        result = start_services(root, prepare, keep=keep, progress=progress, log_file=logs / "pm2.log",
                                 log_rotation=first.runtime.log_rotation)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the run has already stopped what it started
        print("cigen: interrupted: stopped what this run started", file=sys.stderr)
        return EXIT_INTERRUPTED
    assert proj is not None
    if json_output:
        out(json.dumps(to_json(result, proj.logs), indent=2))
    elif result.ok:
        out(render_success(result))
    else:
        out(render_failure(result, proj.logs))
    return 0 if result.ok else EXIT_FAILED
