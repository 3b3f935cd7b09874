"""The ``workflow:`` section of cigen.yaml: how the GitHub Actions workflow is generated.

The plan itself (mode, concurrency) comes from the ``plan:`` section; this one
holds what only the workflow needs. Every key has a default, so a repository
without cigen.yaml gets a working workflow::

    workflow:
      path: .github/workflows/cigen.yml   # where `cigen generate` writes it
      name: cigen                          # the workflow's name in the Actions tab
      default_branch: main                 # pushes here run CI and are never cancelled
      runs_on: ubuntu-latest               # a label, or a list of labels
      timeout_minutes: 60                  # per leg
      legs: auto                           # service: a leg per service; batch: balanced batches; auto: see below
      max_legs: 20                         # legs of one job at most, whatever the monorepo's size
      node_version: "24"                   # default: .nvmrc / .node-version, else 24
      python_version: "3.13"               # default: .python-version, else 3.13
      tasks: [lint, build, test]           # scripts run where a service defines them
      python_tasks:                        # what a task runs in a Python service (default below)
        lint: ruff check .
        test: pytest
      outputs: [dist, build]               # build outputs passed to dependents, per service
      setup: []                            # extra steps after the toolchain, before install
      cigen_requirement: cigen==X.Y.Z      # what the plan job installs (default: this version)
      action: owner/cigen@<commit sha>     # or run cigen through its composite action
      impact: true                         # also write the PR impact workflow (cigen/integrations_config.py)

A leg checks out, sets up its toolchains and installs the monorepo once,
then runs its services with ``cigen run``. ``legs: service`` gives each
service a leg of its own in its stage's job (one log page per service, at one
install each); ``batch`` packs the services a run must run into at most
``max_legs`` legs per job, balanced by expected duration (the times of
earlier runs, else the size of each service's folder), merging stages where
their barriers cost more than they save; ``auto`` keeps a leg per service while that is as
fast as batches and no job needs more than ``max_legs``, and batches above.
Jobs run one after another along their ``needs``, so ``max_legs`` bounds the
runners a run asks for at once (GitHub's free plan runs 20 jobs at a time).

Node services run a task when their package.json defines a script of that
name. Python manifests have no scripts, so ``python_tasks`` maps a task to a
command run in the service's environment (``uv run``, ``poetry run``). Without
``python_tasks`` the defaults apply only where the service declares the tool
(``ruff``, ``pytest``) among its dependencies; a ``python_tasks`` you write
applies to every Python service.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from cigen.config.base import StrictModel
from cigen.config.integrations import ActionRef, ImpactSetting
from cigen.config.workflow_file import WorkflowFile, WorkflowName
from cigen.impact.affected import WORKFLOW_PATH

# Script names as package managers write them ("test", "test:unit", "build.prod").
# The renderer puts a task name inside expression literals and step names, so
# the character set is closed: no quotes, spaces or `$`.
TASK_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_:.@+-]*")
# A runner label or a version: what GitHub and the setup actions accept.
LABEL = re.compile(r"[A-Za-z0-9_.*/+=@:<>^~|-][A-Za-z0-9_.*/+=@:<>^~| -]*")
BRANCH = re.compile(r"[A-Za-z0-9_./-]+")
LegsMode = Literal["auto", "service", "batch"]
DEFAULT_MAX_LEGS = 20  # the free plan's concurrent jobs: one round of legs per job, no queue
DEFAULT_PYTHON_TASKS = {"lint": "ruff check .", "test": "pytest"}
STEP_KEYS = frozenset(
    {"name", "id", "if", "uses", "with", "run", "shell", "env", "working-directory", "continue-on-error",
     "timeout-minutes"}
)


def _check_step(step: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(str(k) for k in step if k not in STEP_KEYS)
    if unknown:
        raise ValueError(f"unknown step key {unknown[0]!r} (allowed: {', '.join(sorted(STEP_KEYS))})")
    if ("uses" in step) == ("run" in step):
        raise ValueError("a step needs exactly one of `uses` or `run`")
    return step


class WorkflowConfig(StrictModel):
    """The ``workflow:`` section of cigen.yaml."""

    path: WorkflowFile = Field(default=WORKFLOW_PATH, description="where the workflow is written")
    name: WorkflowName = Field(default="cigen", min_length=1, description="the workflow's name")
    default_branch: str = Field(default="main", description="pushes to it run CI; its runs are never cancelled")
    runs_on: str | tuple[str, ...] = Field(default="ubuntu-latest", description="runner label(s) of every job")
    timeout_minutes: int = Field(default=60, ge=1, le=4320, description="time limit of each service leg")
    legs: LegsMode = Field(
        default="auto", description="service: a leg per service; batch: balanced batches; auto: a leg per service "
        "while that is as fast as batches and within max_legs")
    max_legs: int = Field(default=DEFAULT_MAX_LEGS, ge=1, le=256, description="legs of one job at most")
    node_version: str | None = Field(default=None, description="default: .nvmrc / .node-version, else 24")
    python_version: str | None = Field(default=None, description="default: .python-version, else 3.13")
    tasks: tuple[str, ...] = Field(default=("lint", "build", "test"), description="scripts run, in order")
    python_tasks: dict[str, str] | None = Field(default=None, description="task -> command for Python services")
    outputs: tuple[str, ...] = Field(default=("dist", "build"), description="build output globs, per service")
    setup: tuple[dict[str, Any], ...] = Field(default=(), description="extra steps before install")
    cigen_requirement: str | None = Field(default=None, description="pip requirement the plan job installs")
    action: ActionRef | None = Field(default=None, description="the cigen action the plan and impact jobs use")
    impact: ImpactSetting = Field(default=None, description="the pull-request impact workflow, when wanted")

    @field_validator("default_branch")
    @classmethod
    def _branch(cls, value: str) -> str:
        if not BRANCH.fullmatch(value) or value.startswith(("/", "-")) or ".." in value:
            raise ValueError("must be a branch name such as main")
        return value

    @field_validator("runs_on", "node_version", "python_version")
    @classmethod
    def _label(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        for item in (value,) if isinstance(value, str) else value or ():
            if not LABEL.fullmatch(item):
                raise ValueError(f"{item!r} is not a label or version (no quotes, $ or line breaks)")
        if isinstance(value, tuple) and not value:
            raise ValueError("needs at least one label")
        return value

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for task in value:
            if not TASK_NAME.fullmatch(task):
                raise ValueError(f"{task!r} is not a script name (letters, digits and : . _ - @ + only)")
        if len(set(value)) != len(value):
            raise ValueError("lists a task twice")
        return value

    @field_validator("python_tasks")
    @classmethod
    def _python_tasks(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for task, command in (value or {}).items():
            if not TASK_NAME.fullmatch(task):
                raise ValueError(f"{task!r} is not a task name (letters, digits and : . _ - @ + only)")
            if not command.strip():
                raise ValueError(f"the command of task {task!r} is empty")
        return value

    @field_validator("outputs")
    @classmethod
    def _outputs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for glob in value:
            parts = glob.split("/")
            if not glob or glob.startswith("/") or ".." in parts or any(c in glob for c in "\\ \t\n") or "${{" in glob:
                raise ValueError(f"{glob!r} is not a glob relative to the service's folder (write e.g. dist)")
        return value

    @field_validator("setup")
    @classmethod
    def _setup(cls, value: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        return tuple(_check_step(step) for step in value)

    @field_validator("cigen_requirement")
    @classmethod
    def _requirement(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or "\n" in value or "${{" in value):
            raise ValueError("must be one pip requirement, e.g. cigen==1.2.3 or . for the checked-out repository")
        return value

    @model_validator(mode="after")
    def _python_tasks_are_tasks(self) -> WorkflowConfig:
        missing = sorted(set(self.python_tasks or ()) - set(self.tasks))
        if missing:
            raise ValueError(f"python_tasks.{missing[0]} is not in tasks ({', '.join(self.tasks)}): add it there too")
        return self
