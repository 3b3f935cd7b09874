"""``cigen plan`` and ``cigen run``'s planning: the monorepo, its graph and the plan for a selection.

Options given on the command line win over cigen.yaml's ``plan:`` section,
which wins over the defaults (auto mode, no concurrency limit). The order
follows ``plan.ignore`` and ``plan.cycles`` (:mod:`cigen.plan.ordering`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cigen.app.workspace import load
from cigen.config.root import Config
from cigen.errors import InputError
from cigen.graph.graph import Graph, build_graph
from cigen.graph.select import select
from cigen.model import Workspace
from cigen.plan.ordering import OrderRules
from cigen.plan.stages import Mode, Plan, compute_plan
from cigen.suggest import did_you_mean


@dataclass(frozen=True)
class Planned:
    config: Config
    workspace: Workspace
    graph: Graph
    plan: Plan


def planned(root: Path, *, mode: Mode | None = None, concurrency: int | None = None,
            patterns: Sequence[str] = (), paths: Sequence[str] = ()) -> Planned:
    """The plan of the monorepo at ``root`` for the services ``patterns`` select and the member
    folders ``paths`` name exactly (all when both are empty)."""
    config, workspace = load(root)
    g = build_graph(workspace, include_root=config.include_root)
    selected = select(g, patterns) if patterns else None
    if paths:
        unknown = sorted({p for p in paths if p not in g})
        if unknown:
            raise InputError(f"--path {unknown[0]!r} is not the folder of a member",
                             hint=did_you_mean(unknown[0], list(g)) or "give a member's folder relative to the root")
        selected = (selected or set()) | set(paths)
    plan = compute_plan(
        g,
        mode=mode or config.plan.mode,
        concurrency=concurrency if concurrency is not None else config.plan.concurrency,
        selected=selected,
        rules=OrderRules.of(config.plan),
    )
    return Planned(config, workspace, g, plan)
