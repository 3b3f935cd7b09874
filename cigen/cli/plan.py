"""``cigen plan``: the stages that run the services, in cascade, parallel or auto mode."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cigen.cli.app import RootOption, app, out

if TYPE_CHECKING:
    from cigen.plan.stages import Mode


class PlanMode(str, enum.Enum):
    auto = "auto"
    cascade = "cascade"
    parallel = "parallel"


def chosen_mode(mode: PlanMode | None) -> Mode | None:
    """The option's mode as the plan names it (the enum's values are exactly the plan's modes)."""
    return mode.value if mode else None


class PlanFormat(str, enum.Enum):
    json = "json"
    text = "text"


@app.command()
def plan(
    mode: Annotated[
        Optional[PlanMode],
        typer.Option(
            "--mode",
            "-m",
            help="cascade: one service after another, stop at the first failure; "
            "parallel: all together, collect every result; "
            "auto: stages of independent services, each waiting only for the stages it depends on. "
            "Default: plan.mode in cigen.yaml, else auto.",
        ),
    ] = None,
    concurrency: Annotated[
        Optional[int],
        typer.Option("--concurrency", "-j", min=1, help="Services run at once within a stage. Default: plan.concurrency, else no limit."),
    ] = None,
    patterns: Annotated[
        Optional[list[str]],
        typer.Option(
            "--select",
            "-s",
            help="Plan only these services (repeatable), Turborepo filter syntax: name, glob, ./path/*, "
            "...name (with dependents), name... (with dependencies), !pattern (exclude).",
        ),
    ] = None,
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="json (for tools) or text (for people).")] = PlanFormat.text,
    root: RootOption = Path("."),
) -> int:
    """Compute the execution plan: ordered stages, what each needs, and the CI jobs they become.

    Exits 1 when the mode needs an order (auto, cascade) and a dependency cycle
    passes through a planned service; the message names the cycle, the fewest
    edges to remove and the cigen.yaml settings that resolve it (plan.ignore,
    plan.cycles: units). Edges left out of the order and cycles planned as
    units are listed under the stages.
    """
    from cigen.app.plan import planned
    from cigen.cli.batch import without_cycle_collector
    from cigen.render import graph_formats

    with without_cycle_collector():
        p = planned(root, mode=chosen_mode(mode), concurrency=concurrency, patterns=patterns or ())
        render = graph_formats.plan_json if format is PlanFormat.json else graph_formats.plan_text
        out(render(p.plan, p.graph))
    return 0
