"""The dependencies a manifest declares, before any of them is linked to a member.

Node: the four fields of package.json, in the order npm reads them.
Python: PEP 621 ``project.dependencies`` and ``project.optional-dependencies``,
PEP 735 ``[dependency-groups]`` (with ``include-group``), uv's legacy
``tool.uv.dev-dependencies``, and the dependencies a build hook declares
statically in pyproject.toml (hatch's uv-dynamic-versioning, which projects
such as pydantic-ai use to pin their sibling packages to ``=={{ version }}``).
Python names are PEP 503-normalised, as uv and pip compare them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cigen.errors import InputError
from cigen.model import Dependency, DependencyField

NODE_FIELDS: tuple[DependencyField, ...] = (
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
)

# hatch metadata hooks that take their dependency lists from pyproject.toml itself.
STATIC_HOOKS = ("uv-dynamic-versioning",)

_PEP508_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?")
_SEPARATORS = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """PEP 503: ``Pydantic_AI.Slim`` -> ``pydantic-ai-slim``."""
    return _SEPARATORS.sub("-", name).lower()


def node_dependencies(manifest: Mapping[str, Any], *, path: Path | str | None = None) -> tuple[Dependency, ...]:
    """Every entry of dependencies, devDependencies, peerDependencies, optionalDependencies."""
    found: list[Dependency] = []
    for field in NODE_FIELDS:
        block = manifest.get(field)
        if block is None:
            continue
        if not isinstance(block, Mapping):
            raise InputError(
                f'"{field}" must be an object of package names and ranges, not {_kind(block)}',
                path=path,
                hint=f'write it as "{field}": {{"name": "^1.0.0"}}',
            )
        for name, spec in block.items():
            if not isinstance(spec, str):
                raise InputError(
                    f'"{field}"."{name}" must be a version range or protocol string, not {_kind(spec)}',
                    path=path,
                    hint='quote it, e.g. "^1.0.0" or "workspace:*"',
                )
            found.append(Dependency(name=name, spec=spec, field=field))
    return tuple(found)


def python_dependencies(pyproject: Mapping[str, Any], *, path: Path | str | None = None) -> tuple[Dependency, ...]:
    """The requirements of every PEP 621, PEP 735 and static build-hook list, first occurrence kept."""
    project = _table(pyproject.get("project"), "project", path)
    tool = _table(pyproject.get("tool"), "tool", path)
    lists: list[tuple[str, DependencyField, object]] = [
        ("project.dependencies", "project.dependencies", project.get("dependencies")),
    ]
    optional = _table(project.get("optional-dependencies"), "project.optional-dependencies", path)
    lists += [(f"project.optional-dependencies.{k}", "project.optional-dependencies", v) for k, v in optional.items()]
    groups = _table(pyproject.get("dependency-groups"), "dependency-groups", path)
    lists += [(f"dependency-groups.{g}", "dependency-groups", _expand_group(groups, g, path)) for g in groups]
    uv = _table(tool.get("uv"), "tool.uv", path)
    lists.append(("tool.uv.dev-dependencies", "dependency-groups", uv.get("dev-dependencies")))
    hatch = _table(tool.get("hatch"), "tool.hatch", path)
    metadata = _table(hatch.get("metadata"), "tool.hatch.metadata", path)
    hooks = _table(metadata.get("hooks"), "tool.hatch.metadata.hooks", path)
    for hook in STATIC_HOOKS:
        where = f"tool.hatch.metadata.hooks.{hook}"
        table = _table(hooks.get(hook), where, path)
        lists.append((f"{where}.dependencies", "build-hook", table.get("dependencies")))
        extras = _table(table.get("optional-dependencies"), f"{where}.optional-dependencies", path)
        lists += [(f"{where}.optional-dependencies.{k}", "build-hook", v) for k, v in extras.items()]

    found: dict[tuple[str, str, str], Dependency] = {}
    for where, field, requirements in lists:
        for requirement in _strings(requirements, where, path):
            name = requirement_name(requirement)
            if name is None:
                raise InputError(
                    f"{where}: {requirement!r} is not a PEP 508 requirement",
                    path=path,
                    hint='start it with a package name, e.g. "httpx>=0.27"',
                )
            dep = Dependency(name=normalize(name), spec=requirement.strip(), field=field)
            found.setdefault((dep.name, dep.spec, dep.field), dep)
    return tuple(found.values())


def requirement_name(requirement: str) -> str | None:
    """The distribution name a PEP 508 requirement starts with (``"httpx[http2]>=0.27"`` -> ``"httpx"``)."""
    m = _PEP508_NAME.match(requirement)
    return m[1] if m else None


def requirement_url(requirement: str) -> str | None:
    """The URL of a direct reference (``"pkg @ file:../pkg"`` -> ``"file:../pkg"``), if it is one."""
    m = _PEP508_NAME.match(requirement)
    rest = requirement[m.end():].lstrip() if m else ""
    if not rest.startswith("@"):
        return None
    url = rest[1:].strip()
    # A marker follows "; " after the URL (PEP 508 requires the space before ";").
    return re.split(r"\s+;", url, maxsplit=1)[0].strip() or None


def _expand_group(
    groups: Mapping[str, Any], name: str, path: Path | str | None, seen: tuple[str, ...] = ()
) -> list[str]:
    """A PEP 735 group with every ``{include-group = "..."}`` replaced by that group's requirements."""
    by_normal = {normalize(g): g for g in groups}
    if normalize(name) in seen:
        cycle = " -> ".join((*seen, normalize(name)))
        raise InputError(
            f"dependency-groups: include-group cycle {cycle}", path=path, hint="remove one of the includes"
        )
    entries = groups[by_normal[normalize(name)]]
    if not isinstance(entries, list):
        raise InputError(f"dependency-groups.{name} must be a list, not {_kind(entries)}", path=path)
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            out.append(entry)
            continue
        included = entry.get("include-group") if isinstance(entry, Mapping) else None
        if not isinstance(included, str):
            raise InputError(
                f"dependency-groups.{name}: {entry!r} is neither a requirement nor an include-group table",
                path=path,
                hint='write a string or {include-group = "other"}',
            )
        if normalize(included) not in by_normal:
            raise InputError(
                f"dependency-groups.{name} includes group {included!r}, which is not defined",
                path=path,
                hint=f"define [dependency-groups] {included} or fix the name",
            )
        out += _expand_group(groups, included, path, (*seen, normalize(name)))
    return out


def _strings(value: object, where: str, path: Path | str | None) -> Iterable[str]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where} must be a list of requirement strings", path=path, hint='e.g. ["httpx>=0.27"]')
    return value


def _table(value: object, where: str, path: Path | str | None) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{where} must be a table, not {_kind(value)}", path=path)
    return value


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
