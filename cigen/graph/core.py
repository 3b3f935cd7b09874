"""Ordering the dependency graph and naming its cycles.

Every function here reads a :class:`~cigen.graph.graph.Graph` and is
deterministic: ties are broken by the member's label, then its path, the way
a person reading the output would sort them.
"""

from __future__ import annotations

from collections import deque

from cigen.errors import CycleError
from cigen.graph.feedback_arcs import minimum_feedback_arcs
from cigen.graph.graph import Graph
from cigen.graph.order import generations, stable_order

__all__ = [
    "cycles",
    "cyclic_components",
    "feedback_edges",
    "levels",
    "ordering",
    "partial_order",
    "require_acyclic",
    "topological_order",
]


def ordering(g: Graph) -> tuple[list[list[str]], list[str]]:
    """Levels and the stable order, leaving out members on or behind a cycle.

    ``len(order) < len(g)`` tells there is a cycle, without the cost of naming it.
    """
    return generations(g.succ, g.pred, g.keys), stable_order(g.succ, g.pred, g.keys)


def partial_order(g: Graph) -> list[str]:
    """The stable topological order of every member that is neither on a cycle nor depends on one."""
    return stable_order(g.succ, g.pred, g.keys)


def topological_order(g: Graph) -> list[str]:
    """Dependencies before dependents; among ready members, the smallest label (then path) first."""
    order = partial_order(g)
    if len(order) < len(g):
        require_acyclic(g)
    return order


def levels(g: Graph) -> list[list[str]]:
    """Topological generations, dependencies first: level 0 has no internal dependencies."""
    result = generations(g.succ, g.pred, g.keys)
    if sum(map(len, result)) < len(g):
        require_acyclic(g)
    return result


def cyclic_components(g: Graph) -> list[list[str]]:
    """Every strongly connected component that holds a cycle, each sorted, in sorted order."""
    keys = g.keys
    found = [
        sorted(c, key=keys.__getitem__)
        for c in _strongly_connected(g)
        if len(c) > 1 or g.has_edge(c[0], c[0])
    ]
    found.sort(key=lambda c: keys[c[0]])
    return found


def _strongly_connected(g: Graph) -> list[list[str]]:
    """Tarjan's algorithm with an explicit stack: a 20,000-member chain would overflow Python's."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in g:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(g.succ[root]))]
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(g.succ[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def cycles(g: Graph) -> list[list[str]]:
    """One shortest cycle through the smallest member of each cyclic component.

    A cycle is listed without repeating its first member: ``[a, b, c]`` reads
    ``a -> b -> c -> a``. A self-loop is ``[a]``.
    """
    if len(partial_order(g)) == len(g):  # the common case: no cycle, no SCC pass needed
        return []
    keys = g.keys
    result = []
    for component in cyclic_components(g):
        members = set(component)
        succ = {n: sorted((t for t in g.succ[n] if t in members), key=keys.__getitem__) for n in component}
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


def require_acyclic(g: Graph) -> None:
    """Raise :class:`CycleError` naming a cycle and a smallest set of edges whose removal breaks every cycle."""
    found = cycles(g)
    if not found:
        return
    display = g.display_names()
    arcs, exact = feedback_edges(g)
    shown = " -> ".join(display[n] for n in [*found[0], found[0][0]])
    message = f"dependency cycle: {shown}"
    if len(found) > 1:
        message += f" (and {len(found) - 1} more; `cigen graph --format text` lists every cycle)"
    # At most three: livekit/agents' 66 edges made one line of 3,172 characters.
    edges = ", ".join(f"{display[s]} -> {display[t]}" for s, t in arcs[:3])
    edges += f" and {len(arcs) - 3} more" if len(arcs) > 3 else ""
    what = "it" if len(found) == 1 else "them all"
    smallest = "" if exact else " (a minimal set; the component is too large to prove it the smallest)"
    message += f"; removing {edges} breaks {what}{smallest}"
    if len(arcs) == 1:
        (source, target), = arcs
        hint = f"fix: drop {display[target]} from {declared_in(g, source, target)}"
    else:
        hint = "fix: drop those dependencies, or move the code both sides share into a package they both depend on"
    raise CycleError(message, hint=hint)


def feedback_edges(g: Graph) -> tuple[list[tuple[str, str]], bool]:
    """A smallest set of edges whose removal leaves ``g`` acyclic, and whether it is proven smallest."""
    return minimum_feedback_arcs(g, cyclic_components(g))


def declared_in(g: Graph, source: str, target: str) -> str:
    """Where the edge is written: ``the devDependencies of packages/b/package.json``."""
    member = g.member(source)
    manifest = "pyproject.toml" if member.language == "python" else "package.json"
    where = manifest if source == "." else f"{source}/{manifest}"
    fields = " and ".join(g.kinds(source, target))
    return f"the {fields} of {where}" if fields else where
