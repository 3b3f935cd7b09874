"""The real package managers from tools/node, run offline on a fixture workspace, and the links they made.

:func:`install` runs the manager's own install in a workspace whose members
depend only on each other, so nothing comes from a registry (``--offline``
where the manager has it, a cache folder inside the workspace). :func:`links`
reads back, from the manager's own record, which member links to which: the
lockfile's importers (pnpm), ``yarn workspaces list -v`` (yarn berry), ``yarn
workspaces info`` (yarn classic), ``npm query`` (npm), the symbolic links
bun makes in each member's node_modules, and uv.lock (uv, the one beside the
test environment's Python). Tests compare those pairs with cigen's edges.
"""

from __future__ import annotations

import json
import os
import subprocess  # the tests run the package managers themselves and read what they wrote
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml

from testing.paths import node_tool

Manager = Literal["npm", "yarn", "yarn-berry", "pnpm", "bun", "uv"]
NODE_MODULES = Path(__file__).resolve().parents[1] / "tools" / "node" / "node_modules"


def write_tree(root: Path, files: Mapping[str, object]) -> Path:
    """Files from ``{relative path: text or JSON value}``; returns ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2) + "\n")
    return root


def _command(manager: Manager) -> list[str]:
    if manager == "pnpm":
        return ["node", str(NODE_MODULES / "pnpm" / "bin" / "pnpm.cjs")]
    if manager == "yarn-berry":
        return ["node", str(NODE_MODULES / "yarn-berry" / "bin" / "yarn.js")]
    if manager == "yarn":
        return ["node", str(NODE_MODULES / "yarn" / "bin" / "yarn.js")]
    if manager == "bun":
        return [str(node_tool("bun"))]
    if manager == "uv":
        return [str(Path(sys.executable).with_name("uv"))]  # a test dependency (pyproject.toml)
    return ["npm"]


def _run(root: Path, manager: Manager, *args: str) -> str:
    env = {**os.environ, "YARN_IGNORE_PATH": "1", "YARN_ENABLE_TELEMETRY": "0",
           # yarn berry installs --immutable when CI is set; these fixtures write their lockfile fresh
           "YARN_ENABLE_IMMUTABLE_INSTALLS": "false", "COREPACK_ENABLE_STRICT": "0",
           "npm_config_update_notifier": "false", "BUN_INSTALL_CACHE_DIR": str(root / ".bun-cache")}
    done = subprocess.run([*_command(manager), *args], cwd=root, env=env, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise AssertionError(f"{manager} {' '.join(args)} failed in {root}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def install(root: Path, manager: Manager) -> None:
    """The manager's install, offline: the workspace's members depend only on each other."""
    if manager == "pnpm":
        _run(root, manager, "install", "--offline", "--store-dir", str(root / ".pnpm-store"))
    elif manager == "yarn-berry":
        (root / "yarn.lock").touch()
        rc = root / ".yarnrc.yml"
        if not rc.exists():
            rc.write_text("nodeLinker: node-modules\n")
        with rc.open("a") as f:
            f.write("enableGlobalCache: false\nenableTelemetry: false\nenableNetwork: false\n")
        _run(root, manager, "install")
    elif manager == "yarn":
        _run(root, manager, "install", "--offline", "--cache-folder", str(root / ".yarn-cache"), "--no-progress")
    elif manager == "bun":
        _run(root, manager, "install")
    elif manager == "uv":
        _run(root, manager, "lock", "--offline", "--no-cache")
    else:
        _run(root, manager, "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts",
             "--cache", str(root / ".npm-cache"))


def links(root: Path, manager: Manager) -> set[tuple[str, str]]:
    """(dependent folder, dependency folder) for every member the manager linked to another member."""
    if manager == "pnpm":
        lock = yaml.safe_load((root / "pnpm-lock.yaml").read_text())
        found = set()
        for importer, fields in (lock.get("importers") or {}).items():
            for field in ("dependencies", "devDependencies", "optionalDependencies"):
                for entry in (fields.get(field) or {}).values():
                    version = entry["version"] if isinstance(entry, dict) else entry
                    if version.startswith("link:"):
                        found.add((importer, os.path.normpath(os.path.join(importer, version[5:]))))
        return found
    if manager == "yarn-berry":
        listed = [json.loads(line) for line in _run(root, manager, "workspaces", "list", "-v", "--json").splitlines()]
        by_name = {w["name"]: w["location"] for w in listed}
        return {(w["location"], by_name.get(d, d)) for w in listed for d in w["workspaceDependencies"]}
    if manager == "yarn":
        text = _run(root, manager, "workspaces", "--silent", "info")
        info = json.loads(text)
        return {(w["location"], info[d]["location"]) for w in info.values() for d in w["workspaceDependencies"]}
    if manager == "uv":
        return _uv_links(root)
    members = _members(root)
    if manager == "bun":
        found = set()
        for folder in members:
            modules = root / folder / "node_modules"
            for link in [*modules.glob("*"), *modules.glob("@*/*")] if modules.is_dir() else ():
                if link.is_symlink():
                    target = os.path.relpath(link.resolve(), root.resolve())
                    if target in members and target != folder:
                        found.add((folder, target))
        return found
    found = set()
    for folder, name in members.items():
        for dependency in json.loads(_run(root, manager, "query", f"#{name} > .workspace")):
            found.add((folder, dependency["location"]))
    return found


def _members(root: Path) -> dict[str, str]:
    """Member folder -> name, from the root's ``workspaces`` globs of one level (``packages/*``) or folders."""
    globs = json.loads((root / "package.json").read_text())["workspaces"]
    folders = [p for g in globs for p in (sorted(root.glob(g)) if "*" in g else [root / g])]
    return {os.path.relpath(f, root): json.loads((f / "package.json").read_text())["name"] for f in folders}


def _uv_links(root: Path) -> set[tuple[str, str]]:
    """uv.lock: every workspace member's (editable) dependencies, extras and groups on other members."""
    packages = tomllib.loads((root / "uv.lock").read_text())["package"]
    folder = {p["name"]: p["source"]["editable"] for p in packages if "editable" in p.get("source", {})}
    found = set()
    for p in packages:
        if p["name"] not in folder:
            continue
        lists = [p.get("dependencies", []), *p.get("optional-dependencies", {}).values(),
                 *p.get("dev-dependencies", {}).values()]
        found |= {(folder[p["name"]], folder[d["name"]]) for entries in lists for d in entries if d["name"] in folder}
    return found
