"""cigen.yaml ``plan:`` keys that decide what the order of a plan follows: edges to leave out, and cycles.

``ignore.kinds`` leaves out of the ordering every edge declared only by
fields of those kinds (an edge that is also a ``dependencies`` entry stays);
``ignore.edges`` names edges (``"dependent -> dependency"``, by member name or
path) to leave out; ``cycles`` says what a cycle that is left does. Every edge
left out is listed by ``cigen plan``, so nothing is hidden.

The vocabulary only, without pydantic (the plan reads it on every ``cigen
graph``); the model is ``PlanConfig.ignore`` in :mod:`cigen.config.root`.
"""

from __future__ import annotations

from typing import Literal

EdgeKind = Literal["dev", "peer", "optional", "extras"]
CycleMode = Literal["error", "units"]

# The manifest fields (cigen.model.DependencyField) each kind stands for.
KIND_FIELDS: dict[EdgeKind, frozenset[str]] = {
    "dev": frozenset({"devDependencies", "dependency-groups"}),
    "peer": frozenset({"peerDependencies"}),
    "optional": frozenset({"optionalDependencies"}),
    "extras": frozenset({"project.optional-dependencies"}),
}
ARROW = "->"


def split_edge(text: str) -> tuple[str, str]:
    """``"a -> b"`` as ``("a", "b")``; ValueError when it is not two names around one arrow."""
    parts = [p.strip() for p in text.split(ARROW)]
    if len(parts) != 2 or not all(parts):
        raise ValueError(f'{text!r} is not an edge: write "dependent -> dependency"')
    return parts[0], parts[1]
