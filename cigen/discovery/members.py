"""A member's folder and manifest, read once, turned into a :class:`~cigen.model.Member`.

The readers here are the fast path of discovery: one ``open`` and one
``json.loads`` (or ``tomllib.loads``) per manifest. Only when that fails do
they hand the file to :mod:`cigen.adapters.files`, which reads it again to say where
(file:line:column) and why.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from cigen.adapters import files
from cigen.discovery import package_managers as pms
from cigen.discovery.globs import match_path, unreadable_folder
from cigen.model import Dependency, Kind, Member, PackageManager, Workspace

FOLDER_KINDS: dict[str, Kind] = {"services": "service", "apps": "app"}
BOM = b"\xef\xbb\xbf"
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # O_BINARY: Windows would translate line ends


# --- reading manifests ----------------------------------------------------------------------------


def read_json(path: str) -> Any:
    """A JSON file's value; a located :class:`~cigen.errors.InputError` when it is malformed."""
    try:
        data = read_bytes(path)
        # A plain UTF-8 decode runs in C; "utf-8-sig" does not. Only a BOM needs cutting.
        return json.loads((data[3:] if data.startswith(BOM) else data).decode("utf-8"))
    except (ValueError, OSError, RecursionError):
        return files.read_json(Path(path))  # raises with file:line:column


def read_bytes(path: str) -> bytes:
    """The file's bytes through the bare system calls.

    ``open()`` adds an fstat, a buffer and a file object per file: 7.3 us a
    manifest against 4.4 us here, 15 ms of 5,000 members.
    """
    fd = os.open(path, _READ_FLAGS)  # non-inheritable, as every descriptor Python opens
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_toml(path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(read_bytes(path).decode("utf-8-sig"))
    except (ValueError, OSError, RecursionError):
        return files.read_toml(Path(path))


def read_jsonc(path: str) -> Any:
    return files.read_jsonc(Path(path))


def read_yaml(path: str) -> Any:
    return files.read_yaml(Path(path))


# --- kinds and selectors --------------------------------------------------------------------------


def selects(selector: str, member: Member) -> bool:
    """A cigen.yaml selector (member name, name glob, or path glob) picks ``member``."""
    if selector in (member.name, member.path):
        return True
    if member.name and "*" in selector and match_path(selector, member.name, dot=True):
        return True
    return match_path(selector, member.path, dot=True)


def folder_kind(path: str) -> Kind:
    """``services/x`` is a service, ``apps/x`` an app, everything else a package."""
    return FOLDER_KINDS.get(path.split("/", 1)[0], "package") if "/" in path else "package"


def configured_kind(member: Member, kinds: Mapping[str, Kind]) -> Kind | None:
    """The kind cigen.yaml gives ``member``: an exact name or path first, then the first glob that fits."""
    for selector, kind in kinds.items():
        if selector in (member.name, member.path):
            return kind
    for selector, kind in kinds.items():
        if selects(selector, member):
            return kind
    return None


def mark_startable(workspace: Workspace, selectors: Iterable[str]) -> Workspace:
    """The same workspace, with the members that ``selectors`` pick marked startable.

    Discovery knows a Node member can start when it has a ``start`` script; a
    start command given in cigen.yaml (how a Python service starts) is known to
    the runtime's configuration, which applies it through this function.
    """
    wanted = tuple(selectors)
    members = tuple(
        replace(m, startable=True) if not m.startable and any(selects(s, m) for s in wanted) else m
        for m in workspace.members
    )
    return replace(workspace, members=members)


# --- building members -----------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def node_member(
    folder: str,
    path: str,
    manifest: Mapping[str, Any],
    names: Collection[str],
    root_manager: PackageManager,
    dependencies: tuple[Dependency, ...],
) -> Member:
    scripts_field = manifest.get("scripts")
    scripts = (
        {k: v for k, v in sorted(scripts_field.items()) if isinstance(v, str)}
        if isinstance(scripts_field, Mapping) else {}
    )
    own = None if path == "." else pms.detect_node(folder, names, manifest)
    return Member(
        path=path,
        name=_text(manifest.get("name")),
        version=_text(manifest.get("version")),
        kind=folder_kind(path),
        language="node",
        package_manager=own or root_manager,
        scripts=scripts,
        dependencies=dependencies,
        private=manifest.get("private") is True,
        is_root=path == ".",
        startable="start" in scripts,
    )


def script_warnings(folder: str, path: str, file: str, manifest: Mapping[str, Any]) -> list[str]:
    """What npm drops from ``scripts`` without a word (a value that is no string, scripts that are no object).

    npm runs such a script as a missing one ("Missing script: build"), and so
    does cigen; the warning says where it is, so that ``build: 5`` is not
    mistaken for a build that passed.
    """
    scripts = manifest.get("scripts")
    if scripts is None or (isinstance(scripts, Mapping) and all(isinstance(v, str) for v in scripts.values())):
        return []
    shown = file if path == "." else f"{path}/{file}"
    text = files.read_text(Path(folder, file)) if file == "package.json" else ""

    def at(*keys: str) -> str:
        found = files.json_key_position(text, keys)
        return f"{shown}:{found[0]}:{found[1]}" if found else shown

    if not isinstance(scripts, Mapping):
        return [f"{at('scripts')}: scripts is {_short(scripts)}, not an object of commands; npm ignores it, "
                "and so does cigen"]
    return [
        f"{at('scripts', name)}: scripts.{name} is {_short(value)}, not a command; npm runs it as a missing "
        "script, and so does cigen (write the command as a string)"
        for name, value in scripts.items() if not isinstance(value, str)
    ]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def python_member(
    path: str,
    pyproject: Mapping[str, Any],
    names: Collection[str],
    workspace_manager: PackageManager,
    dependencies: tuple[Dependency, ...],
) -> Member:
    project = pyproject.get("project")
    project = project if isinstance(project, Mapping) else {}
    classifiers = project.get("classifiers")
    private = isinstance(classifiers, list) and any(
        isinstance(c, str) and c.startswith("Private ::") for c in classifiers
    )
    own = pms.detect_python(names, pyproject) if path != "." else None
    return Member(
        path=path,
        name=_text(project.get("name")),
        version=_text(project.get("version")),
        kind=folder_kind(path),
        language="python",
        package_manager=own or workspace_manager,
        scripts={},
        dependencies=dependencies,
        private=private,
        is_root=path == ".",
        startable=False,
    )


def listing(folder: str, names: Collection[str] | None) -> Collection[str] | None:
    """The folder's entry names (from the walk when it already listed them); None if it is gone or no folder.

    A folder that is there but cannot be read is an error: npm refuses such a
    member too, and skipping it would drop the member, and every edge to it,
    from the graph without a word.
    """
    if names is not None:
        return frozenset(names)
    try:
        return frozenset(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise unreadable_folder(folder, exc) from None

