"""The dependency graph: build it, order it, and name its cycles.

Nodes are member paths (each carries its :class:`~cigen.model.Member` as the
``member`` attribute); an edge points from the dependent to its dependency and
carries the manifest fields that declared it (``kinds``). Every function here
is deterministic: ties are broken by the member's label, then its path, the
way a person reading the output would sort them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import networkx as nx

from cigen.errors import CycleError
from cigen.model import Member, Workspace

__all__ = [
    "build_graph",
    "cycles",
    "cyclic_components",
    "dependencies",
    "dependents",
    "feedback_edges",
    "levels",
    "ordering",
    "partial_order",
    "require_acyclic",
    "sort_key",
    "topological_order",
]


def build_graph(workspace: Workspace, *, include_root: bool = False) -> nx.DiGraph:
    """The workspace's members and internal edges; the root package only with ``include_root``."""
    g = nx.DiGraph()
    g.add_nodes_from((m.path, {"member": m}) for m in workspace.members if include_root or not m.is_root)
    nodes = g._node  # direct dict access: ~3x faster than `in g` at 20,000 members
    g.add_edges_from(
        (e.source, e.target, {"kinds": e.kinds})
        for e in workspace.edges
        if e.source in nodes and e.target in nodes
    )
    return g


def sort_key(g: nx.DiGraph, path: str) -> tuple[str, str]:
    """How members sort everywhere: by label, then path (labels can repeat)."""
    member: Member | None = g._node[path].get("member")
    return (member.label if member else path), path


def _keys(g: nx.DiGraph) -> dict[str, tuple[str, str]]:
    return {n: sort_key(g, n) for n in g._node}


def ordering(g: nx.DiGraph) -> tuple[list[list[str]], list[str]]:
    """Levels and the stable order, leaving out members on or behind a cycle.

    ``len(order) < len(g)`` tells there is a cycle, without the cost of naming it.
    """
    from cigen.graph.order import generations, stable_order

    keys = _keys(g)
    return generations(g._succ, g._pred, keys), stable_order(g._succ, g._pred, keys)


def partial_order(g: nx.DiGraph) -> list[str]:
    """The stable topological order of every member that is neither on a cycle nor depends on one."""
    from cigen.graph.order import stable_order

    return stable_order(g._succ, g._pred, _keys(g))


def topological_order(g: nx.DiGraph) -> list[str]:
    """Dependencies before dependents; among ready members, the smallest label (then path) first."""
    order = partial_order(g)
    if len(order) < len(g):
        require_acyclic(g)
    return order


def levels(g: nx.DiGraph) -> list[list[str]]:
    """Topological generations, dependencies first: level 0 has no internal dependencies."""
    from cigen.graph.order import generations

    result = generations(g._succ, g._pred, _keys(g))
    if sum(map(len, result)) < len(g):
        require_acyclic(g)
    return result


def cyclic_components(g: nx.DiGraph) -> list[list[str]]:
    """Every strongly connected component that holds a cycle, each sorted, in sorted order."""
    keys = _keys(g)
    found = [
        sorted(c, key=keys.__getitem__)
        for c in nx.strongly_connected_components(g)
        if len(c) > 1 or g.has_edge(next(iter(c)), next(iter(c)))
    ]
    found.sort(key=lambda c: keys[c[0]])
    return found


def cycles(g: nx.DiGraph) -> list[list[str]]:
    """One shortest cycle through the smallest member of each cyclic component.

    A cycle is listed without repeating its first member: ``[a, b, c]`` reads
    ``a -> b -> c -> a``. A self-loop is ``[a]``.
    """
    if len(partial_order(g)) == len(g):  # the common case: no cycle, no SCC pass needed
        return []
    keys = _keys(g)
    result = []
    for component in cyclic_components(g):
        members = set(component)
        succ = {n: sorted((t for t in g._succ[n] if t in members), key=keys.__getitem__) for n in component}
        result.append(_shortest_cycle_through(component[0], succ))
    return result


def _shortest_cycle_through(start: str, succ: dict[str, list[str]]) -> list[str]:
    """Breadth-first from ``start`` back to itself; successors in sorted order, so deterministic."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in succ[node]:
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    raise ValueError(f"{start} is on no cycle")


def dependents(g: nx.DiGraph, paths: Iterable[str], *, transitive: bool = True) -> set[str]:
    """Members that depend on any of ``paths`` (a member of ``paths`` only if it is itself a dependent)."""
    return _reach(g._pred, g, paths, transitive)


def dependencies(g: nx.DiGraph, paths: Iterable[str], *, transitive: bool = True) -> set[str]:
    """Members that any of ``paths`` depends on (a member of ``paths`` only if it is itself a dependency)."""
    return _reach(g._succ, g, paths, transitive)


def _reach(adj: dict[str, dict[str, object]], g: nx.DiGraph, paths: Iterable[str], transitive: bool) -> set[str]:
    starts = list(paths)
    for p in starts:
        if p not in g:
            raise KeyError(f"{p!r} is not a member of the graph")
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        for nxt in adj[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                if transitive:
                    stack.append(nxt)
    return seen


def require_acyclic(g: nx.DiGraph) -> None:
    """Raise :class:`CycleError` naming a cycle and a smallest set of edges whose removal breaks every cycle."""
    found = cycles(g)
    if not found:
        return
    display = _display_names(g)
    arcs, exact = feedback_edges(g)
    shown = " -> ".join(display[n] for n in [*found[0], found[0][0]])
    message = f"dependency cycle: {shown}"
    if len(found) > 1:
        message += f" (and {len(found) - 1} more; `cigen graph --format text` lists every cycle)"
    edges = ", ".join(f"{display[s]} -> {display[t]}" for s, t in arcs)
    what = "it" if len(found) == 1 else "them all"
    smallest = "" if exact else " (a minimal set; the component is too large to prove it the smallest)"
    message += f"; removing {edges} breaks {what}{smallest}"
    if len(arcs) == 1:
        (source, target), = arcs
        hint = f"fix: drop {display[target]} from {_declared_in(g, source, target)}"
    else:
        hint = "fix: drop those dependencies, or move the code both sides share into a package they both depend on"
    raise CycleError(message, hint=hint)


def feedback_edges(g: nx.DiGraph) -> tuple[list[tuple[str, str]], bool]:
    """A smallest set of edges whose removal leaves ``g`` acyclic, and whether it is proven smallest."""
    from cigen.graph.feedback_arcs import minimum_feedback_arcs

    return minimum_feedback_arcs(g, cyclic_components(g))


def _display_names(g: nx.DiGraph) -> dict[str, str]:
    """Labels, with the path added where two members share a label."""
    keys = _keys(g)
    counts: dict[str, int] = {}
    for label, _ in keys.values():
        counts[label] = counts.get(label, 0) + 1
    return {n: (label if counts[label] == 1 else f"{label} ({n})") for n, (label, _) in keys.items()}


def _declared_in(g: nx.DiGraph, source: str, target: str) -> str:
    member: Member = g.nodes[source]["member"]
    manifest = "pyproject.toml" if member.language == "python" else "package.json"
    where = manifest if source == "." else f"{source}/{manifest}"
    fields = " and ".join(g.edges[source, target]["kinds"])
    return f"the {fields} of {where}" if fields else where
