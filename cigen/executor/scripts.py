"""A package.json script run the way ``npm run`` runs it, without starting npm for every task.

``npm run build`` costs a Node start-up and npm's own loading (about 0.25 s of
CPU) before the script starts; on a monorepo of a few hundred packages that is
most of the time a build takes beyond its scripts. What npm does is small, and
this module does the same (npm/cli ``lib/commands/run.js`` and
``@npmcli/run-script``):

- the events: ``pre<task>``, ``<task>``, ``post<task>``, each that the package
  defines, one after another, the first failure ending the task (the main one
  alone when npm's ``ignore-scripts`` is set);
- each through the shell, ``sh -c SCRIPT`` (npm's ``script-shell`` when set),
  in the package's folder;
- PATH: ``node_modules/.bin`` of the package's folder and of every folder
  above it up to ``/``, then npm's ``node-gyp`` shim folder, then the PATH
  cigen was given;
- the variables: npm's configuration and paths (asked of npm once per run,
  :mod:`cigen.adapters.npm_env`), ``npm_package_name``, ``_version``,
  ``_config_*``, ``_engines_*``, ``_bin_*`` (npm RFC 183), ``npm_package_json``,
  ``npm_lifecycle_event``, ``npm_lifecycle_script``, ``npm_command=run`` and
  ``INIT_CWD`` (the package's folder, where ``npm run`` is started);
- exit codes pass through as npm passes them: the script's code, or the signal
  that ended its shell.

npm workspaces only: pnpm, yarn and bun differ in PATH and variables (pnpm runs
no pre/post scripts by default, yarn Berry has its own shell), so their tasks
run through the package manager, as they do with ``run.scripts: package-manager``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cigen.adapters.npm_env import NpmEnvironment
from cigen.errors import InputError


def npm_events(scripts: Mapping[str, str], task: str, npm: NpmEnvironment) -> list[str]:
    """The scripts ``npm run task`` runs, in order: pre, main, post, those the package defines."""
    if npm.variables.get("npm_config_ignore_scripts") == "true":
        return [task]
    return [e for e in (f"pre{task}", task, f"post{task}") if e == task or scripts.get(e)]


def shell(npm: NpmEnvironment) -> str:
    return npm.variables.get("npm_config_script_shell") or "sh"


def script_env(folder: Path, manifest: Mapping[str, Any], event: str, npm: NpmEnvironment,
               parent: Mapping[str, str]) -> dict[str, str]:
    """The whole environment npm gives the script ``event`` of the package in ``folder``, started from ``parent``."""
    folder = folder.resolve()
    bins = [str(f / "node_modules" / ".bin") for f in (folder, *folder.parents)]
    if npm.node_gyp_bin:
        bins.append(npm.node_gyp_bin)
    env = {**parent, **npm.variables, **package_env(manifest)}
    env.update(
        npm_package_json=str(folder / "package.json"),
        npm_lifecycle_event=event,
        npm_lifecycle_script=str(manifest["scripts"][event]),
        npm_command="run",
        INIT_CWD=str(folder),
        PATH=os.pathsep.join([*bins, parent.get("PATH", "")]),
    )
    return env


def package_env(manifest: Mapping[str, Any]) -> dict[str, str]:
    """``npm_package_*`` of a manifest: name, version, config, engines and bin, flattened as npm flattens them."""
    env: dict[str, str] = {}
    _flatten({k: manifest[k] for k in ("name", "version", "config", "engines", "bin") if k in manifest},
             "npm_package_", env)
    return env


def _flatten(values: Mapping[str, Any], prefix: str, env: dict[str, str]) -> None:
    """@npmcli/run-script's packageEnvs: null and false are empty, lists and objects are keyed on, JS strings."""
    for key, value in values.items():
        if value is None or value is False:
            env[f"{prefix}{key}"] = ""
        elif isinstance(value, list):
            _flatten({f"{key}_{i}": item for i, item in enumerate(value)}, prefix, env)
        elif isinstance(value, dict):
            _flatten(value, f"{prefix}{key}_", env)
        else:
            env[f"{prefix}{key}"] = _js_string(value)


def _js_string(value: object) -> str:
    """``String(value)`` in JavaScript, for the JSON scalars: true, 1 (not 1.0), text."""
    if value is True:
        return "true"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "package.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read it: {exc}", hint="fix the file; `npm run` needs it too") from exc
    if not isinstance(manifest, dict):
        raise InputError(f"{path}: not a JSON object", hint="fix the file; `npm run` needs it too")
    return manifest
