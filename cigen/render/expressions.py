"""Writing GitHub Actions expressions and static text that GitHub must keep literal.

GitHub evaluates ``${{ ... }}`` in almost every string of a workflow (``env``
values, ``with`` inputs, ``working-directory``, ...), so text that comes from
the repository (a folder name, a command in cigen.yaml) must never carry a raw
``${{`` into the file: :func:`escape` turns it into an expression that yields
those three characters. Inside ``run:`` cigen writes no repository text at
all; values reach scripts through ``env:`` and are used as ``"$VAR"``.
"""

from __future__ import annotations

import json
from typing import Any

OPEN = "${{"
# An expression whose value is the text "${{": GitHub's template reader skips
# quoted strings while it looks for the closing braces.
_OPEN_LITERAL = "${{ '${{' }}"


def escape(text: str) -> str:
    """``text`` as a workflow string value that GitHub reads back unchanged."""
    return text.replace(OPEN, _OPEN_LITERAL)


def json_text(value: Any) -> str:
    """``value`` as one line of JSON that GitHub leaves alone.

    ``${{`` inside a string is written ``\\u0024{{`` (the same text to
    ``fromJSON``), so the value holds no expression at all: GitHub then reads
    it as plain text, with no limit on its length.
    """
    return json.dumps(value, ensure_ascii=False).replace(OPEN, "\\u0024{{")


def literal(text: str) -> str:
    """A single-quoted expression string literal: ``it's`` -> ``'it''s'``."""
    if OPEN in text:
        raise ValueError(f"cannot put {OPEN!r} in an expression literal: {text!r}")
    return "'" + text.replace("'", "''") + "'"


def all_of(*conditions: str | None) -> str | None:
    """The conditions joined with ``&&`` (each parenthesised when it has an ``||``); None if none."""
    parts = [f"({c})" if "||" in c else c for c in conditions if c]
    return " && ".join(parts) if parts else None


def condition(expression: str | None) -> str | None:
    """An ``if:`` value: bare, or wrapped in ``${{ }}`` when it starts with ``!`` (a YAML tag)."""
    if expression is None:
        return None
    return f"${{{{ {expression} }}}}" if expression.startswith("!") else expression
