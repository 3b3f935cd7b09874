"""What a package.json dependency spec asks for, before any package manager answers it.

``"workspace:^"``, ``"workspace:@x/a@*"``, ``"workspace:../a"``, ``"link:../a"``,
``"file:../a"``, ``"portal:../a"``, ``"npm:@x/a@^1"``, ``"catalog:react19"``,
``"^1.2.0"``, ``"latest"``, ``"github:user/repo"``: each becomes a :class:`Spec`
naming the package it wants and how. The grammar follows pnpm's
``@pnpm/workspace.spec-parser`` and npm's ``npm-package-arg``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from cigen.discovery.semver import parse_range

SpecKind = Literal["workspace", "path", "catalog", "range", "tag", "remote"]

# pnpm's WORKSPACE_PREF_REGEX: "workspace:" then an optional "alias@" then the version part.
_WORKSPACE = re.compile(r"^workspace:(?:([^._/][^@]*)@)?(.*)$", re.S)
_PATH_PROTOCOLS = ("link:", "file:", "portal:")
_REMOTE_PREFIXES = (
    "git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:", "http:", "https:", "patch:", "exec:", "jsr:",
)
# npm-package-arg: a tag is whatever survives encodeURIComponent unchanged.
_TAG = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")


@dataclass(frozen=True, slots=True)
class Spec:
    """A parsed spec: ``target`` is the package it names (an alias's target, else the key)."""

    kind: SpecKind
    target: str
    text: str  # the version part (workspace, range, tag), the path, the catalog name, or the spec
    protocol: str = ""  # "workspace", "link", "file", "portal", "npm", "catalog" or "" (a bare range or tag)
    aliased: bool = False  # the key differs from the package it installs ("foo": "npm:bar@^1")


@lru_cache(maxsize=65536)
def parse_spec(name: str, spec: str) -> Spec:
    """Classify the spec ``spec`` written for the dependency key ``name``."""
    text = spec.strip()
    if text.startswith("workspace:"):
        m = _WORKSPACE.match(text)
        assert m is not None  # the pattern accepts every "workspace:" string
        alias, version = m[1], m[2].strip()
        if alias is None and _is_path(version):
            return Spec("path", name, version, "workspace")
        return Spec("workspace", alias or name, version, "workspace", aliased=alias is not None)
    for protocol in _PATH_PROTOCOLS:
        if text.startswith(protocol):
            return Spec("path", name, text[len(protocol):], protocol[:-1])
    if text.startswith("catalog:"):
        return Spec("catalog", name, text[len("catalog:"):].strip() or "default", "catalog")
    if text.startswith("npm:"):
        target, wanted = _alias(name, text[len("npm:"):].strip())
        wanted = wanted or "latest"  # npm-package-arg: "npm:foo" means foo@latest
        return Spec(_bare_kind(wanted), target, wanted, "npm", aliased=target != name)
    if text.startswith(_REMOTE_PREFIXES) or _is_hosted_shorthand(text):
        return Spec("remote", name, text)
    kind = _bare_kind(text)
    return Spec(kind, name, text)


def _alias(name: str, rest: str) -> tuple[str, str]:
    """``@x/a@^1`` -> (``@x/a``, ``^1``); ``a`` -> (``a``, ""); yarn's ``npm:^1`` -> (key, ``^1``)."""
    at = rest.find("@", 1)
    if at > 0:
        return rest[:at], rest[at + 1:].strip()
    if rest and not rest[0].isalpha() and not rest.startswith("@") and parse_range(rest) is not None:
        return name, rest
    return rest, ""


def _bare_kind(text: str) -> SpecKind:
    if text == "" or parse_range(text) is not None:
        return "range"
    return "tag" if _TAG.match(text) else "remote"


def _is_path(version: str) -> bool:
    if version.startswith((".", "/")):
        return True
    # yarn's "workspace:packages/a" (relative to the project root): a path that is no range.
    return "/" in version and parse_range(version) is None


def _is_hosted_shorthand(text: str) -> bool:
    # npm's "user/repo" and "user/repo#ref" mean GitHub; a scoped name never appears alone here.
    return bool(re.match(r"^[^@./:\s][^/:\s]*/[^/:\s]+(#.*)?$", text)) and parse_range(text) is None
