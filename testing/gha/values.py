"""Values of GitHub Actions expressions: truthiness, coercion, loose equality, JSON.

Expression data maps onto Python as null -> None, boolean -> bool, number ->
int/float, string -> str, array -> list, object -> dict. The rules follow the
runner's (and actions/languageservices') evaluator: JavaScript's abstract
equality except that strings compare ignoring case and objects never coerce.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_JS_NUMBER = re.compile(
    r"""[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity)""",
)


class FilteredArray(list[Any]):
    """The result of a ``*`` filter (``needs.*.result``): an array, flattened one level per star."""


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def js_number(text: str) -> float:
    """JavaScript's ``Number(text)``: trims, "" is 0, hex/octal/binary prefixes, else NaN."""
    text = text.strip()
    if text == "":
        return 0.0
    lowered = text.lower()
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if lowered.startswith(prefix):
            try:
                return float(int(text[2:], base))
            except ValueError:
                return math.nan
    if not _JS_NUMBER.fullmatch(text):
        return math.nan
    return float(text.replace("Infinity", "inf"))


def to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        return js_number(value)
    return math.nan


def number_to_str(value: float) -> str:
    """A number as the runner prints it: at most 15 decimals, no trailing zeros, no "-0"."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    rounded = float(f"{value:.15f}")
    if rounded.is_integer() and abs(rounded) < 1e21:
        return str(int(rounded))
    text = repr(rounded)
    if "e" in text:  # JavaScript writes 1e-7, Python 1e-07
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{int(exponent.lstrip('+-'))}"
    return text


def to_str(value: Any) -> str:
    """String coercion, as in ``format('{0}', value)`` or ``${{ value }}`` inside text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return number_to_str(float(value))
    if isinstance(value, str):
        return value
    return "Array" if isinstance(value, list) else "Object"


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if is_number(value):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """Bring two operands to one kind the way the runner does before comparing."""
    lk, rk = _kind(left), _kind(right)
    if lk == rk:
        return left, right
    if lk == "number" and rk == "string":
        return left, to_number(right)
    if lk == "string" and rk == "number":
        return to_number(left), right
    if lk in ("null", "boolean"):
        return _coerce(to_number(left), right)
    if rk in ("null", "boolean"):
        return _coerce(left, to_number(right))
    return left, right


def _upper(text: str) -> str:
    # Ordinal ignore-case, keeping the dotless i as it is (as the runner does).
    return "ı".join(part.upper() for part in text.split("ı"))


def equals(left: Any, right: Any) -> bool:
    left, right = _coerce(left, right)
    kind = _kind(left)
    if kind != _kind(right):
        return False
    if kind == "null":
        return True
    if kind == "number":
        return not (math.isnan(left) or math.isnan(right)) and left == right
    if kind == "string":
        return _upper(left) == _upper(right)
    if kind == "boolean":
        return bool(left == right)
    return left is right  # arrays and objects: the same instance only


def greater(left: Any, right: Any) -> bool:
    left, right = _coerce(left, right)
    kind = _kind(left)
    if kind != _kind(right):
        return False
    if kind == "number":
        return not (math.isnan(left) or math.isnan(right)) and left > right
    if kind == "string":
        return _upper(left) > _upper(right)
    if kind == "boolean":
        return left and not right
    return False


def less(left: Any, right: Any) -> bool:
    left, right = _coerce(left, right)
    kind = _kind(left)
    if kind != _kind(right):
        return False
    if kind == "number":
        return not (math.isnan(left) or math.isnan(right)) and left < right
    if kind == "string":
        return _upper(left) < _upper(right)
    if kind == "boolean":
        return not left and right
    return False


def to_json(value: Any, indent: int = 0) -> str:
    """``toJSON``: two-space indentation, empty containers as ``[]``/``{}``, runner number format."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + to_json(v, indent + 1) for v in value) + f"\n{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{inner}{json.dumps(k, ensure_ascii=False)}: {to_json(v, indent + 1)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if is_number(value):
        return number_to_str(float(value))
    return json.dumps(value, ensure_ascii=False)


def get_member(container: Any, key: str) -> tuple[bool, Any]:
    """Look ``key`` up in an object, ignoring case as the runner's dictionaries do."""
    if key in container:
        return True, container[key]
    folded = key.casefold()
    for name, value in container.items():
        if isinstance(name, str) and name.casefold() == folded:
            return True, value
    return False, None
