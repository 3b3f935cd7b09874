"""The order the suite runs in: the longest tests first, side by side on pytest-xdist's workers.

pytest-xdist's ``worksteal`` scheduler hands each worker a run of consecutive
tests (the first quarter to one, the second to the next, with four workers)
and lets an idle worker take the tail of a busy one's queue. A long test
collected late therefore starts late and ends the run alone. :func:`arrange`
puts each group of long tests at the head of a worker's share, so the long
ones start at once, one per worker, while the other tests keep their
collection order and fill the shares (and stay with their modules, whose
fixtures are then made once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# A group of long tests: the node-ID prefixes of tests that share an expensive fixture (kept
# together), and the group's wall time in seconds (it only ranks the groups).
Group = tuple[tuple[str, ...], float]


def worksteal_shares(count: int, workers: int) -> list[int]:
    """How many of ``count`` tests the worksteal scheduler first hands each worker, in order."""
    shares: list[int] = []
    for i in range(workers):
        shares.append((count - sum(shares)) // (workers - i))
    return shares


def arrange(items: Sequence[T], node_id: Callable[[T], str], longest: Sequence[Group], workers: int) -> list[T]:
    """``items`` with each group of ``longest`` at the head of a worker's worksteal share.

    The groups go longest first, each to the share whose groups add up to least.
    With fewer than two workers, or too few tests to give each group room in a
    share, the groups simply come first. Every test is kept exactly once, and
    the same input always gives the same order (pytest-xdist needs every
    worker to order its collection alike).
    """
    taken: set[int] = set()
    groups: list[tuple[list[T], float]] = []
    for prefixes, seconds in longest:
        group = [item for item in items if id(item) not in taken and node_id(item).startswith(prefixes)]
        if group:
            taken.update(id(item) for item in group)
            groups.append((group, seconds))
    rest = [item for item in items if id(item) not in taken]
    long_first = [item for group, _ in groups for item in group] + rest
    if workers < 2:
        return long_first
    shares = worksteal_shares(len(items), workers)
    heads: list[list[T]] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for group, seconds in sorted(groups, key=lambda g: -g[1]):
        worker = min(range(workers), key=lambda w: (load[w], len(heads[w])))
        if len(heads[worker]) + len(group) > shares[worker]:
            return long_first
        heads[worker].extend(group)
        load[worker] += seconds
    ordered: list[T] = []
    position = 0
    for worker in range(workers):
        fill = shares[worker] - len(heads[worker])
        ordered += heads[worker] + rest[position : position + fill]
        position += fill
    return ordered + rest[position:]
