"""``cigen graph``: the members, their dependency edges, levels and cycles."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from cigen import reporting
from cigen.cli.app import RootOption, app, out


class GraphFormat(str, enum.Enum):
    json = "json"
    mermaid = "mermaid"
    dot = "dot"
    text = "text"


@app.command()
def graph(
    format: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="json (for tools), mermaid, dot (Graphviz), text (for people).")
    ] = GraphFormat.text,
    root: RootOption = Path("."),
) -> int:
    """Show the dependency graph: members, edges, levels, cycles, unlinked dependencies.

    Edges point from the dependent to its dependency; levels list dependencies first.

    The root package is listed, marked as the root. This is a report: it exits 0
    even when the graph has cycles (it lists each one, with a warning on stderr);
    commands that need an order (plan, generate) exit 1 on a cycle.
    """
    from cigen.app.workspace import load_workspace
    from cigen.cli.batch import without_cycle_collector
    from cigen.render import graph_formats

    with without_cycle_collector():
        workspace = load_workspace(root)
        view = graph_formats.graph_view(workspace)
        render = {
            GraphFormat.json: graph_formats.graph_json,
            GraphFormat.mermaid: graph_formats.graph_mermaid,
            GraphFormat.dot: graph_formats.graph_dot,
            GraphFormat.text: graph_formats.graph_text,
        }[format]
        out(render(view))
    if view.cycles:
        count = len(view.cycles)
        reporting.warn(
            f"{count} dependency cycle{'s' if count > 1 else ''} ({'; '.join(graph_formats.cycles_with_paths(view))}): "
            "commands that need an order fail until each is broken"
        )
    return 0
