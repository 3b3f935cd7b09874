"""Workspace definitions: where each package manager reads its member list, and which one wins.

========================  =====================================================================
file                      read when
========================  =====================================================================
cigen.yaml                ``workspaces:`` is set: it replaces every definition below
rush.json                 present: rush installs the repo, ``projects[].projectFolder``
pnpm-workspace.yaml       the package manager is pnpm (pnpm ignores package.json workspaces)
package.json              ``workspaces`` (a list, or ``{packages: [...]}``) under npm, yarn, bun
lerna.json                no package-manager definition: lerna 7+ uses ``packages``, or
                          ``packages/*`` when it has none (with one, lerna defers to the
                          package manager, which is what installs and links)
pyproject.toml            ``[tool.uv.workspace]`` members/exclude; beside any Node definition
(default)                 none of the above: ``packages/*``, ``services/*``, ``apps/*``
========================  =====================================================================

The package manager comes first (``packageManager``, lockfiles, then the
definition files themselves), because it decides which file counts: a repo
with pnpm-workspace.yaml and package.json ``workspaces`` (astro keeps the
latter for other tools) is read as pnpm reads it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cigen.adapters.files import read_text
from cigen.discovery import globs
from cigen.discovery import package_managers as pms
from cigen.discovery.members import read_json, read_jsonc, read_yaml
from cigen.errors import InputError
from cigen.model import Language, PackageManager

DEFAULT_GLOBS = ("packages/*", "services/*", "apps/*")

NODE_DIALECTS: dict[PackageManager, globs.Dialect] = {
    "npm": globs.NPM,
    "yarn": globs.YARN_CLASSIC,
    "yarn-berry": globs.YARN_BERRY,
    "pnpm": globs.PNPM,
    "bun": globs.BUN,
}


@dataclass(frozen=True, slots=True)
class Definition:
    """One source of members: its file, the manifests it looks for, and its globs."""

    file: str  # "pnpm-workspace.yaml", "package.json", ..., "cigen.yaml", "default"
    language: Language | None  # None: a folder with package.json or pyproject.toml
    dialect: globs.Dialect
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    folders: tuple[tuple[str, str | None], ...] = ()  # rush: exact (projectFolder, packageName)


@dataclass(frozen=True, slots=True)
class Layout:
    """What the root says: the package manager, the definitions that count, and notes."""

    package_manager: PackageManager  # the Node one when the repo has Node, else the Python one
    python_manager: PackageManager
    definitions: tuple[Definition, ...]
    warnings: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        """The file that defined the members (the Node one first: it governs linking)."""
        return self.definitions[0].file if self.definitions else "default"


def read_layout(
    root: str,
    names: Collection[str],
    manifest: Mapping[str, Any] | None,
    pyproject: Mapping[str, Any] | None,
    config_globs: Sequence[str] | None,
) -> Layout:
    """Decide which definitions count for the repo at ``root`` (whose entries are ``names``)."""
    warnings: list[str] = []
    lerna = _object(read_json(os.path.join(root, "lerna.json")), root, "lerna.json") if "lerna.json" in names else None
    rush = _object(read_jsonc(os.path.join(root, "rush.json")), root, "rush.json") if "rush.json" in names else None
    node_manager = pms.from_rush(rush) if rush is not None else pms.detect_node_root(root, names, manifest, lerna)
    python_manager = pms.detect_python(names, pyproject) or "pip"
    has_node = manifest is not None or rush is not None or bool(pms.NODE_LOCKFILE_NAMES & set(names))
    manager = node_manager if has_node or pyproject is None else python_manager

    if config_globs is not None:
        includes, excludes = globs.split_negations(config_globs, globs.CIGEN)
        config_file = "cigen.yml" if "cigen.yml" in names and "cigen.yaml" not in names else "cigen.yaml"
        _check_escapes(root, config_file, [*includes, *excludes])
        definition = Definition("cigen.yaml", None, globs.CIGEN, tuple(includes), tuple(excludes))
        return Layout(manager, python_manager, (definition,))

    definitions: list[Definition] = []
    node = _node_definition(root, names, manifest, node_manager, lerna, rush, warnings)
    if node is not None:
        definitions.append(node)
    uv = _uv_definition(root, pyproject)
    if uv is not None:
        definitions.append(uv)
        python_manager = "uv"
        if not has_node:
            manager = "uv"
    if not definitions:
        definitions.append(Definition("default", None, globs.CIGEN, DEFAULT_GLOBS))
    return Layout(manager, python_manager, tuple(definitions), tuple(warnings))


def _node_definition(
    root: str,
    names: Collection[str],
    manifest: Mapping[str, Any] | None,
    manager: PackageManager,
    lerna: Mapping[str, Any] | None,
    rush: Mapping[str, Any] | None,
    warnings: list[str],
) -> Definition | None:
    if rush is not None:
        return _rush_definition(root, rush)
    if manager == "pnpm" and "pnpm-workspace.yaml" in names:
        data = read_yaml(os.path.join(root, "pnpm-workspace.yaml"))
        data = {} if data is None else _object(data, root, "pnpm-workspace.yaml")
        # Without `packages`, pnpm 10 and later treat the root as the only project.
        patterns = _string_list(data.get("packages", []), root, "pnpm-workspace.yaml", "packages")
        return _glob_definition(root, "pnpm-workspace.yaml", globs.PNPM, patterns)
    workspaces = manifest.get("workspaces") if manifest else None
    if workspaces is not None:
        if isinstance(workspaces, Mapping):
            workspaces = workspaces.get("packages", [])
        patterns = _string_list(workspaces, root, "package.json", "workspaces")
        if manager == "pnpm":
            warnings.append(
                "package.json: pnpm ignores `workspaces` and reads pnpm-workspace.yaml, which is missing; "
                "cigen uses `workspaces` (add pnpm-workspace.yaml so that pnpm links these members too)"
            )
        return _glob_definition(root, "package.json", NODE_DIALECTS[manager], patterns)
    if lerna is not None:
        # lerna 7+: `packages` when given, else the package manager's workspaces (none here), else packages/*.
        patterns = _string_list(lerna.get("packages", ["packages/*"]), root, "lerna.json", "packages")
        return _glob_definition(root, "lerna.json", globs.LERNA, patterns)
    return None


def _glob_definition(root: str, file: str, dialect: globs.Dialect, patterns: list[str]) -> Definition:
    includes, excludes = globs.split_negations(patterns, dialect)
    _check_escapes(root, file, [*includes, *excludes])
    return Definition(file, "node", dialect, tuple(includes), tuple(excludes))


def _rush_definition(root: str, rush: Mapping[str, Any]) -> Definition:
    projects = rush.get("projects", [])
    if not isinstance(projects, list):
        raise error_at(root, "rush.json", '"projects"', "`projects` must be a list of {packageName, projectFolder}")
    folders: list[tuple[str, str | None]] = []
    for project in projects:
        folder = project.get("projectFolder") if isinstance(project, Mapping) else None
        if not isinstance(folder, str) or not folder.strip():
            raise error_at(root, "rush.json", '"projects"', "every project needs a `projectFolder` (a path)")
        _check_escapes(root, "rush.json", [folder])
        name = project.get("packageName")
        folders.append((globs.normalize(folder), name if isinstance(name, str) else None))
    return Definition("rush.json", "node", globs.PNPM, folders=tuple(folders))


def _uv_definition(root: str, pyproject: Mapping[str, Any] | None) -> Definition | None:
    tool = pyproject.get("tool") if pyproject else None
    uv = tool.get("uv") if isinstance(tool, Mapping) else None
    workspace = uv.get("workspace") if isinstance(uv, Mapping) else None
    if not isinstance(workspace, Mapping):
        return None
    members = _string_list(workspace.get("members", []), root, "pyproject.toml", "tool.uv.workspace.members")
    exclude = _string_list(workspace.get("exclude", []), root, "pyproject.toml", "tool.uv.workspace.exclude")
    _check_escapes(root, "pyproject.toml", [*members, *exclude])
    return Definition("pyproject.toml", "python", globs.UV, tuple(members), tuple(exclude))


# --- validation with located errors ------------------------------------------------------------


def _object(value: Any, root: str, file: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError("must hold a mapping at the top level", path=os.path.join(root, file), line=1, column=1)
    return value


def _string_list(value: Any, root: str, file: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        leaf = key.rsplit(".", 1)[-1]
        raise error_at(root, file, leaf, f"`{key}` must be a list of globs (strings)")
    return list(value)


def _check_escapes(root: str, file: str, patterns: Sequence[str]) -> None:
    for pattern in patterns:
        if globs.escapes_root(pattern):
            raise error_at(
                root, file, pattern, f"workspace glob {pattern!r} points outside the repository root",
                hint="member globs are relative to the root and must stay inside it",
            )


def error_at(root: str, file: str, needle: str, message: str, *, hint: str | None = None) -> InputError:
    """An InputError pointing at the first line of ``file`` that mentions ``needle``."""
    path = Path(root) / file
    line = column = None
    try:
        for number, text in enumerate(read_text(path).splitlines(), start=1):
            found = text.find(needle)
            if found != -1:
                line, column = number, found + 1
                break
    except InputError:
        pass
    return InputError(message, path=path, line=line, column=column, hint=hint)
