"""The package-manager settings that decide whether a dependency links to a workspace member.

pnpm: ``link-workspace-packages`` and ``prefer-workspace-packages``. Where pnpm
reads them and what it assumes without them depends on its major version
(each row checked by running that pnpm on a workspace):

=======  ==================================================  ==========================
pnpm     read from                                            link-workspace-packages
=======  ==================================================  ==========================
<= 8     .npmrc (kebab-case)                                  true
9        .npmrc                                               false
10       .npmrc, then pnpm-workspace.yaml (camelCase) wins    false
>= 11    pnpm-workspace.yaml only (.npmrc keeps auth only)    false
unknown  as pnpm 10, the version that reads both files        false
=======  ==================================================  ==========================

The version comes from ``packageManager`` or ``devEngines.packageManager`` in
the root package.json, or ``pnpmVersion`` in rush.json.

pnpm ``overrides`` (pnpm-workspace.yaml from pnpm 10, the root package.json's
``pnpm`` field up to pnpm 10) replace the spec of every dependency of that
name, the members' own ones included (``vite: 'workspace:*'`` links them all).

yarn berry: ``enableTransparentWorkspaces`` in .yarnrc.yml (default true).
Catalogs: pnpm-workspace.yaml (pnpm), .yarnrc.yml (yarn 4.10+), the root
package.json or its ``workspaces`` object (bun); ``catalog`` is the catalog
named ``default``. rush.json: each project's ``decoupledLocalDependencies``
(formerly ``cyclicDependencyProjects``), which rush installs from the registry.

Only the repository's own files count: a developer's ~/.npmrc or environment
does not change the graph CI builds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from cigen.adapters import files
from cigen.errors import InputError
from cigen.model import PackageManager

LinkMode = Literal[True, False, "deep"]


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """What the repository tells its package manager about linking members."""

    package_manager: PackageManager
    manager_version: tuple[int, ...] | None = None
    link_workspace_packages: LinkMode = False
    link_source: str = "pnpm's default"  # where the value came from, for reasons shown to people
    prefer_workspace_packages: bool = False
    transparent_workspaces: bool = True
    catalogs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    decoupled: Mapping[str, frozenset[str]] = field(default_factory=dict)  # rush: member path -> names
    overrides: Mapping[str, str] = field(default_factory=dict)  # pnpm: name -> the spec that replaces every other
    # Whether a peerDependencies entry links as a dependency would (see cigen.discovery.node_links), and
    # when it does not, why: the reason an unlinked peer is listed with.
    links_peers: bool = True
    peer_rule: str = ""


def load_settings(root: Path, package_manager: PackageManager, definition: str) -> LinkSettings:
    """Read the settings ``package_manager`` would read in ``root``."""
    manifest = _read_optional_json(root / "package.json")
    rush = files.read_jsonc(root / "rush.json") if definition == "rush.json" else None
    version = manager_version(manifest, rush, package_manager)
    settings = LinkSettings(package_manager=package_manager, manager_version=version)
    if package_manager == "pnpm":
        settings = _pnpm(root, settings, manifest or {})
    elif package_manager == "yarn-berry":
        settings = _yarn_berry(root, settings)
    elif package_manager == "bun":
        settings = _bun(manifest, settings)
    elif package_manager == "npm":
        settings = _npm_peers(root, settings)
    elif package_manager == "yarn":
        settings = replace(settings, links_peers=False, peer_rule="yarn classic never installs peer dependencies")
    if isinstance(rush, Mapping):
        settings = replace(settings, decoupled=_rush_decoupled(rush))
    return settings


def manager_version(
    manifest: Mapping[str, Any] | None, rush: Mapping[str, Any] | None, package_manager: PackageManager
) -> tuple[int, ...] | None:
    """The version of ``package_manager`` the repository pins, as numbers (``(9, 15, 0)``)."""
    spec: object = None
    if isinstance(manifest, Mapping):
        pinned = manifest.get("packageManager")
        if isinstance(pinned, str) and "@" in pinned:
            name, _, spec = pinned.partition("@")
            spec = spec if _same_manager(name, package_manager) else None
        dev_engines = manifest.get("devEngines")
        declared = dev_engines.get("packageManager") if isinstance(dev_engines, Mapping) else None
        declared = declared[0] if isinstance(declared, list) and declared else declared
        if spec is None and isinstance(declared, Mapping) and _same_manager(declared.get("name"), package_manager):
            spec = declared.get("version")
    if spec is None and isinstance(rush, Mapping) and package_manager == "pnpm":
        spec = rush.get("pnpmVersion")
    m = re.search(r"\d+(?:\.\d+)*", spec) if isinstance(spec, str) else None
    return tuple(int(n) for n in m[0].split(".")) if m else None


def _same_manager(name: object, package_manager: PackageManager) -> bool:
    return isinstance(name, str) and name.strip().lower() == package_manager.split("-")[0]


def _pnpm(root: Path, settings: LinkSettings, manifest: Mapping[str, Any]) -> LinkSettings:
    major = settings.manager_version[0] if settings.manager_version else None
    link: LinkMode = major is not None and major <= 8
    source = f"the default of pnpm {major}" if major else "the default of pnpm 9 and later"
    prefer = False
    # auto-install-peers: false up to pnpm 7, true from pnpm 8.
    peers, peers_source = major is None or major >= 8, f"the default of pnpm {major}" if major else "pnpm's default"
    if major is None or major <= 10:
        npmrc = read_npmrc(root / ".npmrc")
        if "link-workspace-packages" in npmrc:
            link, source = _link_mode(npmrc["link-workspace-packages"], root / ".npmrc"), ".npmrc"
        prefer = npmrc.get("prefer-workspace-packages", "false").strip().lower() == "true"
        if "auto-install-peers" in npmrc:
            peers = _flag(npmrc["auto-install-peers"], "auto-install-peers", root / ".npmrc")
            peers_source = ".npmrc"
    workspace_file = root / "pnpm-workspace.yaml"
    workspace = files.read_yaml(workspace_file) if workspace_file.is_file() else None
    workspace = workspace if isinstance(workspace, Mapping) else {}
    overrides: dict[str, str] = {}
    pnpm_field = manifest.get("pnpm")
    if (major is None or major <= 10) and isinstance(pnpm_field, Mapping):
        overrides.update(_overrides(pnpm_field.get("overrides"), manifest, root / "package.json"))
    if major is None or major >= 10:
        if "linkWorkspacePackages" in workspace:
            link, source = _link_mode(workspace["linkWorkspacePackages"], workspace_file), "pnpm-workspace.yaml"
        if "preferWorkspacePackages" in workspace:
            prefer = workspace["preferWorkspacePackages"] is True
        if "autoInstallPeers" in workspace:
            peers = _flag(workspace["autoInstallPeers"], "autoInstallPeers", workspace_file)
            peers_source = "pnpm-workspace.yaml"
        overrides.update(_overrides(workspace.get("overrides"), manifest, workspace_file))
    return replace(
        settings,
        link_workspace_packages=link,
        link_source=source,
        prefer_workspace_packages=prefer,
        catalogs=_catalogs(workspace, workspace_file),
        overrides=overrides,
        links_peers=peers,
        peer_rule="" if peers else (
            f"pnpm autoInstallPeers is false ({peers_source}): pnpm links a peer only through a dependency "
            "of the same name"
        ),
    )


def _overrides(table: object, manifest: Mapping[str, Any], where: Path) -> dict[str, str]:
    """pnpm ``overrides`` that replace a dependency's spec by name: ``name`` or ``name@*`` keys.

    Keys with a parent (``a>b``) or a version selector (``b@^2``) choose transitive or
    particular dependencies; they are left out. ``$name`` takes the root's own spec of
    ``name``; ``-`` removes the dependency.
    """
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise InputError("overrides must map package names to ranges", path=where)
    root_specs: dict[str, str] = {}
    for field in ("optionalDependencies", "devDependencies", "dependencies"):
        block = manifest.get(field)
        if isinstance(block, Mapping):
            root_specs.update({k: v for k, v in block.items() if isinstance(v, str)})
    out: dict[str, str] = {}
    for key, value in table.items():
        key = str(key).removesuffix("@*")
        if ">" in key or "@" in key[1:] or not isinstance(value, str):
            continue
        if value.startswith("$"):
            if value[1:] not in root_specs:
                raise InputError(
                    f"override {key}: {value} refers to {value[1:]}, which the root package.json does not depend on",
                    path=where,
                    hint=f"add {value[1:]} to the root's dependencies or write the range",
                )
            value = root_specs[value[1:]]
        out[key] = value
    return out


def _yarn_berry(root: Path, settings: LinkSettings) -> LinkSettings:
    rc_file = root / ".yarnrc.yml"
    rc = files.read_yaml(rc_file) if rc_file.is_file() else None
    rc = rc if isinstance(rc, Mapping) else {}
    transparent = rc.get("enableTransparentWorkspaces", True)
    return replace(
        settings,
        transparent_workspaces=transparent is not False and str(transparent).lower() != "false",
        catalogs=_catalogs(rc, rc_file),
        links_peers=False,
        peer_rule="yarn links no peer dependency of a workspace (its dependents provide it)",
    )


def _npm_peers(root: Path, settings: LinkSettings) -> LinkSettings:
    """npm 7 and later install peers (arborist loads peer edges) unless legacy-peer-deps is on; npm 6 never did."""
    npmrc = read_npmrc(root / ".npmrc")
    if "legacy-peer-deps" in npmrc and _flag(npmrc["legacy-peer-deps"], "legacy-peer-deps", root / ".npmrc"):
        rule = "npm legacy-peer-deps is true (.npmrc): npm leaves peer dependencies out"
        return replace(settings, links_peers=False, peer_rule=rule)
    major = settings.manager_version[0] if settings.manager_version else None
    if major is not None and major < 7:
        return replace(settings, links_peers=False, peer_rule=f"npm {major} never installs peer dependencies")
    return settings


def _bun(manifest: Mapping[str, Any] | None, settings: LinkSettings) -> LinkSettings:
    if not isinstance(manifest, Mapping):
        return settings
    workspaces = manifest.get("workspaces")
    # bun reads catalogs from the top level of package.json or from its "workspaces" object.
    catalogs = dict(_catalogs(manifest, "package.json"))
    if isinstance(workspaces, Mapping):
        catalogs.update(_catalogs(workspaces, "package.json"))
    return replace(settings, catalogs=catalogs)


def _catalogs(config: Mapping[str, Any], where: Path | str) -> dict[str, dict[str, str]]:
    """``catalog`` and ``catalogs`` as one mapping: catalog name -> package name -> spec."""
    out: dict[str, dict[str, str]] = {}
    named = config.get("catalogs") or {}
    if not isinstance(named, Mapping):
        raise InputError("catalogs must map catalog names to tables of package ranges", path=where)
    for name, entries in named.items():
        out[str(name)] = _catalog(entries, f"catalogs.{name}", where)
    default = config.get("catalog")
    if default is not None:
        if "default" in out:
            raise InputError(
                "the default catalog is defined twice, as catalog and as catalogs.default",
                path=where,
                hint="keep one of them",
            )
        out["default"] = _catalog(default, "catalog", where)
    return out


def _catalog(entries: object, key: str, where: Path | str) -> dict[str, str]:
    if entries is None:
        return {}
    if not isinstance(entries, Mapping) or not all(isinstance(v, str | int | float) for v in entries.values()):
        raise InputError(f"{key} must map package names to version ranges", path=where, hint='e.g. react: "^19.0.0"')
    return {str(k): str(v) for k, v in entries.items()}


def _flag(value: object, key: str, where: Path) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise InputError(f"{key} must be true or false, not {value!r}", path=where, hint="fix the value")


def _link_mode(value: object, where: Path) -> LinkMode:
    text = str(value).strip().lower()
    if text in ("true", "false", "deep"):
        return "deep" if text == "deep" else text == "true"
    raise InputError(
        f"link-workspace-packages must be true, false or deep, not {value!r}", path=where, hint="fix the value"
    )


def read_npmrc(path: Path) -> dict[str, str]:
    """The key=value pairs of an .npmrc (INI without sections); {} when there is none."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in files.read_text(path).splitlines():
        line = line.strip()
        if not line or line[0] in ";#" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _rush_decoupled(rush: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for project in rush.get("projects") or ():
        if not isinstance(project, Mapping) or not isinstance(project.get("projectFolder"), str):
            continue
        names = [
            n
            for key in ("decoupledLocalDependencies", "cyclicDependencyProjects")
            for n in project.get(key) or ()
            if isinstance(n, str)
        ]
        if names:
            folder = project["projectFolder"].replace("\\", "/").strip("/")
            out[folder.removeprefix("./")] = frozenset(names)
    return out


def _read_optional_json(path: Path) -> Mapping[str, Any] | None:
    value = files.read_json(path) if path.is_file() else None
    return value if isinstance(value, Mapping) else None

