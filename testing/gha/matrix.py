"""Expanding ``strategy.matrix`` into legs, with GitHub's include/exclude rules.

- Axes (every key but include/exclude) multiply out, first key outermost.
- ``exclude`` entries remove the combinations they match (a partial match
  suffices) before ``include`` is applied.
- Each ``include`` entry is merged into every combination where it overwrites
  none of the original axis values (values added by earlier includes may be
  overwritten); an entry that fits no combination becomes a new one.
- An axis with no values, a matrix with no combination at all, or more than
  256 combinations is an error that fails the job, as on GitHub.
"""

from __future__ import annotations

import itertools
from typing import Any

from testing.gha.values import to_str

MAX_LEGS = 256


class MatrixError(Exception):
    pass


def _matches(combination: dict[str, Any], partial: dict[str, Any]) -> bool:
    return all(k in combination and combination[k] == v for k, v in partial.items())


def expand(matrix: Any) -> list[dict[str, Any]]:
    """The combinations of an evaluated ``strategy.matrix`` (an empty matrix gives one empty leg)."""
    if matrix is None:
        return [{}]
    if not isinstance(matrix, dict):
        raise MatrixError(f"strategy.matrix must be a mapping, got {to_str(matrix)!r}")
    include = matrix.get("include") or []
    exclude = matrix.get("exclude") or []
    if not isinstance(include, list) or not isinstance(exclude, list):
        raise MatrixError("strategy.matrix include and exclude must be sequences")
    axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
    for name, values in axes.items():
        if not isinstance(values, list):
            raise MatrixError(f"matrix vector {name!r} must be a sequence, got {to_str(values)!r}")
        if not values:
            raise MatrixError(f"matrix vector {name!r} does not contain any values")
    combinations: list[dict[str, Any]] = []
    if axes:
        keys = list(axes)
        combinations = [dict(zip(keys, values)) for values in itertools.product(*axes.values())]
        combinations = [c for c in combinations if not any(_matches(c, e) for e in exclude)]
    originals = [dict(c) for c in combinations]
    extra: list[dict[str, Any]] = []
    for entry in include:
        if not isinstance(entry, dict):
            raise MatrixError(f"a matrix include entry must be a mapping, got {to_str(entry)!r}")
        merged = False
        for original, combination in zip(originals, combinations):
            if all(original.get(k, v) == v for k, v in entry.items() if k in original):
                combination.update(entry)
                merged = True
        if not merged:
            extra.append(dict(entry))
    combinations += extra
    if not combinations:
        raise MatrixError("the matrix has no combinations (an empty include list and no vectors)")
    if len(combinations) > MAX_LEGS:
        raise MatrixError(f"the matrix has {len(combinations)} combinations; GitHub allows at most {MAX_LEGS}")
    return combinations


def leg_suffix(combination: dict[str, Any]) -> str:
    """How GitHub names a leg after its job: the matrix values in order, ``(a, b)``."""
    if not combination:
        return ""
    return " (" + ", ".join(_flat(v) for v in combination.values()) + ")"


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(_flat(v) for v in value.values())
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value)
    return to_str(value)
