"""What each service runs for ``cigen run``: its folder and a command per task it defines.

The commands are the workflow legs' own (:mod:`cigen.plan.tasks`): the service's
package manager runs a Node script, a Python task's command runs inside the
service's environment. With ``run.scripts: direct`` (the default) an npm
workspace's script runs as ``npm run`` would run it, without npm
(:mod:`cigen.executor.scripts`): its pre, main and post scripts are a command
each. A task the service does not define is left out (it is
skipped, as ``npm run --if-present`` and Turborepo skip it), but a task no
member defines at all is a typo, and bad input.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cigen.adapters.npm_env import NpmEnvironment, npm_environment
from cigen.config.run import ScriptRunner
from cigen.config.workflow import TASK_NAME
from cigen.errors import InputError, ToolError
from cigen.executor import scripts
from cigen.plan.tasks import python_commands, service_tasks, task_argv
from cigen.plan.toolchains import Toolchain, detect
from cigen.suggest import did_you_mean

BUILD_TASK = "build"  # what a build-only service runs, as in the workflow (cigen.render.workflow)

if TYPE_CHECKING:
    from cigen.config.root import Config
    from cigen.model import Workspace
    from cigen.plan.stages import Plan


@dataclass(frozen=True, slots=True)
class Command:
    """One process of a task: ``npm run build``, or one of the scripts ``npm run build`` would run."""

    argv: tuple[str, ...]
    env: Mapping[str, str] | None = None  # the whole environment; None: cigen's own
    shown: str = ""  # what a person reads for it; default the command line

    def __str__(self) -> str:
        return self.shown or shlex.join(self.argv)


@dataclass(frozen=True, slots=True)
class Step:
    """One task of a service: its commands, run one after another until one fails."""

    task: str
    commands: tuple[Command, ...]

    def __str__(self) -> str:
        return " && ".join(str(c) for c in self.commands)


@dataclass(frozen=True, slots=True)
class Work:
    """What one service runs: its folder and a command per task it defines."""

    path: str
    name: str | None
    label: str
    cwd: Path
    steps: tuple[Step, ...]
    tasks: tuple[str, ...]  # every task asked for, in order (those without a step: no script, or build only)
    build_only: bool = False  # unaffected, run only to build what affected services need (cigen run --affected)


def prepare(workspace: Workspace, config: Config, plan: Plan, tasks: Sequence[str],
            env: Mapping[str, str] | None = None, build_only: frozenset[str] = frozenset(),
            trees: Mapping[str, Path] | None = None, npm_cache: Path | None = None) -> dict[str, Work]:
    """What each planned service runs for ``tasks``, by path, started from ``env`` (default cigen's own).

    Bad task names are bad input. With ``run.scripts: direct``, npm is asked
    once for its configuration (:func:`cigen.adapters.npm_env.npm_environment`)
    when an npm workspace has a task to run. The services in ``build_only``
    run their ``build`` task alone, as the workflow's build-only legs do.
    ``trees``: the monorepo root each service runs in when it is not ``workspace.root`` (its worktree);
    ``npm_cache``: where npm's answer is kept for the next run while nothing it depends on changes.
    """
    wanted = tuple(tasks)
    for task in wanted:
        if not TASK_NAME.fullmatch(task):
            raise InputError(f"{task!r} is not a task name", hint="a script name: letters, digits and : . _ - @ +")
    twice = sorted({t for t in wanted if wanted.count(t) > 1})
    if twice:
        raise InputError(f"task {twice[0]!r} is named twice", hint="name each task once")
    _require_defined(workspace, config, wanted)
    members = workspace.by_path
    toolchains = detect(workspace, plan.services)
    commands = python_commands(config)
    steps = _Steps(workspace.root, config.run.scripts, dict(os.environ if env is None else env), npm_cache)
    work = {}
    for path in plan.services:
        member = members[path]
        tc = toolchains[path]
        tree = (trees or {}).get(path, workspace.root)
        cwd = tree / path
        only = path in build_only
        defined = [t for t in service_tasks(member, config, wanted) if not only or t == BUILD_TASK]
        work[path] = Work(
            path=path,
            name=member.name,
            label=member.label,
            cwd=cwd,
            steps=tuple(steps.step(t, tc, path, tree, commands.get(t)) for t in defined),
            tasks=wanted,
            build_only=only,
        )
    return work


class _Steps:
    """Makes each task's commands; asks npm for its environment once, when a direct npm script first needs it."""

    def __init__(self, root: Path, runner: ScriptRunner, env: dict[str, str], npm_cache: Path | None) -> None:
        self.root = root
        self.runner = runner
        self.env = env
        self.npm_cache = npm_cache
        self.npm: dict[Path, NpmEnvironment] = {}

    def step(self, task: str, tc: Toolchain, path: str, tree: Path, command: str | None) -> Step:
        """``task`` of the service at ``path``, run in the monorepo root ``tree`` (the main one, or a worktree)."""
        if self.runner == "direct" and tc.manager == "npm":
            return self._npm_direct(task, tc, path, tree)
        return Step(task, (Command(task_argv(task, tc, command)),))

    def _npm_direct(self, task: str, tc: Toolchain, path: str, tree: Path) -> Step:
        install = self.root / (tc.root if tc.root is not None else path)
        if install not in self.npm:
            # Asked in a member's folder: npm there knows it runs in a workspace (its user agent says so).
            self.npm[install] = npm_environment(self.root / path, self.env, cache=self.npm_cache)
        npm = self.npm[install]
        if tree != self.root:  # a worktree: npm's paths into the monorepo (local_prefix) point into it instead
            npm = npm.moved(self.root, tree)
        cwd = tree / path
        manifest = scripts.read_manifest(cwd)
        sh = scripts.shell(npm)
        return Step(task, tuple(
            Command((sh, "-c", manifest["scripts"][event]), scripts.script_env(cwd, manifest, event, npm, self.env),
                    shown=manifest["scripts"][event])
            for event in scripts.npm_events(manifest["scripts"], task, npm)
        ))


def _require_defined(workspace: Workspace, config: Config, tasks: tuple[str, ...]) -> None:
    """A task no member defines is a typo, not an empty (green) run."""
    defined = {t for m in workspace.members for t in service_tasks(m, config, tasks)}
    for task in tasks:
        if task in defined:
            continue
        known = {s for m in workspace.members for s in m.scripts}
        if any(m.language == "python" for m in workspace.members):
            known |= set(python_commands(config))
        raise InputError(
            f"no service defines a task {task!r}",
            hint=did_you_mean(task, known) or
            "a Node service needs a package.json script of that name; a Python one, workflow.python_tasks",
        )


def require_tools(work: Mapping[str, Work]) -> None:
    """Fail before anything starts when a command's program is not on PATH (exit 3, not a failed task)."""
    found: set[str] = set()
    for item in work.values():
        for step in item.steps:
            for command in step.commands:
                program = command.argv[0]
                if program in found:
                    continue
                if shutil.which(program) is not None:
                    found.add(program)
                else:
                    raise ToolError(
                        f"{program} was not found: {item.label}'s {step.task} runs `{shlex.join(command.argv)}`",
                        hint=f"install {program} or put it on PATH",
                    )
