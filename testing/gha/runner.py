"""Run a GitHub Actions workflow on this machine with GitHub's semantics.

``run_workflow(workflow, repo, event, workdir=...)`` runs every job the event
triggers, one at a time in ``needs`` order (ties in file order):

- A job's ``if:`` sees github, needs, vars and inputs. Without a status
  function it is ``success() && (if)``, and at job level ``success()`` means
  every job upstream (transitively, not only the direct needs) succeeded, so a
  job below a skipped or failed one is skipped; ``failure()`` means some job
  upstream failed; ``always()`` is true; nothing cancels a local run, so
  ``cancelled()`` is false.
- ``strategy`` is evaluated after the ``if:`` (``fromJSON`` of needs outputs
  included) and expanded with include/exclude; a bad matrix fails the job.
  Legs run in order; with ``fail-fast`` (the default) the legs after a failed
  one are cancelled. A job fails if a leg failed without ``continue-on-error``.
- Each leg gets an empty workspace of its own: the repository is there only
  if a step checks it out, and files cross jobs only as artifacts.
- Job outputs are evaluated per leg; for a matrix the last non-empty value wins.

Unsupported features (reusable workflows, containers, service containers,
paths filters) raise WorkflowError instead of being ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from testing.gha.events import Event
from testing.gha.expressions import ExpressionError, condition, interpolate
from testing.gha.leg import Leg, strings
from testing.gha.matrix import MatrixError, expand, leg_suffix
from testing.gha.model import (
    CANCELLED,
    FAILURE,
    SKIPPED,
    SUCCESS,
    ActionError,
    JobResult,
    LegResult,
    RunResult,
    WorkflowError,
)
from testing.gha.values import to_str, truthy

LOCAL_TOKEN = "ghs_cigen_local_executor_token"


def load_workflow(source: Path | str | dict[str, Any]) -> dict[str, Any]:
    """The workflow as data, read as YAML 1.2 (so ``on`` stays a string key)."""
    if isinstance(source, dict):
        return source
    text = source.read_text() if isinstance(source, Path) else source
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise WorkflowError(f"the workflow is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        raise WorkflowError("the workflow has no jobs mapping")
    return data


def _filter_regex(pattern: str) -> re.Pattern[str]:
    """GitHub's branch filter patterns: * (not /), ** (anything), ? and + after a character, [..]."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c in "?+" and out:
            out.append(c)
        elif c == "[":
            close = pattern.find("]", i)
            out.append(pattern[i : close + 1])
            i = close
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def _matches_filters(name: str, patterns: list[str]) -> bool:
    selected = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if _filter_regex(pattern[1:] if negate else pattern).fullmatch(name):
            selected = not negate
    return selected


def triggers(workflow: dict[str, Any], event: Event) -> bool:
    """Whether ``event`` starts this workflow (event type and branch filters)."""
    on = workflow.get("on", workflow.get(True))  # type: ignore[call-overload]  # PyYAML 1.1 reads `on` as True
    if isinstance(on, str):
        return on == event.name
    if isinstance(on, list):
        return event.name in on
    if not isinstance(on, dict) or event.name not in on:
        return False
    spec = on[event.name] or {}
    if any(key in spec for key in ("paths", "paths-ignore")):
        raise WorkflowError(f"on.{event.name}: paths filters are not supported by the local executor")
    if event.name not in ("push", "pull_request", "pull_request_target"):
        return True
    branch = event.base_ref if event.name != "push" else event.ref.removeprefix("refs/heads/")
    is_tag = event.ref.startswith("refs/tags/")
    if is_tag:
        if "tags" in spec:
            return _matches_filters(event.ref.removeprefix("refs/tags/"), spec["tags"])
        if "tags-ignore" in spec:
            return not _matches_filters(event.ref.removeprefix("refs/tags/"), spec["tags-ignore"])
        return not any(k in spec for k in ("branches", "branches-ignore"))
    if "branches" in spec:
        return _matches_filters(branch, spec["branches"])
    if "branches-ignore" in spec:
        return not _matches_filters(branch, spec["branches-ignore"])
    return not any(k in spec for k in ("tags", "tags-ignore"))


