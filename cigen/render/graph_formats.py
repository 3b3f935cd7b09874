"""The graph and the plan as JSON, Mermaid, Graphviz DOT and text.

JSON is the contract other tools read (one document, keys in a fixed order,
lists sorted); text is for a person at a terminal. Members appear under their
label (the package name, or the path when unnamed); JSON also gives paths,
which are unique where names may repeat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from operator import attrgetter
# typeshed leaves out the C accelerator's factory, which json.encoder does export.
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from collections.abc import Sequence
from typing import Any, Callable

from cigen.graph.core import cycles, cyclic_components, feedback_edges
from cigen.graph.graph import Graph, build_graph
from cigen.graph.order import generations
from cigen.model import Edge, Member, Workspace
from cigen.plan.ordering import Unit
from cigen.plan.stages import Plan, stage_jobs

GRAPH_FORMATS = ("json", "mermaid", "dot", "text")
PLAN_FORMATS = ("json", "text")

# Edges only a developer's machine needs; drawn dashed.
_DEV_KINDS = frozenset({"devDependencies", "dependency-groups"})


def _dump(document: dict[str, Any]) -> str:
    """JSON with one list item per line: readable, diffable and greppable.

    ``json.dumps(indent=2)`` falls back to the pure-Python encoder, ~5x slower
    at 20,000 members; encoding each item with the C encoder keeps the speed.
    """
    encode = _item_encoder()
    fields = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(map(encode, value))
            fields.append(f"{encode(key)}: [\n    {items}\n  ]")
        else:
            fields.append(f"{encode(key)}: {encode(value)}")
    return "{\n  " + ",\n  ".join(fields) + "\n}\n"


def _item_encoder() -> Callable[[Any], str]:
    """``json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode``, made once.

    ``JSONEncoder.encode`` builds a new C encoder on every call, which is half
    the cost of a manifest-sized item (5,000 members and 12,000 edges: 40 ms,
    26 ms with one encoder). ``c_make_encoder`` is how ``json`` itself makes
    it; where the C accelerator is missing, the plain method does the same.
    """
    if c_make_encoder is None:
        return json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    # Arguments: markers (None: no circular check, the document is a tree), default, string encoder,
    # indent, key separator, item separator, sort_keys, skipkeys, allow_nan.
    encoder = c_make_encoder(None, None, encode_basestring, None, ": ", ", ", False, False, True)
    return lambda value: "".join(encoder(value, 0))


def _label(g: Graph, path: str) -> str:
    return g.member(path).label


# -- graph ------------------------------------------------------------------


@dataclass(frozen=True)
class GraphView:
    """What the graph formats show: the whole workspace, root included."""

    workspace: Workspace
    members: dict[str, Member]  # by path, sorted
    labels: dict[str, str]  # path -> label
    edges: tuple[Edge, ...]  # sorted by (source, target)
    levels: list[list[str]]  # paths, dependencies first; empty when there is a cycle
    cycles: list[list[str]]  # one cycle of paths per cyclic component
    component: dict[str, int]  # path -> index of its cyclic component, for members on a cycle
    graph: Graph  # root included

    def label(self, path: str) -> str:
        return self.labels[path]

    def on_cycle(self, edge: Edge) -> bool:
        return edge.source in self.component and self.component[edge.source] == self.component.get(edge.target)


def graph_view(workspace: Workspace) -> GraphView:
    g = build_graph(workspace, include_root=True)
    members = {m.path: m for m in sorted(workspace.members, key=attrgetter("path"))}
    edges = tuple(sorted(
        (e for e in workspace.edges if e.source in members and e.target in members),
        key=attrgetter("source", "target"),
    ))
    labels = {p: m.label for p, m in members.items()}
    found = generations(g.succ, g.pred, g.keys)
    if sum(map(len, found)) == len(g):  # acyclic: no cycle search needed
        return GraphView(workspace, members, labels, edges, found, [], {}, g)
    component = {n: i for i, c in enumerate(cyclic_components(g)) for n in c}
    return GraphView(workspace, members, labels, edges, [], cycles(g), component, g)


def graph_document(view: GraphView) -> dict[str, Any]:
    """The ``cigen graph --format json`` document; ``levels`` is empty when the graph has a cycle."""
    label = view.labels.__getitem__
    services = [
        {
            "name": m.name,
            "path": m.path,
            "kind": m.kind,
            "version": m.version,
            "package_manager": m.package_manager,
            "scripts": dict(sorted(m.scripts.items())),
            "private": m.private,
            "root": m.is_root,
            "language": m.language,
            "startable": m.startable,
        }
        for m in view.members.values()
    ]
    edges = [
        {"from": label(e.source), "to": label(e.target), "from_path": e.source, "to_path": e.target,
         "kinds": list(e.kinds)}
        for e in view.edges
    ]
    unlinked = [
        {
            "from": label(u.source) if u.source in view.members else u.source,
            "from_path": u.source,
            "name": u.name,
            "spec": u.spec,
            "field": u.field,
            "reason": u.reason,
        }
        for u in sorted(view.workspace.unlinked, key=lambda u: (u.source, u.name, u.field, u.spec))
    ]
    return {
        "root": ".",
        "definition": view.workspace.definition,
        "package_manager": view.workspace.package_manager,
        "services": services,
        "edges": edges,
        "levels": [[label(p) for p in level] for level in view.levels],
        "cycles": [[label(p) for p in cycle] for cycle in view.cycles],
        "unlinked": unlinked,
    }


def graph_json(view: GraphView) -> str:
    return _dump(graph_document(view))


def graph_text(view: GraphView) -> str:
    doc = graph_document(view)
    ws = view.workspace
    shape = _count(len(doc["cycles"]), "cycle") if doc["cycles"] else _count(len(doc["levels"]), "level")
    lines = [
        f"{ws.package_manager} workspace ({ws.definition}): "
        f"{_count(len(doc['services']), 'member')}, {_count(len(doc['edges']), 'edge')}, {shape}",
    ]
    if doc["levels"]:
        lines += ["", "levels (dependencies first)"]
        width = len(str(len(doc["levels"])))
        for i, level in enumerate(doc["levels"], 1):
            lines.append(f"  {i:>{width}}  {', '.join(level)}")
    if view.cycles:
        lines += ["", "cycles (no order exists until each is broken)"]
        lines += [f"  {cycle}" for cycle in cycles_with_paths(view)]
        arcs, exact = feedback_edges(view.graph)
        cut = ", ".join(f"{view.label(s)} -> {view.label(t)}" for s, t in arcs)
        lines.append(f"  removing {cut} breaks every cycle" + ("" if exact else " (a minimal set, not proven smallest)"))
    lines += ["", "members"]
    rows = [("NAME", "PATH", "KIND", "PM", "VERSION", "")]
    for s in doc["services"]:
        flags = [f for f, on in (("root", s["root"]), ("private", s["private"]), ("start", s["startable"])) if on]
        rows.append((
            s["name"] or "(unnamed)", s["path"], s["kind"], s["package_manager"], s["version"] or "-", " ".join(flags),
        ))
    lines += _table(rows)
    if doc["unlinked"]:
        lines += ["", "not linked (named a member, but the package manager installs something else)"]
        for u in doc["unlinked"]:
            lines.append(f"  {u['from']} -> {u['name']} ({u['field']} \"{u['spec']}\"): {u['reason']}")
    return "\n".join(lines) + "\n"


def cycles_with_paths(view: GraphView) -> list[str]:
    """Each reported cycle as ``a -> b -> a  (packages/a, packages/b)``."""
    return [
        f"{' -> '.join(view.label(p) for p in [*cycle, cycle[0]])}  ({', '.join(cycle)})" for cycle in view.cycles
    ]


def graph_mermaid(view: GraphView) -> str:
    """A Mermaid flowchart, dependents above their dependencies; cycle edges in red, dev-only edges dotted."""
    ids = {path: f"m{i}" for i, path in enumerate(view.members)}
    lines = ["flowchart TD"]
    classes: dict[str, list[str]] = {}
    for path, node_id in ids.items():
        m = view.members[path]
        label = m.label.replace('"', "#quot;")
        lines.append(f'  {node_id}["{label}"]')
        classes.setdefault("root" if m.is_root else m.kind, []).append(node_id)
    red = []
    for i, e in enumerate(view.edges):
        arrow = "-.->" if e.kinds and set(e.kinds) <= _DEV_KINDS else "-->"
        lines.append(f"  {ids[e.source]} {arrow} {ids[e.target]}")
        if view.on_cycle(e):
            red.append(str(i))
    lines += [
        "  classDef package fill:#eef,stroke:#669",
        "  classDef service fill:#efe,stroke:#696",
        "  classDef app fill:#fee,stroke:#966",
        "  classDef root fill:#fff,stroke:#999,stroke-dasharray:4",
    ]
    for kind in sorted(classes):
        lines.append(f"  class {','.join(classes[kind])} {kind}")
    if red:
        lines.append(f"  linkStyle {','.join(red)} stroke:#d00,stroke-width:2px")
    return "\n".join(lines) + "\n"


def graph_dot(view: GraphView) -> str:
    """Graphviz DOT, dependencies at the bottom; cycle edges red, dev-only edges dashed."""
    shapes = {"package": "box", "service": "ellipse", "app": "doubleoctagon"}
    lines = ["digraph cigen {", '  node [fontname="Helvetica"];']
    for path, m in view.members.items():
        style = ', style="dashed"' if m.is_root else ""
        lines.append(f"  {_dot_id(path)} [label={_dot_id(m.label)}, shape={shapes[m.kind]}{style}];")
    for e in view.edges:
        attrs = [f"tooltip={_dot_id(', '.join(e.kinds))}"]
        if e.kinds and set(e.kinds) <= _DEV_KINDS:
            attrs.append('style="dashed"')
        if view.on_cycle(e):
            attrs.append('color="red"')
        lines.append(f"  {_dot_id(e.source)} -> {_dot_id(e.target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- plan -------------------------------------------------------------------


def plan_document(plan: Plan, g: Graph) -> dict[str, Any]:
    return {
        "mode": plan.mode,
        "concurrency": plan.concurrency,
        "fail_fast": plan.fail_fast,
        "services": [_label(g, p) for p in plan.services],
        "stages": [
            {
                "id": s.id,
                "services": [_label(g, p) for p in s.services],
                "paths": list(s.services),
                "needs": list(s.needs),
            }
            for s in plan.stages
        ],
        "jobs": [
            {
                "id": j.id,
                "stage": j.stage,
                "services": [_label(g, p) for p in j.services],
                "paths": list(j.services),
                "needs": list(j.needs),
            }
            for j in stage_jobs(plan)
        ],
        # What the order does not follow (cigen.yaml plan.ignore and plan.cycles), so nothing is hidden.
        "ignored": [
            {"dependent": _label(g, e.source), "dependency": _label(g, e.target), "kinds": list(e.kinds),
             "setting": f"plan.ignore.{e.setting}"}
            for e in plan.ignored
        ],
        # Each unit runs in one stage and one leg, its members one after another in this order.
        "units": [
            {"services": [_label(g, p) for p in u.members], "paths": list(u.members),
             "against": [[_label(g, s), _label(g, t)] for s, t in u.broken], "stage": _stage_of(plan, u)}
            for u in plan.units
        ],
    }


def _stage_of(plan: Plan, unit: Unit) -> str:
    return next(s.id for s in plan.stages if unit.members[0] in s.services)


def plan_json(plan: Plan, g: Graph) -> str:
    return _dump(plan_document(plan, g))


_ON_FAILURE = {
    "cascade": "the first failure stops everything after it",
    "parallel": "every service runs; every result is collected",
    "auto": "a stage runs to the end; stages that need a failed one are skipped",
}


def plan_text(plan: Plan, g: Graph) -> str:
    limit = "no limit" if plan.concurrency is None else str(plan.concurrency)
    lines = [
        f"{plan.mode} plan: {_count(len(plan.stages), 'stage')}, {_count(len(plan.services), 'service')}, "
        f"concurrency {limit}",
        f"on failure: {_ON_FAILURE[plan.mode]}",
    ]
    if plan.stages:
        lines.append("")
        rows = [("STAGE", "NEEDS", "SERVICES")]
        for s in plan.stages:
            # A unit in parentheses, its members in the order they run: "(a > b > c)".
            items = (f"({' > '.join(_label(g, p) for p in block)})" if len(block) > 1 else _label(g, block[0])
                     for block in plan.blocks(s.services))
            rows.append((s.id, ", ".join(s.needs) or "-", ", ".join(items)))
        lines += _table(rows)
    if plan.ignored:
        lines += ["", f"not ordered by {_count(len(plan.ignored), 'edge')} (cigen.yaml plan.ignore):"]
        lines += _table([("DEPENDENT", "DEPENDENCY", "KINDS", "SETTING")] + [
            (_label(g, e.source), _label(g, e.target), ", ".join(e.kinds) or "-", f"plan.ignore.{e.setting}")
            for e in plan.ignored
        ])
    for u in plan.units:
        against = ", ".join(f"{_label(g, s)} -> {_label(g, t)}" for s, t in u.broken)
        lines += ["", f"cycle planned as one unit (plan.cycles: units), one leg in {_stage_of(plan, u)}, "
                      f"built in this order against {against}:",
                  "  " + ", then ".join(_label(g, p) for p in u.members)]
    return "\n".join(lines) + "\n"


# -- helpers ----------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
