"""``cigen graph``: the members, their dependency edges, levels and cycles."""

from __future__ import annotations

import enum
import logging
from pathlib import Path
from typing import Annotated

import typer

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
    from cigen.cli.app import load
    from cigen.graph import build_graph, cycles
    from cigen.render import graph_formats

    _, workspace = load(root)
    g = build_graph(workspace, include_root=True)
    if format is GraphFormat.json:
        out(graph_formats.graph_json(workspace, g))
    elif format is GraphFormat.mermaid:
        out(graph_formats.graph_mermaid(g))
    elif format is GraphFormat.dot:
        out(graph_formats.graph_dot(g))
    else:
        out(graph_formats.graph_text(workspace, g))
    found = cycles(g)
    if found:
        listed = "; ".join(graph_formats.cycles_with_paths(g))
        logging.getLogger("cigen").warning(
            f"{len(found)} dependency cycle{'s' if len(found) > 1 else ''} ({listed}): "
            "commands that need an order fail until each is broken"
        )
    return 0
