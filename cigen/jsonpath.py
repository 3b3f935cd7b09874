"""JSONPath as checks write it (RFC 9535's singular queries): ``$``, ``$.order.id``, ``$.items[0].sku``,
``$['content-type']``, ``$.items[-1]``.

A check reads one value at a path (``save``, ``expect.json``, ``agree``), so only singular queries are taken:
names and indexes, no wildcards, slices or filters, which select many values. Anything else is refused when
cigen.yaml is read, saying so, rather than half-understood when the check runs.
"""

from __future__ import annotations

import re
from typing import Any

Segment = str | int
_TOKEN = re.compile(
    r"""\.(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)      # .name
      | \[\s*(?P<index>-?\d+)\s*\]               # [0], [-1]
      | \[\s*'(?P<single>(?:[^'\\]|\\.)*)'\s*\]  # ['any key']
      | \[\s*"(?P<double>(?:[^"\\]|\\.)*)"\s*\]  # ["any key"]
    """,
    re.VERBOSE,
)


class Missing:
    """No value at the path (told apart from a JSON null)."""

    def __repr__(self) -> str:
        return "nothing"


MISSING = Missing()


def parse(path: str) -> tuple[Segment, ...]:
    """``$.a[0]['b c']`` -> ``("a", 0, "b c")``; ValueError saying what is wrong otherwise."""
    if not path.startswith("$"):
        raise ValueError(f"{path!r} is not a JSONPath: it starts with $ (write $.id or $.items[0].sku)")
    segments: list[Segment] = []
    at = 1
    while at < len(path):
        match = _TOKEN.match(path, at)
        if match is None:
            rest = path[at:]
            why = ("wildcards, slices and filters select many values; a check reads one"
                   if any(c in rest for c in "*?:") or rest.startswith("..") else f"cannot read {rest!r}")
            raise ValueError(f"{path!r} is not a JSONPath to one value: {why}")
        if match["name"] is not None:
            segments.append(match["name"])
        elif match["index"] is not None:
            segments.append(int(match["index"]))
        else:
            quoted = match["single"] if match["single"] is not None else match["double"]
            segments.append(re.sub(r"\\(.)", r"\1", quoted))
        at = match.end()
    return tuple(segments)


def find(document: Any, path: str) -> Any:
    """The value at ``path`` in ``document``, or :data:`MISSING`."""
    value = document
    for segment in parse(path):
        if isinstance(segment, int) and isinstance(value, list) and -len(value) <= segment < len(value):
            value = value[segment]
        elif isinstance(segment, str) and isinstance(value, dict) and segment in value:
            value = value[segment]
        else:
            return MISSING
    return value
