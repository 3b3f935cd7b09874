"""Topological generations and the stable topological order, over plain adjacency dicts.

The algorithms behind :func:`cigen.graph.core.levels` and
:func:`cigen.graph.core.topological_order`. ``succ`` maps a node to its
dependencies and ``pred`` to its dependents (a
:class:`~cigen.graph.graph.Graph`'s ``succ`` and ``pred`` serve as they are);
``keys`` gives each node its sort key.

Both leave out the nodes on a cycle and every node that depends on one, so a
result shorter than ``succ`` means there is a cycle.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping

Key = tuple[str, str]


def generations(
    succ: Mapping[str, Collection[str]], pred: Mapping[str, Iterable[str]], keys: Mapping[str, Key]
) -> list[list[str]]:
    """Dependencies first: generation 0 has no dependencies, generation k+1 depends on generation k; each sorted."""
    remaining = {n: len(deps) for n, deps in succ.items()}  # dependencies not yet placed
    current = [n for n, count in remaining.items() if count == 0]
    result: list[list[str]] = []
    while current:
        current.sort(key=keys.__getitem__)
        result.append(current)
        following = []
        for node in current:
            for dependent in pred[node]:
                remaining[dependent] -= 1
                if remaining[dependent] == 0:
                    following.append(dependent)
        current = following
    return result


def stable_order(
    succ: Mapping[str, Collection[str]], pred: Mapping[str, Iterable[str]], keys: Mapping[str, Key]
) -> list[str]:
    """Kahn's algorithm taking the smallest ready node first: dependencies before dependents, ties by key."""
    remaining = {n: len(deps) for n, deps in succ.items()}
    ready = [keys[n] for n, count in remaining.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)[1]
        order.append(node)
        for dependent in pred[node]:
            remaining[dependent] -= 1
            if remaining[dependent] == 0:
                heapq.heappush(ready, keys[dependent])
    return order
