"""What each service runs for ``cigen run``: its folder and a command per task it defines.

The commands are the workflow legs' own (:mod:`cigen.plan.tasks`): the service's
package manager runs a Node script, a Python task's command runs inside the
service's environment. A task the service does not define is left out (it is
skipped, as ``npm run --if-present`` and Turborepo skip it), but a task no
member defines at all is a typo, and bad input.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cigen.config.workflow import TASK_NAME
from cigen.errors import InputError, ToolError
from cigen.plan.tasks import python_commands, service_tasks, task_argv
from cigen.plan.toolchains import detect
from cigen.suggest import did_you_mean

if TYPE_CHECKING:
    from cigen.config.root import Config
    from cigen.model import Workspace
    from cigen.plan.stages import Plan


@dataclass(frozen=True, slots=True)
class Step:
    task: str
    argv: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Work:
    """What one service runs: its folder and a command per task it defines."""

    path: str
    name: str | None
    label: str
    cwd: Path
    steps: tuple[Step, ...]
    tasks: tuple[str, ...]  # every task asked for, in order (those without a step: no script)


def prepare(workspace: Workspace, config: Config, plan: Plan, tasks: Sequence[str]) -> dict[str, Work]:
    """What each planned service runs for ``tasks``, by path; bad task names are bad input."""
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
    work = {}
    for path in plan.services:
        member = members[path]
        tc = toolchains[path]
        work[path] = Work(
            path=path,
            name=member.name,
            label=member.label,
            cwd=workspace.root / path,
            steps=tuple(Step(t, task_argv(t, tc, commands.get(t))) for t in service_tasks(member, config, wanted)),
            tasks=wanted,
        )
    return work


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
            if step.argv[0] in found:
                continue
            if shutil.which(step.argv[0]) is not None:
                found.add(step.argv[0])
            else:
                raise ToolError(
                    f"{step.argv[0]} was not found: {item.label}'s {step.task} runs `{shlex.join(step.argv)}`",
                    hint=f"install {step.argv[0]} or put it on PATH",
                )
