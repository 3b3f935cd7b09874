"""The steps of a leg that depend on its toolchain: set up, install; and the small parts every job shares.

Each toolchain function takes a :class:`~cigen.plan.toolchains.Toolchain` and
an optional ``when`` (the condition selecting the legs that use it) and
returns plain steps. Commands are fixed text; a folder reaches a step through
``working-directory`` or ``env:``, never through ``${{ }}`` in ``run:``.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from cigen.render.expressions import condition, escape, literal
from cigen.render.pins import uses_step
from cigen.plan.toolchains import Toolchain, Versions
from cigen.config.workflow import WorkflowConfig

CIGEN_PYTHON = "3.13"  # the Python cigen itself runs on in the plan and integration jobs


def flow(items: list[str]) -> CommentedSeq:
    """A list written inline: ``[plan, stage-1]``."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def runs_on(cfg: WorkflowConfig) -> str | CommentedSeq:
    return cfg.runs_on if isinstance(cfg.runs_on, str) else flow(list(cfg.runs_on))


def checkout(**extra: object) -> CommentedMap:
    """actions/checkout, never leaving the token in .git/config (zizmor: artipacked)."""
    return uses_step("actions/checkout", with_={**extra, "persist-credentials": False})


def bash_defaults() -> CommentedMap:
    """A job's ``defaults``: its scripts run in bash (``-eo pipefail``) on any runner,
    whatever a workflow-level ``defaults:`` someone adds says."""
    return CommentedMap({"run": CommentedMap({"shell": "bash"})})


def run_step(
    name: str,
    script: str,
    *,
    if_: str | None = None,
    env: dict[str, str] | None = None,
    working_directory: str | None = None,
    id: str | None = None,
) -> CommentedMap:
    step = CommentedMap()
    step["name"] = name
    if id is not None:
        step["id"] = id
    if if_ is not None:
        step["if"] = condition(if_)
    if working_directory is not None and working_directory != ".":
        step["working-directory"] = working_directory
    if env:
        step["env"] = CommentedMap(env)
    step["run"] = LiteralScalarString(script) if "\n" in script else script
    return step


