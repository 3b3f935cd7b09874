"""The dependency graph every consumer reads: members, edges, sort keys, display names, reachability.

Nodes are member paths, each with its :class:`~cigen.model.Member` (the
runtime's graph of service names, :func:`from_names`, has nodes with no
member, sorted by their name); an edge
points from the dependent to its dependency and carries the manifest fields
that declared it (its kinds). The graph is built once and never changed:
``subgraph`` and :func:`cigen.plan.stages.compute_plan`'s restriction make new
ones. Plain dicts rather than networkx: ``cigen graph`` and ``cigen
affected`` would otherwise pay its ~70 ms import.

Members sort by label, then path (labels can repeat), everywhere; the order,
level and cycle algorithms over this type are in :mod:`cigen.graph.core`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from cigen.model import Member, Workspace

Key = tuple[str, str]
Kinds = tuple[str, ...]


def display_names(members: Iterable[Member]) -> dict[str, str]:
    """Member path -> the name to show: its label, or ``label (path)`` where two members share a label."""
    listed = list(members)
    counts: dict[str, int] = {}
    for m in listed:
        counts[m.label] = counts.get(m.label, 0) + 1
    return {m.path: m.label if counts[m.label] == 1 else f"{m.label} ({m.path})" for m in listed}


@dataclass(frozen=True, eq=False)
class Graph:
    """``succ[n]`` maps ``n``'s dependencies to the edge kinds, ``pred[n]`` its dependents; both hold every node."""

    keys: Mapping[str, Key]  # every node -> its sort key (label, path), in workspace order
    members: Mapping[str, Member]  # path -> member, for the nodes that are members
    succ: Mapping[str, Mapping[str, Kinds]]
    pred: Mapping[str, Mapping[str, Kinds]]

    def __contains__(self, node: object) -> bool:
        return node in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def member(self, path: str) -> Member:
        return self.members[path]

    def successors(self, node: str) -> Iterable[str]:
        """What ``node`` depends on directly."""
        return self.succ[node]

    def predecessors(self, node: str) -> Iterable[str]:
        """What depends on ``node`` directly."""
        return self.pred[node]

    def edges(self) -> Iterator[tuple[str, str]]:
        """Every edge (dependent, dependency), in node order then declaration order."""
        return ((s, t) for s, targets in self.succ.items() for t in targets)

    def has_edge(self, source: str, target: str) -> bool:
        return source in self.succ and target in self.succ[source]

    def kinds(self, source: str, target: str) -> Kinds:
        """The manifest fields that declared the edge."""
        return self.succ[source][target]

    def sort_key(self, path: str) -> Key:
        return self.keys[path]

    def display_names(self) -> dict[str, str]:
        """Members by :func:`display_names`; a node that is no member by its name."""
        return {n: n for n in self.keys} | display_names(self.members.values())

    def dependents(self, paths: Iterable[str], *, transitive: bool = True) -> set[str]:
        """Members that depend on any of ``paths`` (a member of ``paths`` only if it is itself a dependent)."""
        return self._reach(self.pred, paths, transitive)

    def dependencies(self, paths: Iterable[str], *, transitive: bool = True) -> set[str]:
        """Members that any of ``paths`` depends on (a member of ``paths`` only if it is itself a dependency)."""
        return self._reach(self.succ, paths, transitive)

    def _reach(self, adj: Mapping[str, Mapping[str, Kinds]], paths: Iterable[str], transitive: bool) -> set[str]:
        starts = list(paths)
        for p in starts:
            if p not in self.keys:
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

    def subgraph(self, nodes: Iterable[str]) -> Graph:
        """The induced graph on ``nodes`` (in this graph's node order)."""
        chosen = set(nodes)
        return self.rewired(chosen, (
            (s, t, kinds) for s, targets in self.succ.items() if s in chosen
            for t, kinds in targets.items() if t in chosen
        ))

    def rewired(self, nodes: Iterable[str], edges: Iterable[tuple[str, str, Kinds]]) -> Graph:
        """The graph on ``nodes`` (keeping their sort keys and members, in this graph's node order) with
        exactly ``edges`` between them: how a selection keeps the order its members reach each other in."""
        chosen = set(nodes)
        keys = {n: k for n, k in self.keys.items() if n in chosen}
        members = {n: m for n, m in self.members.items() if n in chosen}
        return _linked(keys, members, edges)


def build_graph(workspace: Workspace, *, include_root: bool = False) -> Graph:
    """The workspace's members and internal edges; the root package only with ``include_root``."""
    return from_edges(
        (m for m in workspace.members if include_root or not m.is_root),
        ((e.source, e.target, e.kinds) for e in workspace.edges),
    )


def from_edges(members: Iterable[Member], edges: Iterable[tuple[str, str, Kinds]]) -> Graph:
    """The graph on ``members`` with those of ``edges`` whose two ends are members; a repeated edge takes the last kinds."""
    nodes = {m.path: m for m in members}
    return _linked({p: (m.label, p) for p, m in nodes.items()}, nodes, edges)


def from_names(names: Iterable[str], edges: Iterable[tuple[str, str]]) -> Graph:
    """A graph of plain names (the runtime's services), each sorted by itself; edges carry no kinds."""
    return _linked({n: (n, n) for n in names}, {}, ((s, t, ()) for s, t in edges))


def _linked(keys: dict[str, Key], members: dict[str, Member], edges: Iterable[tuple[str, str, Kinds]]) -> Graph:
    succ: dict[str, dict[str, Kinds]] = {n: {} for n in keys}
    pred: dict[str, dict[str, Kinds]] = {n: {} for n in keys}
    for source, target, kinds in edges:
        if source in keys and target in keys:
            succ[source][target] = kinds
            pred[target][source] = kinds
    return Graph(keys, members, succ, pred)
