"""Which package manager runs a folder: the ``packageManager`` field, then lockfiles.

Corepack's ``packageManager`` field ("pnpm@10.19.0", "yarn@4.17.0+sha512...")
states the intent and wins; npm's ``devEngines.packageManager`` says the same
in newer manifests. Without either, the lockfile tells: a ``yarn.lock`` that
holds a ``__metadata`` block was written by yarn berry (2 and later), one
without it by yarn classic. Python folders: ``uv.lock`` or a ``[tool.uv]``
table mean uv, ``poetry.lock`` or ``[tool.poetry]`` poetry, anything else pip.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import Any

from cigen.model import PackageManager

NODE_LOCKFILES: tuple[tuple[str, PackageManager], ...] = (
    # In order of preference when a folder holds more than one.
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("yarn.lock", "yarn"),  # or yarn-berry: see yarn_flavour
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)
NODE_LOCKFILE_NAMES = frozenset(name for name, _ in NODE_LOCKFILES)
PYTHON_LOCKFILE_NAMES = frozenset({"uv.lock", "poetry.lock"})


def from_spec(spec: object) -> PackageManager | None:
    """``"yarn@1.22.19"`` -> ``"yarn"``, ``"yarn@4.1.0"`` -> ``"yarn-berry"``; None if not a known one."""
    if not isinstance(spec, str) or not spec.strip():
        return None
    name, _, version = spec.strip().partition("@")
    name = name.strip().lower()
    if name == "yarn":
        major = version.split(".", 1)[0].strip()
        return "yarn" if major in ("1", "0") else "yarn-berry"
    if name in ("npm", "pnpm", "bun"):
        return name  # type: ignore[return-value]
    return None


def from_manifest(manifest: Mapping[str, Any]) -> PackageManager | None:
    """The package manager a package.json names, if it names one."""
    named = from_spec(manifest.get("packageManager"))
    if named:
        return named
    dev_engines = manifest.get("devEngines")
    if isinstance(dev_engines, Mapping):
        declared = dev_engines.get("packageManager")
        # npm's devEngines allows one entry or a list of them; the first is the preferred one.
        if isinstance(declared, list):
            declared = declared[0] if declared else None
        if isinstance(declared, Mapping):
            name = declared.get("name")
            version = declared.get("version")
            if isinstance(name, str):
                return from_spec(f"{name}@{version}" if isinstance(version, str) else name)
    return None


def yarn_flavour(folder: str) -> PackageManager:
    """yarn berry's lockfile opens with a ``__metadata`` block; yarn classic's never has one."""
    try:
        with open(os.path.join(folder, "yarn.lock"), "rb") as f:
            head = f.read(2048)
    except OSError:
        return "yarn"
    return "yarn-berry" if b"__metadata:" in head else "yarn"


def from_lockfiles(folder: str, names: Collection[str]) -> PackageManager | None:
    """The package manager whose lockfile ``folder`` (listing ``names``) holds."""
    for lockfile, manager in NODE_LOCKFILES:
        if lockfile in names:
            return yarn_flavour(folder) if lockfile == "yarn.lock" else manager
    return None


def detect_node(folder: str, names: Collection[str], manifest: Mapping[str, Any] | None) -> PackageManager | None:
    """The field first, then a lockfile; None when the folder says nothing."""
    return (from_manifest(manifest) if manifest else None) or from_lockfiles(folder, names)


def detect_node_root(
    root: str,
    names: Collection[str],
    manifest: Mapping[str, Any] | None,
    lerna: Mapping[str, Any] | None = None,
) -> PackageManager:
    """The root's package manager: what it says, its lockfile, its config files; npm by default."""
    found = detect_node(root, names, manifest)
    if found:
        return found
    if "pnpm-workspace.yaml" in names:
        return "pnpm"
    if ".yarnrc.yml" in names:
        return "yarn-berry"
    if ".yarnrc" in names:
        return "yarn"
    return (from_lerna(lerna) if lerna else None) or "npm"


def from_rush(rush: Mapping[str, Any]) -> PackageManager:
    """rush.json pins the package manager rush installs with (pnpm, npm or yarn classic)."""
    if rush.get("pnpmVersion"):
        return "pnpm"
    if rush.get("yarnVersion"):
        return from_spec(f"yarn@{rush['yarnVersion']}") or "yarn"
    return "npm" if rush.get("npmVersion") else "pnpm"


def from_lerna(lerna: Mapping[str, Any]) -> PackageManager | None:
    """lerna.json's ``npmClient``, if it names one."""
    client = lerna.get("npmClient")
    if client == "yarn":
        return "yarn"
    return from_spec(client) if isinstance(client, str) else None


def detect_python(names: Collection[str], pyproject: Mapping[str, Any] | None) -> PackageManager | None:
    """uv, poetry or pip for a Python folder; None when it says nothing."""
    if "uv.lock" in names:
        return "uv"
    if "poetry.lock" in names:
        return "poetry"
    tool = pyproject.get("tool") if pyproject else None
    if isinstance(tool, Mapping):
        if "uv" in tool:
            return "uv"
        if "poetry" in tool:
            return "poetry"
    return None
