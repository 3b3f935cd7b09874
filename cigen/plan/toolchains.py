"""Which toolchain each service's CI leg sets up: package manager, install folder, lockfile.

A toolchain is one way of installing dependencies: a package manager run in
one folder against one lockfile. Most monorepos have one (pnpm at the root);
a mixed one has a few (pnpm at the root, uv for the Python services). The
workflow sets up, caches and installs each toolchain in the legs of the
services that use it.

Reading the facts (which lockfile exists, whether ``package.json`` pins the
package manager's version, the version files) happens once, here, in
:func:`detect`; the renderer only reads the values it returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cigen.model import Member, PackageManager, Workspace

LOCKFILES: dict[PackageManager, tuple[str, ...]] = {
    "npm": ("package-lock.json", "npm-shrinkwrap.json"),
    "pnpm": ("pnpm-lock.yaml",),
    "yarn": ("yarn.lock",),
    "yarn-berry": ("yarn.lock",),
    "bun": ("bun.lock", "bun.lockb"),
    "uv": ("uv.lock",),
    "poetry": ("poetry.lock",),
    "pip": (),
}
NODE_MANAGERS: frozenset[PackageManager] = frozenset({"npm", "pnpm", "yarn", "yarn-berry", "bun"})
# What pnpm/action-setup installs when package.json does not pin pnpm: the
# newest major that reads the lockfile's format (pnpm 9 and 10 share 9.0).
PNPM_FOR_LOCKFILE = {"5": "7", "6": "8", "7": "9", "9": "10"}
DEFAULT_PNPM = "10"


@dataclass(frozen=True, slots=True)
class Toolchain:
    """One package manager, run in one folder, against one lockfile."""

    key: str  # unique in the workflow: "pnpm", "uv", "uv-2"; safe in expressions and step ids
    manager: PackageManager
    root: str | None  # folder the install runs in (root-relative); None: each service's own folder
    lockfile: str | None  # root-relative path of the lockfile, when there is one
    pinned: bool = False  # package.json's packageManager field pins the manager's version
    pnpm_version: str = DEFAULT_PNPM  # for pnpm when not pinned

    @property
    def node(self) -> bool:
        return self.manager in NODE_MANAGERS


@dataclass(frozen=True, slots=True)
class Versions:
    """The language versions the legs set up: a version, or a file the setup action reads."""

    node: str | None
    node_file: str | None
    python: str | None
    python_file: str | None


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


def _ancestors(path: str) -> list[str]:
    """``a/b/c`` -> ``["a/b/c", "a/b", "a", "."]``."""
    if path == ".":
        return ["."]
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)] + ["."]


def _find_lockfile(root: Path, member: Member, seen: dict[tuple[str, str], bool]) -> tuple[str, str] | None:
    """The nearest folder at or above the member holding its manager's lockfile, and that lockfile.

    ``seen`` remembers which (folder, lockfile) exist: siblings share ancestors.
    """
    for folder in _ancestors(member.path):
        for name in LOCKFILES[member.package_manager]:
            key = (folder, name)
            if key not in seen:
                seen[key] = (root / folder / name).is_file()
            if seen[key]:
                return folder, _join(folder, name)
    return None


def _pins_manager(root: Path, folder: str, manager: PackageManager) -> bool:
    """Whether ``folder``'s package.json names ``manager`` in its packageManager field (corepack)."""
    try:
        manifest = json.loads((root / folder / "package.json").read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError):
        return False
    spec = manifest.get("packageManager") if isinstance(manifest, dict) else None
    if not isinstance(spec, str):
        return False
    name = spec.partition("@")[0].strip().lower()
    return name == ("yarn" if manager == "yarn-berry" else manager)


def _pnpm_for(root: Path, lockfile: str | None) -> str:
    if lockfile is None:
        return DEFAULT_PNPM
    try:
        with (root / lockfile).open("rb") as handle:
            head = handle.read(200).decode("utf-8", "replace")
    except OSError:
        return DEFAULT_PNPM
    for line in head.splitlines():
        if line.startswith("lockfileVersion:"):
            major = line.split(":", 1)[1].strip().strip("'\"").split(".", 1)[0]
            return PNPM_FOR_LOCKFILE.get(major, DEFAULT_PNPM)
    return DEFAULT_PNPM


def detect(workspace: Workspace, paths: tuple[str, ...]) -> dict[str, Toolchain]:
    """The toolchain of each member in ``paths``, keyed by member path."""
    root = workspace.root
    members = workspace.by_path
    seen: dict[tuple[str, str], bool] = {}
    found: dict[str, tuple[PackageManager, str | None, str | None]] = {}
    for path in paths:
        member = members[path]
        hit = _find_lockfile(root, member, seen)
        if hit is not None:
            found[path] = (member.package_manager, hit[0], hit[1])
        elif member.package_manager in NODE_MANAGERS and member.package_manager == workspace.package_manager:
            found[path] = (member.package_manager, ".", None)  # a workspace install without a lockfile
        else:
            found[path] = (member.package_manager, None, None)  # the member installs on its own

    # One key per distinct (manager, folder, lockfile), numbered in a stable order.
    distinct = sorted(set(found.values()), key=lambda t: (t[0], t[1] is None, t[1] or "", t[2] or ""))
    keys: dict[tuple[PackageManager, str | None, str | None], Toolchain] = {}
    for manager, folder, lockfile in distinct:
        same = sum(1 for existing in keys.values() if existing.manager == manager)
        key = manager if same == 0 else f"{manager}-{same + 1}"
        keys[(manager, folder, lockfile)] = Toolchain(
            key=key,
            manager=manager,
            root=folder,
            lockfile=lockfile,
            pinned=folder is not None and manager in NODE_MANAGERS and _pins_manager(root, folder, manager),
            pnpm_version=_pnpm_for(root, lockfile) if manager == "pnpm" else DEFAULT_PNPM,
        )
    return {path: keys[found[path]] for path in paths}


def versions(root: Path, node: str | None, python: str | None) -> Versions:
    """Configured versions win; else the repository's version files; else current defaults."""
    node_file = next((n for n in (".nvmrc", ".node-version") if (root / n).is_file()), None) if node is None else None
    python_file = ".python-version" if python is None and (root / ".python-version").is_file() else None
    return Versions(
        node=None if node_file else (node or "24"),
        node_file=node_file,
        python=None if python_file else (python or "3.13"),
        python_file=python_file,
    )
