"""The built-in functions of GitHub Actions expressions.

The status functions (success, failure, cancelled, always) and hashFiles
depend on where they are evaluated, so the runner supplies them; their names
are listed here so the parser knows them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from testing.gha.values import equals, is_primitive, to_json, to_str

STATUS_FUNCTIONS = frozenset({"success", "failure", "cancelled", "always"})


@dataclass(frozen=True)
class Builtin:
    min_args: int
    max_args: int
    call: Callable[..., Any]


def _contains(search: Any, item: Any) -> bool:
    if is_primitive(search):
        return is_primitive(item) and to_str(item).casefold() in to_str(search).casefold()
    if isinstance(search, list):
        return any(equals(item, value) for value in search)
    return False


def _starts_with(text: Any, prefix: Any) -> bool:
    if not (is_primitive(text) and is_primitive(prefix)):
        return False
    return to_str(text).casefold().startswith(to_str(prefix).casefold())


def _ends_with(text: Any, suffix: Any) -> bool:
    if not (is_primitive(text) and is_primitive(suffix)):
        return False
    return to_str(text).casefold().endswith(to_str(suffix).casefold())


def _format(template: Any, *args: Any) -> str:
    text = to_str(template)
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "{":
            if text.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            close = text.find("}", i)
            digits = text[i + 1 : close] if close != -1 else ""
            if not digits.isdigit():
                raise ValueError(f"the format string is invalid: {text}")
            index = int(digits)
            if index >= len(args):
                raise ValueError(f"the format string references {{{index}}} but only {len(args)} argument(s) were given")
            out.append(to_str(args[index]))
            i = close + 1
        elif c == "}":
            if not text.startswith("}}", i):
                raise ValueError(f"the format string is invalid: {text}")
            out.append("}")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _join(items: Any, separator: Any = ",") -> str:
    sep = to_str(separator) if is_primitive(separator) else ","
    if isinstance(items, list):
        return sep.join(to_str(item) for item in items)
    return to_str(items) if is_primitive(items) else ""


def _from_json(text: Any) -> Any:
    source = to_str(text)
    if not source.strip():
        raise ValueError("fromJSON: empty input")
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise ValueError(f"fromJSON: invalid JSON {source[:80]!r}: {exc}") from None


def _unsupported_case(*_: Any) -> Any:  # evaluated lazily by the evaluator itself
    raise AssertionError("case() is evaluated by the evaluator")


BUILTINS: dict[str, Builtin] = {
    "contains": Builtin(2, 2, _contains),
    "startswith": Builtin(2, 2, _starts_with),
    "endswith": Builtin(2, 2, _ends_with),
    "format": Builtin(1, 255, _format),
    "join": Builtin(1, 2, _join),
    "tojson": Builtin(1, 1, to_json),
    "fromjson": Builtin(1, 1, _from_json),
    "case": Builtin(3, 255, _unsupported_case),
}