def _node(versions: Versions, extra: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = (
        {"node-version-file": versions.node_file} if versions.node_file else {"node-version": versions.node}
    )
    return {**spec, **extra}


def _python(versions: Versions) -> dict[str, Any]:
    if versions.python_file:
        return {"python-version-file": versions.python_file}
    return {"python-version": versions.python}


def _hash_key(prefix: str, tc: Toolchain) -> str:
    lockfile = tc.lockfile or "package.json"
    return f"{prefix}-${{{{ runner.os }}}}-${{{{ hashFiles({literal(escape_glob(lockfile))}) }}}}"


def escape_glob(path: str) -> str:
    """A literal path as a hashFiles() / cache glob: glob characters bracketed."""
    return "".join(f"[{c}]" if c in "*?[]{}!" else c for c in path)


def setup_steps(tc: Toolchain, versions: Versions, when: str | None) -> list[CommentedMap]:
    """Install the toolchain's language and package manager, restoring its download cache."""
    label = "" if tc.root in (None, ".") else f" ({tc.root})"
    no_cache = {"package-manager-cache": False}
    lock = {"cache-dependency-path": escape(tc.lockfile)} if tc.lockfile else {}
    if tc.manager in ("npm", "yarn"):
        cache = {"cache": tc.manager, **lock} if tc.lockfile else no_cache
        return [uses_step("actions/setup-node", name=f"Set up Node.js and {tc.manager}{label}", if_=when,
                          with_=_node(versions, cache))]
    if tc.manager == "pnpm":
        pnpm = uses_step("pnpm/action-setup", name=f"Set up pnpm{label}", if_=when,
                         with_=None if tc.pinned else {"version": tc.pnpm_version})
        if tc.pinned and tc.root not in (None, "."):
            pnpm["with"] = CommentedMap({"package_json_file": escape(f"{tc.root}/package.json")})
        cache = {"cache": "pnpm", **lock} if tc.lockfile else no_cache
        return [pnpm, uses_step("actions/setup-node", name=f"Set up Node.js{label}", if_=when,
                                with_=_node(versions, cache))]
    if tc.manager == "yarn-berry":
        steps = [uses_step("actions/setup-node", name=f"Set up Node.js{label}", if_=when,
                           with_=_node(versions, no_cache))]
        if tc.pinned:
            # package.json pins yarn (packageManager); corepack, bundled with Node up to 24, runs that version.
            steps.append(run_step(f"Enable corepack{label}", "corepack enable", if_=when))
        steps.append(run_step(
            f"Find yarn's cache folder{label}",
            'echo "folder=$(yarn config get cacheFolder)" >> "$GITHUB_OUTPUT"',
            if_=when, id=f"{tc.key}-cache", working_directory=escape(tc.root or "."),
        ))
        steps.append(uses_step("actions/cache", name=f"Cache yarn downloads{label}", if_=when, with_={
            "path": f"${{{{ steps.{tc.key}-cache.outputs.folder }}}}",
            "key": _hash_key(f"cigen-{tc.key}", tc),
            "restore-keys": f"cigen-{tc.key}-${{{{ runner.os }}}}-",
        }))
        return steps
    if tc.manager == "bun":
        version = ({"bun-version-file": escape(f"{tc.root}/package.json" if tc.root not in (None, ".")
                                               else "package.json")} if tc.pinned else {"bun-version": "latest"})
        return [
            uses_step("oven-sh/setup-bun", name=f"Set up Bun{label}", if_=when, with_=version),
            uses_step("actions/cache", name=f"Cache Bun downloads{label}", if_=when, with_={
                "path": "~/.bun/install/cache",
                "key": _hash_key(f"cigen-{tc.key}", tc),
                "restore-keys": f"cigen-{tc.key}-${{{{ runner.os }}}}-",
            }),
        ]
    if tc.manager == "uv":
        with_: dict[str, Any] = {"enable-cache": True}
        if tc.lockfile:
            with_["cache-dependency-glob"] = escape(escape_glob(tc.lockfile))
        if versions.python:
            with_["python-version"] = versions.python
        return [uses_step("astral-sh/setup-uv", name=f"Set up uv and Python{label}", if_=when, with_=with_)]
    if tc.manager == "poetry":
        cache = {"cache": "poetry", **lock} if tc.lockfile else {}
        return [
            # setup-python's poetry cache asks poetry where its cache is: poetry comes first.
            run_step(f"Install poetry{label}", "pipx install poetry", if_=when),
            uses_step("actions/setup-python", name=f"Set up Python{label}", if_=when,
                      with_={**_python(versions), **cache}),
        ]
    return [uses_step("actions/setup-python", name=f"Set up Python{label}", if_=when, with_=_python(versions))]


_INSTALL: dict[str, tuple[str, str]] = {
    # manager: (with a lockfile, without one)
    "npm": ("npm ci", "npm install"),
    "pnpm": ("pnpm install --frozen-lockfile", "pnpm install"),
    "yarn": ("yarn install --frozen-lockfile", "yarn install"),
    "yarn-berry": ("yarn install --immutable", "yarn install"),
    "bun": ("bun install --frozen-lockfile", "bun install"),
    "uv": ("uv sync --locked --all-packages", "uv sync"),
    "poetry": ("poetry install --no-interaction", "poetry install --no-interaction"),
}
_PIP_INSTALL = """\
if [ -f requirements.txt ]; then python -m pip install -r requirements.txt; fi
if [ -f pyproject.toml ] || [ -f setup.py ]; then python -m pip install -e .; fi"""


def install_script(tc: Toolchain) -> str:
    """The command that installs the toolchain's dependencies, run in its folder."""
    if tc.manager == "pip":
        return _PIP_INSTALL
    locked, unlocked = _INSTALL[tc.manager]
    return locked if tc.lockfile else unlocked


def install_step(tc: Toolchain, when: str | None, folder: str | None = None) -> CommentedMap:
    """Install the toolchain's dependencies in its folder (``folder`` when the job has no matrix)."""
    where = folder if folder is not None else tc.root
    label = "" if where in (None, ".") else f" ({where})"
    script = install_script(tc)
    if where is None:
        raise ValueError(f"the toolchain {tc.key} has no shared folder: name the folder to install in")
    directory = escape(where)
    return run_step(f"Install dependencies{label}", script, if_=when, working_directory=directory)
