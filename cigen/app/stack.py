"""``cigen up``: the stack started under PM2, in dependency order, each service gated on its health.

cigen.yaml is read once. Discovery and the start order are worked out while
the PM2 daemon spawns (the runtime calls ``prepare`` then), so reading the
workspace costs no start-up time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cigen.app.workspace import discover_with
from cigen.config.loader import load_config
from cigen.errors import InputError
from cigen.runtime.orchestrate import Progress
from cigen.runtime.project import Project, logs_folder, project
from cigen.runtime.report import UpResult
from cigen.runtime.services import select
from cigen.runtime.startup import Prepared, up as start_services


@dataclass(frozen=True)
class Started:
    result: UpResult
    project: Project


def up(root: Path, services: Sequence[str], *, keep: bool,
       progress: Callable[[Progress, int], None]) -> Started:
    """Start ``services`` (all when empty) and what they need; ``progress`` gets each step and the width of
    the longest service name, to align them."""
    config = load_config(root)
    prepared: dict[str, Project] = {}  # set by prepare(), on the runtime's schedule
    width = 0

    def prepare() -> Prepared:
        nonlocal width
        proj = project(root, config, discover_with(root, config))
        if not proj.specs:
            raise InputError("no services to start: no member has a start script and cigen.yaml lists no services",
                             hint="add a `start` script to a service's package.json, or a services: entry to cigen.yaml")
        order = select(proj.specs, services)
        width = max(len(name) for name in order)
        prepared["project"] = proj
        return proj.specs, order, proj.apps(order, absolute=True)

    result = start_services(root, prepare, keep=keep, progress=lambda p: progress(p, width),
                            log_file=root / logs_folder(root, config) / "pm2.log",
                            log_rotation=config.runtime.log_rotation)
    return Started(result, prepared["project"])
