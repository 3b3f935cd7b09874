"""One leg of a job: its own empty workspace, then its steps in order.

Steps run while the job is successful unless their ``if:`` says otherwise
(the implicit ``success()``); a failing step with ``continue-on-error`` has
outcome failure and conclusion success. Contexts follow GitHub's table of
context availability: ``env`` holds the workflow, job and $GITHUB_ENV values
(plus the step's own ``env`` inside the step), ``steps`` the earlier steps
that have an ``id``.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testing.gha.actions import run_action
from testing.gha.composite import local_action, run_composite
from testing.gha.environment import base_env
from testing.gha.expressions import ExpressionError, condition, interpolate
from testing.gha.globs import match_files, parse_patterns
from testing.gha.model import FAILURE, SKIPPED, SUCCESS, ActionError, LegResult, StepResult
from testing.gha.shell import end_orphans, parse_file_command, read_path_file, run_script
from testing.gha.values import to_str, truthy

_FILES = ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_STATE")


def strings(mapping: Any, where: str) -> dict[str, str]:
    """A mapping of evaluated values as the runner passes them: everything a string."""
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise ActionError(f"{where} must be a mapping, got {to_str(mapping)!r}")
    out = {}
    for key, value in mapping.items():
        if isinstance(value, (dict, list)):
            raise ActionError(f"{where}.{key} must be a string, got {to_str(value)}")
        out[str(key)] = to_str(value)
    return out


def _default_name(step: dict[str, Any]) -> str:
    """GitHub's name for an unnamed step: "Run" and the action, or the script's first line."""
    if "uses" in step:
        return f"Run {step['uses']}"
    lines = str(step.get("run", "")).strip().splitlines()
    return f"Run {lines[0]}" if lines else "Run"


@dataclass
class Leg:
    """The state of a running leg; also what actions see of it (testing.gha.actions.LegContext)."""

    job_id: str
    spec: dict[str, Any]
    directory: Path
    contexts: dict[str, Any]  # github, needs, strategy, matrix, vars, secrets, inputs
    workflow_env: dict[str, str]
    defaults: dict[str, Any]
    artifact_store: Path
    run_id: str
    source_repo: Path
    step_timeout: float
    local_actions: dict[str, Path] = field(default_factory=dict)  # owner/repo -> a composite action's folder
    machine_env: dict[str, str] = field(default_factory=dict)  # the runner machine's own additions to base_env()
    exported_env: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    steps_context: dict[str, Any] = field(default_factory=dict)
    status: str = SUCCESS
    action_env: dict[str, str] = field(default_factory=dict)  # GITHUB_ACTION_PATH... inside a composite action
    files_used: int = 0  # file-command files are numbered per leg, composite actions' steps included
    step_env: dict[str, str] = field(default_factory=dict)  # what a running action's process sees

    def __post_init__(self) -> None:
        self.workspace = self.directory / "workspace"
        self.temp = self.directory / "temp"
        self.tool_dir = self.directory / "tools"
        self.files = self.directory / "files"
        for folder in (self.workspace, self.temp, self.tool_dir, self.files):
            folder.mkdir(parents=True, exist_ok=True)
        self.home = Path(os.environ.get("HOME", str(self.directory)))
        self.tracking_id = f"github_{uuid.uuid4()}"
        self.github = {**self.contexts["github"], "workspace": str(self.workspace), "job": self.job_id}
        self.contexts = {**self.contexts, "github": self.github}
        self.runner = {
            "os": "Linux", "arch": "X64", "name": "cigen-local", "environment": "github-hosted",
            "temp": str(self.temp), "tool_cache": str(self.tool_dir), "debug": "",
        }

    # -- what actions may change ---------------------------------------------------------
    def add_path(self, directory: Path) -> None:
        self.paths.insert(0, str(directory))

    def set_env(self, name: str, value: str) -> None:
        self.exported_env[name] = value

    # -- running ---------------------------------------------------------------------------
    def step_functions(self) -> dict[str, Any]:
        return {
            "success": lambda: self.status == SUCCESS,
            "failure": lambda: self.status == FAILURE,
            "cancelled": lambda: False,
            "always": lambda: True,
            "hashfiles": self.hash_files,
        }

    def hash_files(self, *patterns: Any) -> str:
        """hashFiles: SHA-256 over the SHA-256 of each matched file under the workspace, '' if none."""
        files = match_files(parse_patterns("\n".join(to_str(p) for p in patterns), self.workspace, self.home))
        files = [f for f in files if self.workspace in f.parents]
        if not files:
            return ""
        outer = hashlib.sha256()
        for file in files:
            outer.update(hashlib.sha256(file.read_bytes()).digest())
        return outer.hexdigest()

    def env_context(self, job_env: dict[str, str]) -> dict[str, str]:
        return {**self.workflow_env, **job_env, **self.exported_env}

    def run(self, name: str, matrix: dict[str, Any]) -> LegResult:
        leg = LegResult(self.job_id, name, matrix, SUCCESS, workspace=self.workspace)
        base = {**self.contexts, "job": {"status": SUCCESS}, "runner": self.runner}
        try:
            interpolate(self.spec.get("runs-on"), base)
            job_env = strings(interpolate(self.spec.get("env"), base), "env")
            minutes = to_str(interpolate(self.spec.get("timeout-minutes", 360), base))
            deadline = time.monotonic() + float(minutes) * 60
        except (ExpressionError, ActionError, ValueError) as exc:
            leg.result, leg.error = FAILURE, str(exc)
            return leg
        try:
            for step in self.spec.get("steps") or []:
                result = self.run_step(step, job_env, deadline)
                leg.steps.append(result)
                if result.id:
                    self.steps_context[result.id] = {
                        "outputs": result.outputs, "outcome": result.outcome, "conclusion": result.conclusion,
                    }
                if result.conclusion == FAILURE:
                    self.status = FAILURE
        finally:
            leg.orphans = end_orphans(self.tracking_id)
        leg.result = self.status
        context = self.step_context(job_env, {})
        try:
            leg.outputs = strings(interpolate(self.spec.get("outputs"), context), "outputs")
        except (ExpressionError, ActionError) as exc:
            leg.result, leg.error = FAILURE, f"job outputs: {exc}"
        summaries = sorted(self.files.glob("summary-*"), key=lambda p: int(p.name.split("-")[1]))
        leg.summary = "".join(p.read_text() for p in summaries)
        return leg

    def step_context(self, job_env: dict[str, str], step_env: dict[str, str]) -> dict[str, Any]:
        return {
            **self.contexts,
            "env": {**self.env_context(job_env), **step_env},
            "steps": self.steps_context,
            "job": {"status": self.status},
            "runner": self.runner,
        }

    def run_step(self, step: dict[str, Any], job_env: dict[str, str], deadline: float) -> StepResult:
        started = time.monotonic()
        result = self._run_step(step, job_env, deadline)
        result.seconds = time.monotonic() - started
        return result

    def _run_step(self, step: dict[str, Any], job_env: dict[str, str], deadline: float) -> StepResult:
        step_id = step.get("id")
        context = self.step_context(job_env, {})
        functions = self.step_functions()
        try:
            name = to_str(interpolate(step.get("name", _default_name(step)), context))
        except ExpressionError:
            name = str(step.get("name"))
        result = StepResult(name, step_id, SUCCESS, SUCCESS)
        try:
            if not condition(step.get("if"), context, functions):
                result.outcome = result.conclusion = SKIPPED
                return result
            step_env = strings(interpolate(step.get("env"), context, functions), "env")
            context = self.step_context(job_env, step_env)
            continue_on_error = truthy(interpolate(step.get("continue-on-error", False), context, functions))
        except (ExpressionError, ActionError) as exc:
            result.outcome = result.conclusion = FAILURE
            result.log = f"Error: {exc}"
            return result
        try:
            if "run" in step:
                self.run_shell(step, context, functions, job_env, step_env, deadline, result)
            elif "uses" in step:
                inputs = strings(interpolate(step.get("with"), context, functions), "with")
                self.step_env = self.process_env(step, job_env, step_env)
                local = local_action(str(step["uses"]), self)
                if local is not None:
                    result.outputs, result.log, result.outcome = run_composite(
                        self, local, inputs, {**job_env, **step_env}, deadline
                    )
                else:
                    result.outputs, result.log = run_action(str(step["uses"]), self, inputs)
            else:
                raise ActionError("a step needs run or uses")
        except (ExpressionError, ActionError) as exc:
            result.outcome = FAILURE
            result.log += ("\n" if result.log else "") + f"Error: {exc}"
        if result.outcome == FAILURE and continue_on_error:
            result.conclusion = SUCCESS
        else:
            result.conclusion = result.outcome
        return result

    def run_shell(
        self,
        step: dict[str, Any],
        context: dict[str, Any],
        functions: dict[str, Any],
        job_env: dict[str, str],
        step_env: dict[str, str],
        deadline: float,
        result: StepResult,
    ) -> None:
        script = interpolate(step["run"], context, functions)
        if not isinstance(script, str):
            raise ActionError(f"run must be a string, got {to_str(script)}")
        run_defaults = {**(self.defaults.get("run") or {})}
        shell = interpolate(step.get("shell", run_defaults.get("shell")), context, functions)
        directory = interpolate(step.get("working-directory", run_defaults.get("working-directory")), context, functions)
        cwd = self.workspace / to_str(directory) if directory else self.workspace
        index, self.files_used = self.files_used, self.files_used + 1
        files = {name: self.files / f"{name.lower()}-{index}" for name in _FILES}
        files["GITHUB_STEP_SUMMARY"] = self.files / f"summary-{index}"
        for path in files.values():
            path.write_text("")
        env = {**self.process_env(step, job_env, step_env), **{k: str(v) for k, v in files.items()}}
        step_minutes = step.get("timeout-minutes")
        budget = deadline - time.monotonic()
        if step_minutes is not None:
            budget = min(budget, float(to_str(interpolate(step_minutes, context, functions))) * 60)
        code, log = run_script(
            script, to_str(shell) if shell else None, cwd=cwd, env=env, temp=self.temp,
            timeout=max(1.0, min(budget, self.step_timeout)),
        )
        result.log = log
        if code != 0:
            result.outcome = FAILURE
            result.log += f"\nError: Process completed with exit code {code}."
        result.outputs = parse_file_command(files["GITHUB_OUTPUT"].read_text(), "GITHUB_OUTPUT")
        self.exported_env.update(parse_file_command(files["GITHUB_ENV"].read_text(), "GITHUB_ENV"))
        for directory_line in read_path_file(files["GITHUB_PATH"].read_text()):
            self.add_path(Path(directory_line))

    def process_env(self, step: dict[str, Any], job_env: dict[str, str], step_env: dict[str, str]) -> dict[str, str]:
        """The environment of a step's process: the machine's, GitHub's variables, env layers, PATH."""
        env = {**base_env(), **self.machine_env, **self.github_env(step.get("id")), **self.env_context(job_env),
               **step_env}
        env["PATH"] = os.pathsep.join([*self.paths, env.get("PATH", "")])
        return env

    def github_env(self, step_id: str | None) -> dict[str, str]:
        """The default variables GitHub sets for every step."""
        g = self.github
        return {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_NAME": g["event_name"],
            "GITHUB_EVENT_PATH": g["event_path"],
            "GITHUB_SHA": g["sha"],
            "GITHUB_REF": g["ref"],
            "GITHUB_REF_NAME": g["ref_name"],
            "GITHUB_REF_TYPE": g["ref_type"],
            "GITHUB_HEAD_REF": g["head_ref"],
            "GITHUB_BASE_REF": g["base_ref"],
            "GITHUB_REPOSITORY": g["repository"],
            "GITHUB_REPOSITORY_OWNER": g["repository_owner"],
            "GITHUB_RUN_ID": g["run_id"],
            "GITHUB_RUN_NUMBER": g["run_number"],
            "GITHUB_RUN_ATTEMPT": g["run_attempt"],
            "GITHUB_ACTOR": g["actor"],
            "GITHUB_WORKFLOW": g["workflow"],
            "GITHUB_JOB": self.job_id,
            "GITHUB_ACTION": step_id or "__run",
            "RUNNER_TRACKING_ID": self.tracking_id,
            "GITHUB_SERVER_URL": g["server_url"],
            "GITHUB_API_URL": g["api_url"],
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_NAME": "cigen-local",
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_TOOL_CACHE": str(self.tool_dir),
            **self.action_env,
        }
