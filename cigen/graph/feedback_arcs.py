"""A smallest set of edges whose removal leaves the dependency graph acyclic.

Finding a minimum feedback arc set is NP-hard, but the cycles people create in
a monorepo are small: an exact search settles them at once. The search branches
on the edges of one short cycle (every answer must cut it) with iterative
deepening, starting from a lower bound (the number of edge-disjoint cycles
found greedily), so the first answer found is a smallest one. It stops after
:data:`EXACT_SEARCH_BUDGET` edge visits; past that it returns a
greedy set (Eades-Lin-Smyth ordering, then every edge put back that closes no
cycle): minimal, but not proven smallest, and the caller says so.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Mapping

from cigen.graph.graph import Graph, Key

Arc = tuple[str, str]

# Edge visits before the exact search gives up (~0.5 s). That settles any
# component that a handful of removals break, the monorepo case, up to
# thousands of edges; a dense tangle that needs many cuts gets the greedy set.
EXACT_SEARCH_BUDGET = 2_000_000

# Among equally small answers the search cuts first the edges a build needs least:
# development-only ones (the usual fix for a cycle), then peers, optional
# dependencies and extras, then the rest.
_DEV_KINDS = frozenset({"devDependencies", "dependency-groups"})
_SOFT_KINDS = _DEV_KINDS | {"peerDependencies", "optionalDependencies", "project.optional-dependencies"}


class _OutOfBudget(Exception):
    pass


def minimum_feedback_arcs(g: Graph, components: list[list[str]]) -> tuple[list[Arc], bool]:
    """The arcs to cut in each cyclic component (sorted), and whether the set is proven smallest."""
    keys = g.keys
    arcs: list[Arc] = []
    exact = True
    for component in components:
        found, proven = _Component(g, component, keys).solve()
        arcs.extend(found)
        exact = exact and proven
    arcs.sort(key=lambda a: (keys[a[0]], keys[a[1]]))
    return arcs, exact


class _Component:
    def __init__(self, g: Graph, component: list[str], keys: Mapping[str, Key]) -> None:
        members = set(component)
        self.keys = keys
        self.nodes = component  # sorted by key
        self.succ = {n: sorted((t for t in g.succ[n] if t in members), key=keys.__getitem__) for n in component}
        self.pred: dict[str, list[str]] = {n: [] for n in component}
        for n in component:
            for t in self.succ[n]:
                self.pred[t].append(n)
        self.size = len(component) + sum(len(v) for v in self.succ.values())
        self.work = 0

        def preference(arc: Arc) -> tuple[int, tuple[str, str], tuple[str, str]]:
            kinds = set(g.kinds(*arc))
            rank = 0 if kinds and kinds <= _DEV_KINDS else 1 if kinds and kinds <= _SOFT_KINDS else 2
            return (rank, keys[arc[0]], keys[arc[1]])

        self.preference = preference

    def solve(self) -> tuple[list[Arc], bool]:
        loops = {(n, n) for n in self.nodes if n in self.succ[n]}
        try:
            lower = self._disjoint_cycles(set(loops))
            for k in range(lower, self.size + 1):
                self.seen: set[frozenset[Arc]] = set()
                found = self._search(set(loops), k)
                if found is not None:
                    return sorted(found), True
        except _OutOfBudget:
            pass
        return sorted(self._greedy(loops)), False

    def _search(self, removed: set[Arc], k: int) -> set[Arc] | None:
        cycle = self._find_cycle(removed)
        if cycle is None:
            return set(removed)
        if k == 0:
            return None
        frozen = frozenset(removed)
        if frozen in self.seen:  # the same cuts reached in another order
            return None
        self.seen.add(frozen)
        for arc in sorted(cycle, key=self.preference):
            removed.add(arc)
            found = self._search(removed, k - 1)
            removed.discard(arc)
            if found is not None:
                return found
        return None

    def _disjoint_cycles(self, removed: set[Arc]) -> int:
        """How many edge-disjoint cycles a greedy packing finds: each needs its own cut."""
        count = 0
        while (cycle := self._find_cycle(removed)) is not None:
            count += 1
            removed.update(cycle)
        return count

    def _find_cycle(self, removed: set[Arc]) -> list[Arc] | None:
        """A short cycle left after ``removed``, deterministic; None when none is left."""
        self.work += self.size
        if self.work > EXACT_SEARCH_BUDGET:
            raise _OutOfBudget
        alive = self._cyclic_core(removed)
        if not alive:
            return None
        # Every node of the core has a live successor, so walking must close a loop.
        node = min(alive, key=self.keys.__getitem__)
        position: dict[str, int] = {}
        path: list[str] = []
        while node not in position:
            position[node] = len(path)
            path.append(node)
            node = next(t for t in self.succ[node] if t in alive and (node, t) not in removed)
        start = min(path[position[node]:], key=self.keys.__getitem__)
        return self._shortest_cycle(start, alive, removed)

    def _cyclic_core(self, removed: set[Arc]) -> set[str]:
        """The nodes left after repeatedly peeling those with no live in- or out-edges."""
        out = {n: 0 for n in self.nodes}
        inc = {n: 0 for n in self.nodes}
        for n in self.nodes:
            for t in self.succ[n]:
                if (n, t) not in removed:
                    out[n] += 1
                    inc[t] += 1
        alive = set(self.nodes)
        queue = [n for n in self.nodes if out[n] == 0 or inc[n] == 0]
        while queue:
            n = queue.pop()
            if n not in alive:
                continue
            alive.discard(n)
            for t in self.succ[n]:
                if t in alive and (n, t) not in removed:
                    inc[t] -= 1
                    if inc[t] == 0:
                        queue.append(t)
            for p in self.pred[n]:
                if p in alive and (p, n) not in removed:
                    out[p] -= 1
                    if out[p] == 0:
                        queue.append(p)
        return alive

    def _shortest_cycle(self, start: str, alive: set[str], removed: set[Arc]) -> list[Arc]:
        parent: dict[str, str] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for t in self.succ[node]:
                if t not in alive or (node, t) in removed:
                    continue
                if t == start:
                    nodes = [node]
                    while nodes[-1] != start:
                        nodes.append(parent[nodes[-1]])
                    nodes.reverse()
                    return list(zip(nodes, nodes[1:] + [start]))
                if t not in parent:
                    parent[t] = node
                    queue.append(t)
        raise AssertionError("the walk found a cycle through start")

    def _greedy(self, loops: set[Arc]) -> set[Arc]:
        """Eades-Lin-Smyth: order the nodes, cut the arcs that point backwards, then put back what can be."""
        out = {n: sum(1 for t in self.succ[n] if t != n) for n in self.nodes}
        inc = {n: sum(1 for p in self.pred[n] if p != n) for n in self.nodes}
        alive = set(self.nodes)
        front: list[str] = []
        back: list[str] = []
        heap = [(-(out[n] - inc[n]), self.keys[n], n) for n in self.nodes]
        heapq.heapify(heap)
        ends = deque(n for n in self.nodes if out[n] == 0 or inc[n] == 0)

        def take(n: str) -> None:
            alive.discard(n)
            for t in self.succ[n]:
                if t in alive:
                    inc[t] -= 1
                    ends.append(t)
                    heapq.heappush(heap, (-(out[t] - inc[t]), self.keys[t], t))
            for p in self.pred[n]:
                if p in alive:
                    out[p] -= 1
                    ends.append(p)
                    heapq.heappush(heap, (-(out[p] - inc[p]), self.keys[p], p))

        while alive:
            while ends:
                n = ends.popleft()
                if n in alive and out[n] == 0:
                    back.append(n)
                    take(n)
                elif n in alive and inc[n] == 0:
                    front.append(n)
                    take(n)
            while heap and alive:
                delta, _, n = heapq.heappop(heap)
                if n in alive and -delta == out[n] - inc[n]:
                    front.append(n)
                    take(n)
                    break
        position = {n: i for i, n in enumerate(front + back[::-1])}
        removed = set(loops) | {
            (n, t) for n in self.nodes for t in self.succ[n] if n != t and position[n] > position[t]
        }
        for arc in sorted(removed - loops, key=self.preference, reverse=True):
            removed.discard(arc)
            if self._cyclic_core(removed):
                removed.add(arc)
        return removed
