"""Does a pyproject.toml requirement link to a workspace member? uv's answer, and pip's.

uv links a requirement to a workspace member through ``[tool.uv.sources]``:
``name = { workspace = true }`` in the member's own pyproject.toml or, for a
name the member does not list, in the workspace root's (the root's sources
apply to every member). Without a source, uv refuses to lock a dependency on a
workspace member ("`pkg-a` is included as a workspace member, but is missing
an entry in `tool.uv.sources`"); with ``{ path = ... }`` to a member it refuses
too (uv 0.13), though the dependent plainly builds from that folder, so cigen
links it and warns. ``workspace = true`` for a name no member has is an error,
as in uv. Outside a uv workspace (pip, poetry, a lone uv project) only a path
links a member: a direct reference (``pkg @ file:../pkg``), a uv path source
or a poetry ``{ path = ... }`` dependency.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cigen.adapters import files
from cigen.discovery.dependencies import normalize, requirement_url
from cigen.discovery.node_links import Decision, Link, NoLink, Unsupported
from cigen.errors import InputError
from cigen.model import Dependency, Member


class PythonLinker:
    """uv/pip link rules over the Python members of one workspace."""

    def __init__(self, root: Path, by_name: Mapping[str, Sequence[Member]], by_path: Mapping[str, Member]) -> None:
        self.root = root
        self.by_name = by_name
        self.by_path = by_path
        self._pyprojects: dict[str, Mapping[str, Any]] = {}
        root_uv = _uv(self.pyproject("."))
        self.uv_workspace = "workspace" in root_uv
        self.root_sources = _sources(root_uv) if self.uv_workspace else {}

    def pyproject(self, folder: str) -> Mapping[str, Any]:
        if folder not in self._pyprojects:
            path = self.root / folder / "pyproject.toml"
            self._pyprojects[folder] = files.read_toml(path) if path.is_file() else {}
        return self._pyprojects[folder]

    def decide(self, member: Member, dep: Dependency, manifest: str) -> Decision:
        name = dep.name  # already PEP 503-normalised
        own = _sources(_uv(self.pyproject(member.path)))
        source, declared_in = (own[name], member.path) if name in own else (self.root_sources.get(name), ".")
        candidates = self.by_name.get(name, ())
        if source is not None:
            return self._source(name, source, declared_in, candidates, manifest)
        url = requirement_url(dep.spec)
        if url is not None:
            target = self._path_target(member.path, url.removeprefix("file:")) if url.startswith("file:") else None
            if target is not None:
                return Link(target, via_path=True)
            return NoLink(f"{dep.spec} installs from {url}, not from the workspace") if candidates else None
        poetry_path = _poetry_path(self.pyproject(member.path), name)
        if poetry_path is not None:
            target = self._path_target(member.path, poetry_path)
            if target is not None:
                return Link(target, via_path=True)
        if not candidates:
            return None
        if self.uv_workspace:
            return NoLink(
                f"{name} is a uv workspace member without a tool.uv.sources entry, which uv refuses to lock "
                f"(add {name} = {{ workspace = true }})"
            )
        return NoLink(
            f"{member.package_manager} installs {name} from the package index (declare a path to use the member)"
        )

    def _source(
        self, name: str, source: object, declared_in: str, candidates: Sequence[Member], manifest: str
    ) -> Decision:
        given: list[object] = source if isinstance(source, list) else [source]
        entries: list[Mapping[str, Any]] = [e for e in given if isinstance(e, Mapping)]
        if any(e.get("workspace") is True for e in entries):
            if not candidates:
                raise InputError(
                    f"tool.uv.sources marks {name} as {{ workspace = true }}, but no workspace member is named {name}",
                    path=manifest if declared_in != "." else "pyproject.toml",
                    hint="add it to [tool.uv.workspace] members or fix the name",
                )
            return Link(candidates[0])
        for entry in entries:
            if isinstance(entry.get("path"), str):
                target = self._path_target(declared_in, entry["path"])
                if target is not None:
                    # uv wants { workspace = true } for its own members; the folder is still the dependency.
                    if self.uv_workspace:
                        return Unsupported(target, "path source", via_path=True)
                    return Link(target, via_path=True)
                if candidates:
                    path = entry["path"]
                    return NoLink(f"tool.uv.sources gives {name} the path {path}, which is no workspace member")
                return None
        if not candidates:
            return None
        kind = next((k for k in ("git", "url", "index") if entries and k in entries[0]), "another source")
        return NoLink(f"tool.uv.sources installs {name} from {kind}, not from the workspace")

    def _path_target(self, base: str, relative: str) -> Member | None:
        relative = relative.strip().replace("\\", "/")
        if relative.startswith("//"):  # file:///abs/path
            relative = relative[2:]
        if relative.startswith("/"):
            try:
                relative = Path(relative).resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                return None
            base = "."
        joined = posixpath.normpath(posixpath.join("" if base == "." else base, relative))
        return self.by_path.get(joined)


def _uv(pyproject: Mapping[str, Any]) -> Mapping[str, Any]:
    tool = pyproject.get("tool")
    uv = tool.get("uv") if isinstance(tool, Mapping) else None
    return uv if isinstance(uv, Mapping) else {}


def _sources(uv: Mapping[str, Any]) -> dict[str, object]:
    sources = uv.get("sources")
    return {normalize(k): v for k, v in sources.items()} if isinstance(sources, Mapping) else {}


def _poetry_path(pyproject: Mapping[str, Any], name: str) -> str | None:
    """A poetry ``{ path = ... }`` declaration of ``name`` in any dependency table."""
    tool = pyproject.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, Mapping) else None
    if not isinstance(poetry, Mapping):
        return None
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    groups = poetry.get("group")
    if isinstance(groups, Mapping):
        tables += [g.get("dependencies") for g in groups.values() if isinstance(g, Mapping)]
    for table in tables:
        if not isinstance(table, Mapping):
            continue
        for key, value in table.items():
            if normalize(key) == name and isinstance(value, Mapping) and isinstance(path := value.get("path"), str):
                return path
    return None
