"""``cigen ecosystem``: write ecosystem.config.js, PM2's own description of the services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, note, out


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
    from cigen.app.ecosystem import ecosystem as build
    from cigen.errors import EXIT_FAILED
    from cigen.adapters.write import diff_generated, write_generated

    to_stdout = output is not None and str(output) == "-"
    made = build(root, services or [], None if to_stdout else output)
    if to_stdout:
        out(made.text)
        return 0
    target = made.path
    shown = target.relative_to(root).as_posix() if target.is_relative_to(root) else str(target)
    if check:
        diff = diff_generated(target, made.text, root=made.inside, label=shown)
        if diff is None:
            out(f"{shown} is current")
            return 0
        out(diff)
        note(f"{shown} is stale: run `cigen ecosystem` to update it")
        return EXIT_FAILED
    changed = write_generated(target, made.text, root=made.inside, force=force)
    out(f"{'wrote' if changed else 'unchanged:'} {shown} ({made.apps} apps)")
    return 0
