"""Unified diffs that stay linear on large generated files (``cigen check``, ``--check``).

:func:`difflib.unified_diff` looks for the longest matching run again and
again; on a workflow of many near-identical jobs (the same lines in every
one) that work grows with the square of the file and worse: 500 jobs that each
changed one line took minutes. Here the match is anchored instead, as git's
patience diff does: the lines that occur once in both files (a job's id, its
``needs``) are matched in order (the longest increasing run of their
positions, found in n log n), the common lines around each anchor are taken
as they come, and only a small stretch between anchors, with no line of its
own, goes to difflib. The output is difflib's unified format, three lines of
context.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Hashable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)

# A stretch without anchors is matched by difflib only up to this many line pairs; beyond it, it is
# one replacement (correct, if not the smallest diff), so that no input makes the diff quadratic.
DIFFLIB_PAIRS = 250_000


def _anchors(a: Sequence[T], b: Sequence[T], alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
    """Pairs (i, j) of lines unique in both stretches, the longest run increasing in both."""
    seen: dict[T, list[int]] = {}  # line -> [count in a, position in a, count in b, position in b]
    for i in range(alo, ahi):
        entry = seen.setdefault(a[i], [0, i, 0, 0])
        entry[0] += 1
    for j in range(blo, bhi):
        found = seen.get(b[j])
        if found is not None:
            found[2] += 1
            found[3] = j
    pairs = sorted((i, j) for count_a, i, count_b, j in seen.values() if count_a == 1 and count_b == 1)
    # Patience sorting: tails[k] is the smallest b-position ending an increasing run of length k + 1.
    tails: list[int] = []
    ends: list[int] = []  # index into pairs of each tail
    before: list[int] = []  # index into pairs of the previous element of the run each pair ends
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        before.append(ends[k - 1] if k else -1)
        if k == len(tails):
            tails.append(j)
            ends.append(index)
        else:
            tails[k] = j
            ends[k] = index
    run = []
    index = ends[-1] if ends else -1
    while index >= 0:
        run.append(pairs[index])
        index = before[index]
    return run[::-1]


def matching_blocks(a: Sequence[T], b: Sequence[T]) -> list[tuple[int, int, int]]:
    """(i, j, size) runs with ``a[i:i+size] == b[j:j+size]``, increasing, ending with ``(len(a), len(b), 0)``."""
    found: list[tuple[int, int, int]] = []
    stretches = [(0, len(a), 0, len(b))]
    while stretches:
        alo, ahi, blo, bhi = stretches.pop()
        start_a, start_b = alo, blo
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            alo, blo = alo + 1, blo + 1
        if alo > start_a:
            found.append((start_a, start_b, alo - start_a))
        end_a = ahi
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
        if ahi < end_a:
            found.append((ahi, bhi, end_a - ahi))
        if alo == ahi or blo == bhi:
            continue
        anchors = _anchors(a, b, alo, ahi, blo, bhi)
        if anchors:
            for i, j in anchors:
                found.append((i, j, 1))
                stretches.append((alo, i, blo, j))
                alo, blo = i + 1, j + 1
            stretches.append((alo, ahi, blo, bhi))
        elif (ahi - alo) * (bhi - blo) <= DIFFLIB_PAIRS:
            matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            found += [(alo + i, blo + j, size) for i, j, size in matcher.get_matching_blocks() if size]
    merged: list[tuple[int, int, int]] = []
    for i, j, size in sorted(found):
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + size)
        else:
            merged.append((i, j, size))
    return [*merged, (len(a), len(b), 0)]


class _Anchored(difflib.SequenceMatcher[str]):
    """difflib's grouping of changes into hunks, over the blocks :func:`matching_blocks` found."""

    def __init__(self, blocks: list[tuple[int, int, int]]) -> None:
        super().__init__(None, (), ())
        self._blocks = [difflib.Match(*block) for block in blocks]

    def get_matching_blocks(self) -> list[difflib.Match]:
        return self._blocks


def _range(start: int, stop: int) -> str:
    """A hunk's line range, as difflib and diff write it."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start if not length else start + 1},{length}"


def unified_diff(a: Sequence[str], b: Sequence[str], *, fromfile: str, tofile: str) -> Iterator[str]:
    """The lines of a unified diff from ``a`` to ``b`` (lines with their ends), as :func:`difflib.unified_diff`."""
    groups = _Anchored(matching_blocks(a, b)).get_grouped_opcodes(3)
    for number, group in enumerate(groups):
        if number == 0:
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        yield f"@@ -{_range(group[0][1], group[-1][2])} +{_range(group[0][3], group[-1][4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])
