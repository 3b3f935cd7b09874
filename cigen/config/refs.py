"""Service references in ``services.<name>.env``: ``${url:NAME}`` and ``${port:NAME}``.

``RECOMMEND_URL: ${url:shop-recommend}`` becomes ``http://127.0.0.1:PORT`` where
PORT is an address cigen controls: under ``cigen up`` a loopback proxy in front of
``shop-recommend`` (so ``cigen verify`` can delay or fail that edge), in the
ecosystem file the service's own port (PM2 alone runs no proxy). ``${port:NAME}``
is the bare port, for a URL of another scheme (``mqtt://127.0.0.1:${port:broker}``).
A reference is a runtime edge: the service starts once NAME is healthy.

Only these two forms are read; any other ``${...}`` is passed through as written,
as it always was (a shell or the program itself may expand it). ``$${url:NAME}``
is the text ``${url:NAME}``, as docker compose escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, TypeVar

RefKind = Literal["url", "port"]
T = TypeVar("T")
# `$$` before the reference escapes it; the name runs to the closing brace (service names hold @ and /).
_REF = re.compile(r"(\$?)\$\{(url|port):([^}]*)\}")


def references(value: str) -> list[tuple[RefKind, str]]:
    """The ``(kind, NAME)`` of each reference in ``value``, in order; escaped ones are no references."""
    return [(_kind(m[2]), m[3].strip()) for m in _REF.finditer(value) if not m[1]]


def check_references(value: T) -> T:
    """``value`` unchanged; a reference without a name is a ValueError (a validator of each env value)."""
    if isinstance(value, str):
        for kind, name in references(value):
            if not name:
                raise ValueError(f"${{{kind}:}} names no service (write ${{{kind}:service}})")
    return value


def substitute(value: str, port_of: Callable[[str], int]) -> str:
    """``value`` with each reference replaced through ``port_of(NAME)``, escapes unescaped."""
    def replace(m: re.Match[str]) -> str:
        if m[1]:
            return m[0][1:]
        port = port_of(m[3].strip())
        return f"http://127.0.0.1:{port}" if m[2] == "url" else str(port)

    return _REF.sub(replace, value)


def rename(value: str, canonical: Callable[[str], str]) -> str:
    """``value`` with each reference's NAME as ``canonical`` spells it (a member path becomes the service name)."""
    return _REF.sub(lambda m: m[0] if m[1] else f"${{{m[2]}:{canonical(m[3].strip())}}}", value)


def _kind(text: str) -> RefKind:
    return "url" if text == "url" else "port"
