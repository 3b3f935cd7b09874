"""What a service's task runs: which tasks a service has, and the command that runs one.

The workflow's legs and ``cigen run`` both read this module, so a task runs
the same way in CI and on a laptop: in the service's folder, through the
service's own package manager.

- Node services run the package.json script of the task's name
  (``npm run build``, ``pnpm run build``, ...): the package manager runs its
  pre/post scripts and puts ``node_modules/.bin`` on PATH, as it does by hand.
- Python manifests have no scripts: ``workflow.python_tasks`` maps a task to a
  shell command, run inside the service's environment (``uv run``,
  ``poetry run``; plain ``bash -c`` for pip). Without ``python_tasks`` the
  defaults apply only where the service declares the tool (``ruff``,
  ``pytest``) among its dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cigen.config.workflow import DEFAULT_PYTHON_TASKS
from cigen.discovery.dependencies import normalize

if TYPE_CHECKING:
    from cigen.config.root import Config
    from cigen.model import Member
    from cigen.plan.toolchains import Toolchain

# What runs a package.json script; the script's name follows.
NODE_RUN: dict[str, tuple[str, ...]] = {
    "npm": ("npm", "run"),
    "pnpm": ("pnpm", "run"),
    "yarn": ("yarn", "run"),
    "yarn-berry": ("yarn", "run"),
    "bun": ("bun", "run"),
}
# What runs a shell command inside a Python service's environment; the command follows.
PYTHON_RUN: dict[str, tuple[str, ...]] = {
    "uv": ("uv", "run", "--locked", "bash", "-c"),
    "poetry": ("poetry", "run", "bash", "-c"),
    "pip": ("bash", "-c"),
}


def runner(tc: Toolchain) -> tuple[str, ...]:
    """The command that a task's script name (Node) or shell command (Python) is appended to."""
    if tc.node:
        return NODE_RUN[tc.manager]
    prefix = PYTHON_RUN[tc.manager]
    # `uv run --locked` fails without a lockfile; without one uv resolves as it goes.
    return tuple(a for a in prefix if a != "--locked") if tc.manager == "uv" and tc.lockfile is None else prefix


def task_argv(task: str, tc: Toolchain, command: str | None = None) -> tuple[str, ...]:
    """The argument vector that runs ``task`` in a service's folder.

    Node: the script named ``task``. Python: ``command`` (from ``python_tasks``).
    """
    if tc.node:
        return (*runner(tc), task)
    if command is None:
        raise ValueError(f"the Python task {task!r} needs its command")
    return (*runner(tc), command)


def python_commands(config: Config) -> dict[str, str]:
    """Task -> the shell command it runs in a Python service (``python_tasks``, else the defaults)."""
    wf = config.workflow
    return dict(wf.python_tasks if wf.python_tasks is not None else DEFAULT_PYTHON_TASKS)


def service_tasks(member: Member, config: Config, tasks: tuple[str, ...]) -> tuple[str, ...]:
    """The tasks of ``tasks`` that ``member`` defines, in the order given.

    Node: those its package.json has a script for. Python: those
    ``python_tasks`` names, else the default tasks whose tool it declares.
    """
    if member.language == "node":
        return tuple(t for t in tasks if t in member.scripts)
    wf = config.workflow
    if wf.python_tasks is not None:
        return tuple(t for t in tasks if t in wf.python_tasks)
    declared = {normalize(d.name) for d in member.dependencies}
    return tuple(
        t for t in tasks
        if t in DEFAULT_PYTHON_TASKS and normalize(DEFAULT_PYTHON_TASKS[t].split()[0]) in declared
    )
