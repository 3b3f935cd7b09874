"""Rank products by the tags they share (Jaccard similarity)."""

from __future__ import annotations

from collections.abc import Mapping, Set


def similarity(a: Set[str], b: Set[str]) -> float:
    """Shared tags over all tags: 1.0 for the same set, 0.0 for nothing in common."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def rank(item: str, tags: Mapping[str, Set[str]], limit: int = 3) -> list[str]:
    """The ``limit`` items most like ``item``, most similar first, ties by id; never ``item`` itself."""
    if item not in tags:
        raise KeyError(item)
    scored = [(similarity(tags[item], t), other) for other, t in tags.items() if other != item]
    scored = [pair for pair in scored if pair[0] > 0]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [other for _, other in scored[:limit]]