def dispatch_inputs(workflow: dict[str, Any], event: Event) -> dict[str, Any]:
    """The ``inputs`` context: declared inputs with defaults, typed as declared."""
    if event.name != "workflow_dispatch":
        return {}
    on = workflow.get("on", workflow.get(True))  # type: ignore[call-overload]  # PyYAML 1.1 reads `on` as True
    declared = ((on.get("workflow_dispatch") or {}).get("inputs") or {}) if isinstance(on, dict) else {}
    unknown = sorted(set(event.inputs) - set(declared))
    if unknown:
        raise WorkflowError(f"Unexpected inputs provided: {unknown}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in event.inputs:
            value = event.inputs[name]
        elif "default" in spec:
            value = spec["default"]
        elif spec.get("required"):
            raise WorkflowError(f"Required input '{name}' not provided")
        else:
            value = ""
        kind = spec.get("type", "string")
        if kind == "boolean":
            value = value if isinstance(value, bool) else str(value).lower() == "true"
        elif kind == "number":
            value = float(value) if value != "" else 0
        else:
            value = to_str(value)
        values[name] = value
    return values


def job_order(jobs: dict[str, Any]) -> list[str]:
    """Jobs in an order that respects ``needs``, ties broken by their place in the file."""
    needs = {job_id: _needs(spec) for job_id, spec in jobs.items()}
    for job_id, required in needs.items():
        for name in required:
            if name not in jobs:
                raise WorkflowError(f"job {job_id!r} needs {name!r}, which does not exist")
    order: list[str] = []
    while len(order) < len(jobs):
        ready = [j for j in jobs if j not in order and all(n in order for n in needs[j])]
        if not ready:
            raise WorkflowError(f"the needs of these jobs form a cycle: {sorted(set(jobs) - set(order))}")
        order.append(ready[0])
    return order


def _needs(spec: dict[str, Any]) -> list[str]:
    needs = spec.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


class _Run:
    def __init__(
        self,
        workflow: dict[str, Any],
        repo: Path,
        event: Event,
        workdir: Path,
        step_timeout: float,
        secrets: dict[str, str],
        variables: dict[str, str],
        actions: dict[str, Path],
        around_job: Callable[[str], AbstractContextManager[object]],
        machine_env: dict[str, str],
    ) -> None:
        self.workflow, self.repo, self.event, self.workdir = workflow, repo, event, workdir
        self.around_job = around_job
        self.machine_env = machine_env
        self.local_actions = actions
        self.step_timeout = step_timeout
        self.artifact_store = workdir / "artifacts"
        self.artifact_store.mkdir(parents=True, exist_ok=True)
        self.jobs: dict[str, Any] = workflow["jobs"]
        self.results: dict[str, JobResult] = {}
        self.secrets = {"GITHUB_TOKEN": LOCAL_TOKEN, **secrets}
        self.vars = dict(variables)
        event_path = workdir / "event.json"
        event_path.write_text(json.dumps(event.payload, indent=2))
        repository = event.payload.get("repository", {}).get("full_name", f"cigen-local/{repo.resolve().name}")
        ref_type = "tag" if event.ref.startswith("refs/tags/") else "branch" if event.ref.startswith("refs/heads/") else ""
        self.github = {
            "event_name": event.name, "event": event.payload, "event_path": str(event_path),
            "sha": event.sha, "ref": event.ref, "ref_name": re.sub(r"^refs/(heads|tags|pull)/", "", event.ref),
            "ref_type": ref_type, "head_ref": event.head_ref, "base_ref": event.base_ref,
            "repository": repository, "repository_owner": repository.split("/")[0],
            "repositoryUrl": f"git://github.com/{repository}.git",
            "run_id": "1", "run_number": "1", "run_attempt": "1", "retention_days": "90",
            "actor": "octocat", "triggering_actor": "octocat",
            "workflow": to_str(workflow.get("name", "workflow")), "action": "",
            "server_url": "https://github.com", "api_url": "https://api.github.com",
            "graphql_url": "https://api.github.com/graphql", "token": LOCAL_TOKEN,
        }

    def execute(self) -> RunResult:
        if not triggers(self.workflow, self.event):
            raise WorkflowError(f"the workflow does not run on this {self.event.name} event")
        self.inputs = dispatch_inputs(self.workflow, self.event)
        top = {"github": self.github, "inputs": self.inputs, "vars": self.vars, "secrets": self.secrets}
        try:
            self.env = strings(interpolate(self.workflow.get("env"), top), "env")
            concurrency = self.workflow.get("concurrency")
            group = concurrency.get("group") if isinstance(concurrency, dict) else concurrency
            group_value = to_str(interpolate(group, top)) if group is not None else None
        except (ExpressionError, ActionError) as exc:
            raise WorkflowError(f"workflow-level expressions: {exc}") from None
        order = job_order(self.jobs)
        for job_id in order:
            with self.around_job(job_id):
                self.results[job_id] = self.run_job(job_id, self.jobs[job_id] or {})
        artifacts = {p.name: p for p in sorted(self.artifact_store.iterdir())}
        return RunResult(self.results, order, artifacts, group_value)

    def ancestors(self, job_id: str) -> set[str]:
        seen: set[str] = set()
        stack = _needs(self.jobs[job_id])
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(_needs(self.jobs[name]))
        return seen

    def run_job(self, job_id: str, spec: dict[str, Any]) -> JobResult:
        for unsupported in ("uses", "container", "services"):
            if unsupported in spec:
                raise WorkflowError(f"job {job_id!r}: {unsupported} is not supported by the local executor")
        name = to_str(spec.get("name", job_id)) if "${{" not in str(spec.get("name", "")) else job_id
        upstream = [self.results[a].result for a in self.ancestors(job_id)]
        functions = {
            "success": lambda: all(r == SUCCESS for r in upstream),
            "failure": lambda: any(r == FAILURE for r in upstream),
            "cancelled": lambda: False,
            "always": lambda: True,
        }
        needs = {
            n: {"result": self.results[n].result, "outputs": dict(self.results[n].outputs)} for n in _needs(spec)
        }
        contexts = {"github": self.github, "needs": needs, "vars": self.vars, "inputs": self.inputs}
        try:
            if not condition(spec.get("if"), contexts, functions):
                return JobResult(job_id, name, SKIPPED, reason=f"if: {spec.get('if', 'success()')!s} was false")
            strategy = interpolate(spec.get("strategy") or {}, contexts)
            combinations = expand(strategy.get("matrix"))
        except (ExpressionError, MatrixError) as exc:
            return JobResult(job_id, name, FAILURE, reason=str(exc))
        fail_fast = truthy(strategy.get("fail-fast", True))
        max_parallel = strategy.get("max-parallel", len(combinations))
        job = JobResult(job_id, name, SUCCESS)
        failed = False
        for index, matrix in enumerate(combinations):
            leg_contexts = {
                **contexts,
                "matrix": matrix,
                "secrets": self.secrets,
                "strategy": {
                    "fail-fast": fail_fast, "job-index": index, "job-total": len(combinations),
                    "max-parallel": max_parallel,
                },
            }
            leg_name = self.leg_name(job_id, spec, leg_contexts, matrix)
            if failed and fail_fast:
                job.legs.append(LegResult(job_id, leg_name, matrix, CANCELLED))
                continue
            leg = Leg(
                job_id=job_id, spec=spec, directory=self.workdir / "jobs" / f"{job_id}-{index}",
                contexts=leg_contexts, workflow_env=self.env, defaults=self.defaults(spec),
                artifact_store=self.artifact_store, run_id=self.github["run_id"], source_repo=self.repo,
                step_timeout=self.step_timeout, local_actions=self.local_actions, machine_env=self.machine_env,
            )
            result = leg.run(leg_name, matrix)
            job.legs.append(result)
            tolerated = truthy(self.safe(spec.get("continue-on-error", False), leg_contexts))
            if result.result == FAILURE and not tolerated:
                failed = True
            for key, value in result.outputs.items():
                if value != "" or key not in job.outputs:
                    job.outputs[key] = value
        job.result = FAILURE if failed else SUCCESS
        return job

    def defaults(self, spec: dict[str, Any]) -> dict[str, Any]:
        """``defaults.run`` of the workflow, overridden key by key by the job's."""
        workflow_run = (self.workflow.get("defaults") or {}).get("run") or {}
        job_run = (spec.get("defaults") or {}).get("run") or {}
        return {"run": {**workflow_run, **job_run}}

    def safe(self, value: Any, contexts: dict[str, Any]) -> Any:
        try:
            return interpolate(value, contexts)
        except ExpressionError:
            return False

    def leg_name(self, job_id: str, spec: dict[str, Any], contexts: dict[str, Any], matrix: dict[str, Any]) -> str:
        raw = spec.get("name", job_id)
        if isinstance(raw, str) and "${{" in raw:
            try:
                return to_str(interpolate(raw, contexts))
            except ExpressionError:
                return raw
        return to_str(raw) + leg_suffix(matrix)


def run_workflow(
    workflow: Path | str | dict[str, Any],
    repo: Path,
    event: Event,
    *,
    workdir: Path,
    step_timeout: float = 900.0,
    secrets: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    actions: dict[str, Path] | None = None,
    around_job: Callable[[str], AbstractContextManager[object]] | None = None,
    machine_env: dict[str, str] | None = None,
) -> RunResult:
    """Run the workflow for ``event`` on the git repository ``repo``; state goes under ``workdir``.

    ``actions`` maps an action's ``owner/repo`` to a folder holding its composite
    action.yml, run in place of the published action (:mod:`testing.gha.composite`).
    ``around_job(job_id)`` is a context manager each job runs in (say, a lock on
    ports that only one job starts services on). ``machine_env`` is added to every
    step's environment, as a runner image's own settings are (say, a pip mirror:
    :func:`package_mirror`).
    """
    data = load_workflow(workflow)
    workdir.mkdir(parents=True, exist_ok=True)
    return _Run(data, repo, event, workdir, step_timeout, secrets or {}, variables or {}, actions or {},
                around_job or (lambda job_id: nullcontext()), dict(machine_env or {})).execute()


def package_mirror(wheelhouse: Path) -> dict[str, str]:
    """A ``machine_env`` like a runner image with a package mirror: pip installs only from ``wheelhouse``, npm from its cache.

    The installs stay real. What goes is the work a test asserts nothing of:

    - pip never searches an index (it spends most of an install there) and a
      job that needs a package the folder lacks fails to install it;
    - pip does not compile every module it installs to bytecode (half of an
      install's CPU here): Python compiles what a step imports, when it imports
      it, as after an install by uv, whose default this is;
    - npm takes what its cache holds without asking the registry whether it is
      still fresh (what an npm cache restored by ``actions/setup-node`` is
      for), and asks nothing of the registry after installing (audit, funding).
    """
    return {
        "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_NO_COMPILE": "0",  # pip reads PIP_NO_* as the value of the option without "no-": this is --no-compile
        "npm_config_prefer_offline": "true", "npm_config_audit": "false", "npm_config_fund": "false",
    }
