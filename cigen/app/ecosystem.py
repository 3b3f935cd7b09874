"""``cigen ecosystem`` and ``cigen generate``'s ecosystem file: the services as PM2's own description.

The runtime builds the app definitions (the same ones ``cigen up`` hands to
PM2, with paths relative to the root), the renderer turns them into text.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cigen.app.workspace import load
from cigen.errors import InputError
from cigen.render.ecosystem import DEFAULT_FILENAME, render_ecosystem
from cigen.runtime.logrotate import settings
from cigen.runtime.project import Project, project
from cigen.runtime.services import select


@dataclass(frozen=True)
class Ecosystem:
    path: Path  # where the file belongs
    text: str
    apps: int
    # The folder it must be written in without following a link: the repository root for the file at
    # the root; None for a path the user named (--output), whose own folder is trusted.
    inside: Path | None = None


def ecosystem_text(proj: Project, output: Path, services: Sequence[str] | None = None) -> str:
    """The ecosystem file for ``services`` (default: all of them), to be written at ``output``."""
    names = sorted(services) if services else sorted(proj.specs)
    rotation = proj.config.runtime.log_rotation
    return render_ecosystem(
        list(proj.apps(names, absolute=False).values()),
        filename=output.name,
        root=Path(os.path.relpath(proj.root.resolve(), output.parent.resolve())).as_posix(),
        rotation=settings(rotation) if rotation else (),
    )


def ecosystem(root: Path, services: Sequence[str], output: Path | None) -> Ecosystem:
    """The file for ``services`` (all when empty) and the services they need, at ``output`` or the root."""
    config, workspace = load(root)
    proj = project(root, config, workspace)
    if not proj.specs:
        raise InputError("no services: no member has a start script and cigen.yaml lists no services",
                         hint="add a `start` script to a service's package.json, or a services: entry to cigen.yaml")
    names = select(proj.specs, services) if services else sorted(proj.specs)
    target = root / DEFAULT_FILENAME if output is None else output
    return Ecosystem(target, ecosystem_text(proj, target, names), len(names), root if output is None else None)
