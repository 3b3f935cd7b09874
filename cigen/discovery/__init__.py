"""Discovery: the members of a monorepo, found exactly as its package manager finds them.

``discover(root, config)`` reads the root, decides which workspace definition
counts (:mod:`~cigen.discovery.workspaces`), walks its globs
(:mod:`~cigen.discovery.globs`), reads each member's manifest once
(:mod:`~cigen.discovery.members`), links their dependencies
(:mod:`~cigen.discovery.linking`) and returns a :class:`~cigen.model.Workspace`
sorted by path. Oddities a package manager tolerates (duplicate names, unnamed
packages, a folder reached twice through a link) become warnings, never errors.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cigen.discovery import globs
from cigen.discovery.dependencies import node_dependencies, python_dependencies
from cigen.discovery.linking import link_members
from cigen.discovery.members import (
    configured_kind,
    listing,
    mark_startable,
    node_member,
    python_member,
    read_json,
    read_toml,
    read_yaml,
    script_warnings,
)
from cigen.discovery.workspaces import Definition, Layout, error_at, read_layout
from cigen.errors import InputError
from cigen.model import Member, Workspace

if TYPE_CHECKING:
    from cigen.config.root import Config

__all__ = ["discover", "mark_startable"]


def discover(root: Path, config: Config | None = None) -> Workspace:
    """The workspace at ``root``: its members, their dependencies, and what to warn about."""
    root_dir = os.path.abspath(root)
    try:
        names = frozenset(os.listdir(root_dir))
    except OSError as exc:
        raise InputError(
            f"cannot read the monorepo root: {exc.strerror or exc}", path=root_dir,
            hint="pass the monorepo's root folder with --root",
        ) from None
    manifest = None
    if "package.json" in names:
        manifest = _mapping(read_json(os.path.join(root_dir, "package.json")), root_dir, ".")
    pyproject = read_toml(os.path.join(root_dir, "pyproject.toml")) if "pyproject.toml" in names else None
    layout = read_layout(root_dir, names, manifest, pyproject, config.workspaces if config else None)

    found = _Collector(root_dir, layout)
    found.add_root(names, manifest, pyproject)
    for definition in layout.definitions:
        found.collect(definition)
    members = found.members(config.kinds if config else {})
    linked = link_members(Path(root_dir), members, layout.package_manager, layout.file)

    warnings = [*layout.warnings, *found.warnings, *_name_warnings(members), *linked.warnings]
    workspace = Workspace(
        root=Path(root_dir),
        definition=layout.file,
        package_manager=layout.package_manager,
        members=members,
        edges=linked.edges,
        unlinked=linked.unlinked,
        warnings=tuple(sorted(set(warnings))),
    )
    # A `start:` in cigen.yaml `services:` makes a member startable as a start script does.
    started = [key for key, service in config.services.items() if service.start is not None] if config else []
    return mark_startable(workspace, started) if started else workspace


class _Collector:
    """Members by path, each real folder once, and the notes made on the way."""

    def __init__(self, root: str, layout: Layout) -> None:
        self.root = root
        self.root_real = os.path.realpath(root)
        self.layout = layout
        self.by_path: dict[str, Member] = {}
        self.real_of: dict[str, str] = {}  # real folder -> the path it is listed under
        self.warnings: list[str] = []

    # -- the root ----------------------------------------------------------------------------------

    def add_root(
        self, names: Collection[str], manifest: Mapping[str, Any] | None, pyproject: Mapping[str, Any] | None
    ) -> None:
        if manifest is not None and self.layout.file != "rush.json":
            # pnpm, yarn and npm all treat the root package as a workspace project.
            self._add(self._node(self.root, ".", manifest, names), self.root_real)
        project = pyproject.get("project") if pyproject else None
        if pyproject and isinstance(project, Mapping) and any(d.language != "node" for d in self.layout.definitions):
            if "." in self.by_path:
                self.warnings.append(
                    "the root holds both package.json and a Python [project]; the root member is the Node package"
                )
            else:
                self._add(self._python(self.root, ".", pyproject, names), self.root_real)

    # -- one definition ----------------------------------------------------------------------------

    def collect(self, definition: Definition) -> None:
        if definition.folders:
            self._collect_rush(definition)
            return
        queue = [(definition.includes, definition.excludes)]
        while queue:
            includes, excludes = queue.pop(0)
            patterns = globs.compile_patterns(includes, definition.dialect)
            exclusions = globs.Exclusions(excludes, definition.dialect)
            for match in globs.walk(self.root, patterns, definition.dialect, exclusions=exclusions):
                listed = self.by_path.get(match.path)
                if listed is not None:
                    if definition.language not in (None, listed.language):
                        self.warnings.append(
                            f"{match.path} is a member of both the {listed.language} and the {definition.language} "
                            f"workspace; it is listed once, as the {listed.language} package"
                        )
                    continue
                manifest = self._read(match, definition)
                # yarn berry: a member that declares workspaces has members of its own.
                nested = manifest.get("workspaces") if manifest and definition.dialect is globs.YARN_BERRY else None
                if isinstance(nested, Mapping):
                    nested = nested.get("packages")
                if isinstance(nested, list) and nested and all(isinstance(g, str) for g in nested):
                    inc, exc = globs.split_negations(nested, definition.dialect)
                    below = (globs.normalize(f"{match.path}/{i}") for i in inc)
                    queue.append((
                        tuple(g for g in below if not globs.escapes_root(g)),
                        tuple(f"{match.path}/{e}" for e in exc),
                    ))

    def _collect_rush(self, definition: Definition) -> None:
        for folder, package_name in definition.folders:
            directory = os.path.join(self.root, folder)
            names = listing(directory, None)
            if names is None or "package.json" not in names:
                self.warnings.append(f"rush.json: project {package_name or folder} has no package.json in {folder}")
                continue
            manifest = _mapping(read_json(os.path.join(directory, "package.json")), self.root, folder)
            member = self._node(directory, folder, manifest, names)
            if member.name is None and package_name:
                member = replace(member, name=package_name)
            self._add(member, os.path.realpath(directory))

    def _read(self, match: globs.Match, definition: Definition) -> Mapping[str, Any] | None:
        """Read the member at ``match``; its manifest, or None when the folder is no member."""
        directory = f"{self.root}/{match.path}"
        names = listing(directory, match.names)
        if names is None:
            return None
        language = definition.language
        if language is None:
            language = "node" if "package.json" in names else "python" if "pyproject.toml" in names else None
        if language == "node":
            manifest = self._node_manifest(directory, match.path, names, definition)
            if manifest is not None:
                file = "package.json" if "package.json" in names else "package.yaml"
                self._add(self._node(directory, match.path, manifest, names, file), match.real)
            return manifest
        if language == "python":
            pyproject = self._pyproject(directory, match.path, names, definition)
            if pyproject is not None:
                self._add(self._python(directory, match.path, pyproject, names), match.real)
        return None

    def _node_manifest(
        self, directory: str, path: str, names: Collection[str], definition: Definition
    ) -> Mapping[str, Any] | None:
        if "package.json" in names:
            manifest = _mapping(read_json(f"{directory}/package.json"), self.root, path)
            if definition.dialect is globs.YARN_CLASSIC and not (manifest.get("name") and manifest.get("version")):
                missing = "name" if not manifest.get("name") else "version"
                self.warnings.append(
                    f"{path}/package.json has no {missing}; yarn 1 skips such workspaces, and so does cigen"
                )
                return None
            return manifest
        if definition.dialect is globs.PNPM and "package.yaml" in names:
            return _mapping(read_yaml(os.path.join(directory, "package.yaml")), self.root, path, "package.yaml")
        if definition.dialect is globs.PNPM and "package.json5" in names:
            self.warnings.append(f"{path}/package.json5: JSON5 manifests are not supported; member skipped")
        return None

    def _pyproject(
        self, directory: str, path: str, names: Collection[str], definition: Definition
    ) -> Mapping[str, Any] | None:
        if "pyproject.toml" not in names:
            # uv skips hidden and empty folders its globs match, and refuses others.
            if definition.file == "pyproject.toml" and names and not path.rsplit("/", 1)[-1].startswith("."):
                self.warnings.append(
                    f"pyproject.toml: {path} matches [tool.uv.workspace] members but has no pyproject.toml "
                    "(uv refuses this); skipped"
                )
            return None
        pyproject = read_toml(os.path.join(directory, "pyproject.toml"))
        tool = pyproject.get("tool")
        uv = tool.get("uv") if isinstance(tool, Mapping) else None
        if isinstance(uv, Mapping) and uv.get("managed") is False:
            return None  # uv leaves unmanaged projects out of the workspace
        if not isinstance(pyproject.get("project"), Mapping):
            self.warnings.append(f"{path}/pyproject.toml has no [project] table; skipped")
            return None
        return pyproject

    def _node(
        self, directory: str, path: str, manifest: Mapping[str, Any], names: Collection[str], file: str = "package.json"
    ) -> Member:
        _require_string_name(manifest.get("name"), directory, file, '"name"')
        dependencies = node_dependencies(manifest, path=f"{directory}/{file}")
        self.warnings += script_warnings(directory, path, file, manifest)
        return node_member(directory, path, manifest, names, self.layout.package_manager, dependencies)

    def _python(self, directory: str, path: str, pyproject: Mapping[str, Any], names: Collection[str]) -> Member:
        project = pyproject.get("project")
        if isinstance(project, Mapping):
            _require_string_name(project.get("name"), directory, "pyproject.toml", "name")
        dependencies = python_dependencies(pyproject, path=f"{directory}/pyproject.toml")
        return python_member(path, pyproject, names, self.layout.python_manager, dependencies)

    # -- bookkeeping -------------------------------------------------------------------------------

    def _add(self, member: Member, real: str) -> None:
        if member.path in self.by_path:
            return
        listed = self.real_of.get(real)
        if listed is not None:
            # The same folder through a symbolic link: list it once, under its own path when that is one of them.
            keep, drop = (member.path, listed) if self._is_own_path(member.path, real) else (listed, member.path)
            self.warnings.append(f"{drop} is a link to {keep}; listed once, as {keep}")
            if keep == listed:
                return
            del self.by_path[listed]
        self.real_of[real] = member.path
        self.by_path[member.path] = member

    def _is_own_path(self, path: str, real: str) -> bool:
        return real == (self.root_real if path == "." else f"{self.root_real}/{path}")

    def members(self, kinds: Mapping[str, Any]) -> tuple[Member, ...]:
        out = []
        for path in sorted(self.by_path):
            member = self.by_path[path]
            kind = configured_kind(member, kinds) if kinds else None
            out.append(replace(member, kind=kind) if kind and kind != member.kind else member)
        return tuple(out)


def _mapping(value: Any, root: str, path: str, file: str = "package.json") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        location = os.path.join(root, file) if path == "." else os.path.join(root, path, file)
        raise InputError("a manifest must hold an object at the top level", path=location, line=1, column=1)
    return value


def _require_string_name(name: object, directory: str, file: str, key: str) -> None:
    """npm, yarn, pnpm and uv refuse a manifest whose name is not a string (``"name": 42``)."""
    if name is not None and not isinstance(name, str):
        kind = "a number" if isinstance(name, int | float) and not isinstance(name, bool) else type(name).__name__
        raise error_at(directory, file, key, f"name must be a string, not {kind} ({name!r})",
                       hint='quote it, e.g. "name": "@scope/package"' if file != "pyproject.toml"
                       else 'quote it, e.g. name = "package"')


def _name_warnings(members: tuple[Member, ...]) -> list[str]:
    warnings: list[str] = []
    by_name: dict[tuple[str, str], list[str]] = {}
    for m in members:
        if m.name is None:
            if not m.is_root:
                manifest = "package.json" if m.language == "node" else "pyproject.toml"
                warnings.append(f"{m.path}/{manifest} has no name; listed by its path, and nothing can depend on it")
        else:
            by_name.setdefault((m.language, m.name), []).append(m.path)
    for (_, name), paths in sorted(by_name.items()):
        if len(paths) > 1:
            warnings.append(f"{len(paths)} members are named {name!r}: {', '.join(paths)}")
    return warnings
