"""Stable topological order and generations over plain adjacency dicts.

The algorithm behind :func:`cigen.graph.topological_order` and
:func:`cigen.graph.levels`, kept free of networkx so that ``cigen graph``
orders an acyclic workspace without paying networkx's ~70 ms import; it
reads the same dict-of-dicts a ``networkx.DiGraph`` keeps (``g._succ``,
``g._pred``).
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping

Key = tuple[str, str]


def generations(
    succ: Mapping[str, Collection[str]], pred: Mapping[str, Iterable[str]], keys: Mapping[str, Key]
) -> tuple[list[list[str]], list[str]]:
    """Generations (dependencies first, each sorted by key) and the stable order (Kahn, smallest key first).

    ``succ`` maps a node to its dependencies, ``pred`` to its dependents.
    Nodes on a cycle, and every node that depends on one, are left out of
    both: a shorter ``order`` than ``succ`` means there is a cycle.
    """
    remaining = {n: len(deps) for n, deps in succ.items()}  # dependencies not yet placed
    ready = [keys[n] for n, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    generation_of: dict[str, int] = {}
    while ready:
        node = heapq.heappop(ready)[1]
        order.append(node)
        generation_of[node] = max((generation_of[d] + 1 for d in succ[node]), default=0)
        for dependent in pred[node]:
            remaining[dependent] -= 1
            if remaining[dependent] == 0:
                heapq.heappush(ready, keys[dependent])
    result: list[list[str]] = []
    for node in order:
        generation = generation_of[node]
        while len(result) <= generation:
            result.append([])
        result[generation].append(node)
    for nodes in result:
        nodes.sort(key=keys.__getitem__)
    return result, order
