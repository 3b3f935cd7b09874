"""Pinned actions: every ``uses:`` cigen writes names a commit SHA, with its tag as a comment.

The SHAs live in ``actions.json`` next to this module (verified release
commits); a tag can move, a commit cannot. Updating an action is a one-line
change there, and the generated workflows follow on the next ``cigen generate``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml.comments import CommentedMap


@cache
def _pins() -> dict[str, dict[str, str]]:
    pins: dict[str, dict[str, str]] = json.loads(
        resources.files("cigen.render").joinpath("actions.json").read_text("utf-8"))
    return pins


def pin(action: str) -> tuple[str, str]:
    """``"actions/checkout"`` -> (``"actions/checkout@<sha>"``, ``"v7.0.1"``)."""
    entry = _pins()["/".join(action.split("/")[:2])]  # actions/cache/restore: a folder of actions/cache
    return f"{action}@{entry['sha']}", entry["tag"]


def uses_step(
    action: str,
    *,
    name: str | None = None,
    id: str | None = None,
    if_: str | None = None,
    with_: dict[str, Any] | None = None,
) -> CommentedMap:
    """A step running ``action`` pinned by SHA, with ``# vX.Y.Z`` after the ``uses:`` line."""
    ref, tag = pin(action)
    step = CommentedMap()
    if name is not None:
        step["name"] = name
    if id is not None:
        step["id"] = id
    if if_ is not None:
        step["if"] = if_
    step["uses"] = ref
    step.yaml_add_eol_comment(tag, "uses")
    if with_:
        step["with"] = CommentedMap(with_)
    return step
