"""``cigen ecosystem``: write ecosystem.config.js, PM2's own description of the services."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out


@app.command()
def ecosystem(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to include (with their dependencies); default: all.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write it ('-' for stdout); default: the root.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 with a diff when the file is not current.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a file cigen did not generate.")] = False,
    root: RootOption = Path("."),
) -> int:
    """Write a PM2 ecosystem file for the services, for `pm2 start ecosystem.config.js` without cigen.

    The file resolves its paths against its own folder, so it is the same on every
    machine; commit it, and `cigen ecosystem --check` in CI keeps it current.
    """
    from cigen.app.workspace import load
    from cigen.errors import EXIT_FAILED, InputError
    from cigen.render.ecosystem import DEFAULT_FILENAME, render_ecosystem
    from cigen.runtime.project import project
    from cigen.runtime.services import select
    from cigen.adapters.write import diff_generated, write_generated

    config, workspace = load(root)
    proj = project(root, config, workspace)
    if not proj.specs:
        raise InputError("no services: no member has a start script and cigen.yaml lists no services",
                         hint="add a `start` script to a service's package.json, or a services: entry to cigen.yaml")
    names = select(proj.specs, services) if services else None
    to_stdout = output is not None and str(output) == "-"
    target = root / DEFAULT_FILENAME if output is None or to_stdout else output
    text = render_ecosystem(proj, target, names)
    if to_stdout:
        sys.stdout.write(text)
        return 0
    shown = target.relative_to(root).as_posix() if target.is_relative_to(root) else str(target)
    if check:
        diff = diff_generated(target, text, label=shown)
        if diff is None:
            out(f"{shown} is current")
            return 0
        out(diff)
        print(f"cigen: {shown} is stale: run `cigen ecosystem` to update it", file=sys.stderr)
        return EXIT_FAILED
    changed = write_generated(target, text, force=force)
    out(f"{'wrote' if changed else 'unchanged:'} {shown} ({len(names or proj.specs)} apps)")
    return 0
