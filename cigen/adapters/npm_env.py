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

The probe costs a Node start-up and npm's loading, 0.3 s and more before
the first task can start, so the answer is kept in cigen's cache
(:mod:`cigen.adapters.cache`) under a fingerprint of everything it follows
from: the environment (PATH, HOME and ``npm_config_*`` included, less what
changes per command), the node and npm that PATH finds (path, size, time),
and every file npm reads its configuration from (npm's builtin ``npmrc``,
the global ``etc/npmrc`` of node's prefix, the user's ``.npmrc`` and those
``npm_config_userconfig``/``globalconfig`` name, and each ``.npmrc`` and
``package.json`` from the folder up to ``/``, which hold the project's). A
change to any of them asks npm again.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cigen.adapters import cache as kept
from cigen.adapters.proc import run
from cigen.errors import ToolError

# Set by npm per script or per command: cigen sets these itself for each task (or leaves them out).
_PER_SCRIPT = ("npm_lifecycle_", "npm_package_")
_PER_COMMAND = frozenset({"npm_command", "npm_config_call", "INIT_CWD", "PATH", "PWD", "OLDPWD", "_", "SHLVL"})
_KEPT_DAYS = 30  # an entry not written again for this long is removed when another is written
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


def npm_environment(folder: Path, env: Mapping[str, str] | None = None, cache: Path | None = None) -> NpmEnvironment:
    """Ask npm, in a package's ``folder``, what it adds to a script's environment run from ``env``.

    The answer holds for every package of the same npm workspace (the same
    npmrc files and ``local_prefix``). ``cache``: a folder where it is kept
    under the fingerprint of what it follows from, and found by the next call.
    """
    parent = dict(os.environ if env is None else env)
    defines_env = "env" in _scripts(folder / "package.json")
    argv = ["npm", "exec", "--call", "env -0"] if defines_env else ["npm", "run", "env", "--", "-0"]
    entry = cache / f"{kept.key(_fingerprint(folder, argv, parent))}.json" if cache is not None else None
    if entry is not None and (found := _from_cache(kept.read(entry))) is not None:
        return found
    answer = _probe(folder, argv, parent)
    if cache is not None and entry is not None:
        kept.write(entry, {"variables": dict(answer.variables), "node_gyp_bin": answer.node_gyp_bin})
        kept.prune(cache, _KEPT_DAYS)  # entries of environments gone by (another shell, an older npm)
    return answer


def _probe(folder: Path, argv: list[str], parent: dict[str, str]) -> NpmEnvironment:
    done = run(argv, cwd=folder, env=parent, check=False, timeout=120)
    if done.returncode != 0:
        raise ToolError(f"npm could not run a script in {folder}: {done.stderr.strip() or done.stdout.strip()}",
                        hint="check that `npm run` works there, or set run.scripts: package-manager")
    seen = _parse(done.stdout)
    return NpmEnvironment(
        variables={k: v for k, v in sorted(seen.items()) if _from_npm(k, v, parent)},
        node_gyp_bin=_node_gyp_bin(seen.get("PATH", ""), folder),
    )


def _fingerprint(folder: Path, argv: list[str], parent: Mapping[str, str]) -> object:
    """Everything npm's answer follows from, as a value: the same value, the same answer."""
    folder = folder.resolve()
    path = parent.get("PATH", "")
    tools = [shutil.which(t, path=path) for t in ("node", "npm")]
    node, npm = (Path(os.path.realpath(t)) if t else None for t in tools)
    files = [*(f / name for f in (folder, *folder.parents) for name in (".npmrc", "package.json")),
             Path(parent.get("HOME") or Path.home()) / ".npmrc"]
    files += [Path(v) for k, v in parent.items() if k.lower() in ("npm_config_userconfig", "npm_config_globalconfig")]
    if node is not None:
        files += [node, node.parent.parent / "etc" / "npmrc"]
    if npm is not None:  # .../node_modules/npm/bin/npm-cli.js: its package.json has the version, npmrc the builtin
        files += [npm, npm.parent.parent / "package.json", npm.parent.parent / "npmrc"]
    return {
        "argv": argv,
        "folder": str(folder),
        "env": {k: v for k, v in sorted(parent.items()) if k not in _PER_COMMAND},
        "tools": [str(t) for t in tools],
        "files": [[str(f), *_stat(f)] for f in files],
    }


def _stat(path: Path) -> tuple[int, int, int]:
    """(size, modification time in ns, inode) of a file; zeros when there is none."""
    try:
        st = path.stat()
    except OSError:
        return (0, 0, 0)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _from_cache(data: object) -> NpmEnvironment | None:
    if not isinstance(data, dict) or not isinstance(data.get("variables"), dict):
        return None
    gyp = data.get("node_gyp_bin")
    variables = {str(k): str(v) for k, v in data["variables"].items()}
    return NpmEnvironment(variables, gyp if isinstance(gyp, str) else None)


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
