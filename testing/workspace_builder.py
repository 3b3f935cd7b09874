"""Hand-built :class:`~cigen.model.Workspace` values for unit tests of graph, plan and selection.

``workspace({"web": ["ui"], "ui": ["utils"], "utils": []})`` gives members at
``packages/<name>`` with edges dependent -> dependency (``dependencies``). A
spec may map a dependency to a list of fields, and names may be given paths
with ``path:name`` ("apps/web:web"); ``root=True`` adds the root package ".".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cigen.model import DependencyField, Edge, Kind, Member, Workspace


def member(path: str, name: str | None, *, kind: Kind = "package", is_root: bool = False) -> Member:
    return Member(
        path=path, name=name, version="1.0.0", kind=kind, language="node", package_manager="npm",
        scripts={"build": "true"}, is_root=is_root,
    )


def _split(key: str) -> tuple[str, str | None]:
    if ":" in key:
        path, name = key.split(":", 1)
        return path, (name or None)
    return f"packages/{key}", key


def workspace(spec: Mapping[str, Mapping[str, Sequence[DependencyField]] | Sequence[str]], *, root: bool = False, root_deps: tuple[str, ...] = ()) -> Workspace:
    paths = {}
    members = []
    for key in spec:
        path, name = _split(key)
        paths[name or path] = path
        paths[key] = path
        paths[path] = path
        kind: Kind = "app" if path.startswith("apps/") else "service" if path.startswith("services/") else "package"
        members.append(member(path, name, kind=kind))
    edges = []
    for key, deps in spec.items():
        source = _split(key)[0]
        items: Iterable[tuple[str, Sequence[DependencyField]]] = (
            deps.items() if isinstance(deps, Mapping) else ((d, ("dependencies",)) for d in deps))
        for dep, kinds in items:
            edges.append(Edge(source, paths[dep], tuple(kinds)))
    if root:
        members.append(member(".", "monorepo", is_root=True))
        edges += [Edge(".", paths[d], ("devDependencies",)) for d in root_deps]
    members.sort(key=lambda m: m.path)
    edges.sort(key=lambda e: (e.source, e.target))
    return Workspace(Path("/nonexistent"), "package.json", "npm", tuple(members), tuple(edges))
