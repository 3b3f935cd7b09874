"""The values that flow from discovery to every consumer.

Members are identified by ``path`` (relative to the root, ``/``-separated,
``"."`` for the root package): names can repeat (pnpm accepts duplicates) or be
missing, paths cannot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["package", "service", "app"]
Language = Literal["node", "python"]
PackageManager = Literal["npm", "yarn", "yarn-berry", "pnpm", "bun", "uv", "poetry", "pip"]
DependencyField = Literal[
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
    # Python (PEP 621 / PEP 735 / build-hook metadata)
    "project.dependencies",
    "project.optional-dependencies",
    "dependency-groups",
    "build-hook",
]


@dataclass(frozen=True, slots=True)
class Dependency:
    """One dependency as a manifest declares it, before linking."""

    name: str  # the key in the manifest (for an ``npm:`` alias, the alias)
    spec: str  # the range / protocol string as written ("workspace:^", "^1.2.0", ...)
    field: DependencyField


@dataclass(frozen=True, slots=True)
class Member:
    """A workspace member: a package, a service or an app."""

    path: str
    name: str | None
    version: str | None
    kind: Kind
    language: Language
    package_manager: PackageManager
    scripts: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    dependencies: tuple[Dependency, ...] = ()
    private: bool = False
    is_root: bool = False
    startable: bool = False  # has a start command (``start`` script or cigen.yaml)

    @property
    def label(self) -> str:
        """The name to show a person: the package name, or the path when unnamed."""
        return self.name if self.name else self.path


@dataclass(frozen=True, slots=True)
class Edge:
    """dependent -> dependency, with every manifest field that declared it."""

    source: str  # dependent's path
    target: str  # dependency's path
    kinds: tuple[DependencyField, ...]


@dataclass(frozen=True, slots=True)
class Unlinked:
    """A dependency that names a member but does not link to it, and why."""

    source: str  # dependent's path
    name: str
    spec: str
    field: DependencyField
    reason: str


@dataclass(frozen=True, slots=True)
class Workspace:
    """Everything discovery found, sorted by path: the input of graph and plan."""

    root: Path
    definition: str  # the file that defined the members ("pnpm-workspace.yaml", ...)
    package_manager: PackageManager
    members: tuple[Member, ...]
    edges: tuple[Edge, ...] = ()
    unlinked: tuple[Unlinked, ...] = ()
    warnings: tuple[str, ...] = ()

    def member(self, path: str) -> Member:
        for m in self.members:
            if m.path == path:
                return m
        raise KeyError(path)

    @property
    def by_path(self) -> dict[str, Member]:
        return {m.path: m for m in self.members}
