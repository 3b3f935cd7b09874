"""What npm adds to a script's environment that only npm knows: its configuration and its own paths.

``npm run`` hands a script ``npm_config_*`` (the settings that differ from
npm's defaults, read from every npmrc and from the environment), ``npm_execpath``,
``npm_node_execpath``, ``NODE``, ``COLOR``, ``EDITOR`` and the folder of its
``node-gyp`` shim on PATH. Reading npm's configuration the way npm does means
running npm, so :func:`npm_environment` runs it once per ``cigen run`` and
keeps what it saw; everything that depends on the script (``npm_lifecycle_*``,
``npm_package_*``, ``INIT_CWD``, the ``node_modules/.bin`` folders on PATH)
is made per task by :mod:`cigen.executor.scripts`, as @npmcli/run-script makes it.

The probe is ``npm run env -- -0``: npm's built-in ``env`` script (used when
the package defines none), NUL-separated so that values may hold line breaks.
A package that defines its own ``env`` script is probed with ``npm exec -c``,
which costs about twice the CPU.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cigen.adapters.proc import run
from cigen.errors import ToolError

# Set by npm per script or per command: cigen sets these itself for each task (or leaves them out).
_PER_SCRIPT = ("npm_lifecycle_", "npm_package_")
_PER_COMMAND = frozenset({"npm_command", "npm_config_call", "INIT_CWD", "PATH", "PWD", "OLDPWD", "_", "SHLVL"})
_BANNER_END = "\n> env -0\n\n"  # npm prints "> <package> env" and "> <script>" before running it


@dataclass(frozen=True, slots=True)
class NpmEnvironment:
    """What npm adds to every script's environment, whichever script runs."""

    variables: Mapping[str, str]  # npm_config_*, npm_execpath, npm_node_execpath, NODE, COLOR, EDITOR, ...
    node_gyp_bin: str | None  # the folder npm puts after the node_modules/.bin folders on PATH

    def moved(self, root: Path, to: Path) -> NpmEnvironment:
        """The environment npm would give in ``to``, a copy of the project at ``root`` (a git worktree):
        the values that are paths inside ``root`` (``npm_config_local_prefix``) are moved into ``to``."""
        old, new = str(root.resolve()), str(to.resolve())

        def move(value: str) -> str:
            return new + value[len(old):] if value == old or value.startswith(old + os.sep) else value

        return NpmEnvironment({k: move(v) for k, v in self.variables.items()}, self.node_gyp_bin)


def npm_environment(folder: Path, env: Mapping[str, str] | None = None) -> NpmEnvironment:
    """Ask npm, in a package's ``folder``, what it adds to a script's environment run from ``env``.

    The answer holds for every package of the same npm workspace (the same
    npmrc files and ``local_prefix``).
    """
    parent = dict(os.environ if env is None else env)
    defines_env = "env" in _scripts(folder / "package.json")
    argv = ["npm", "exec", "--call", "env -0"] if defines_env else ["npm", "run", "env", "--", "-0"]
    done = run(argv, cwd=folder, env=parent, check=False, timeout=120)
    if done.returncode != 0:
        raise ToolError(f"npm could not run a script in {folder}: {done.stderr.strip() or done.stdout.strip()}",
                        hint="check that `npm run` works there, or set run.scripts: package-manager")
    seen = _parse(done.stdout)
    return NpmEnvironment(
        variables={k: v for k, v in sorted(seen.items()) if _from_npm(k, v, parent)},
        node_gyp_bin=_node_gyp_bin(seen.get("PATH", ""), folder),
    )


def _scripts(manifest: Path) -> dict[str, str]:
    try:
        scripts = json.loads(manifest.read_text(encoding="utf-8")).get("scripts")
    except (OSError, ValueError, AttributeError):
        return {}
    return scripts if isinstance(scripts, dict) else {}


def _parse(output: str) -> dict[str, str]:
    _, found, rest = output.partition(_BANNER_END)
    entries = (rest if found else output).split("\0")
    return dict(e.split("=", 1) for e in entries if "=" in e)


def _from_npm(name: str, value: str, parent: Mapping[str, str]) -> bool:
    """Whether npm set ``name`` for every script (not per script or per command, and not inherited)."""
    if name in _PER_COMMAND or name.startswith(_PER_SCRIPT):
        return False
    return name.startswith("npm_") or parent.get(name) != value


def _node_gyp_bin(path: str, probed_in: Path) -> str | None:
    """The entry npm put after the node_modules/.bin of ``probed_in`` and of each folder above it."""
    entries = path.split(os.pathsep)
    depth = len(probed_in.resolve().parents) + 1
    if len(entries) > depth and entries[depth - 1].endswith(os.path.join("node_modules", ".bin")):
        return entries[depth]
    return None
