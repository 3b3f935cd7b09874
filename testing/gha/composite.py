"""Composite actions on disk: ``uses: ./path`` and ``owner/repo@ref`` mapped to a local folder.

A run may map an action's ``owner/repo`` to a folder (``run_workflow(...,
actions={"acme/cigen": checkout})``), so that a workflow pinning
``acme/cigen@<sha>`` runs this checkout's action.yml; ``./path`` is read from
the leg's workspace, as GitHub does (the job must check out first).

``$/path`` (GitHub's self-repository syntax) is the folder in the workflow's
own repository at the running commit, with no checkout needed.

A composite action runs as GitHub runs it: its own ``inputs`` (declared
defaults, expressions in them evaluated, undeclared inputs rejected), its own
``steps`` context and status (a failing step skips the rest unless their
``if:`` says otherwise, and fails the calling step), ``github.action_path``
and ``$GITHUB_ACTION_PATH``, the calling step's ``env:`` visible to every
step, ``shell`` required on each ``run:`` step, and its ``outputs`` evaluated
from its steps' outputs when it ends.
"""

from __future__ import annotations

import tarfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from cigen.adapters.proc import run
from testing.gha.expressions import ExpressionError, interpolate
from testing.gha.model import FAILURE, SUCCESS, ActionError
from testing.gha.values import to_str

if TYPE_CHECKING:
    from testing.gha.leg import Leg


def local_action(uses: str, leg: Leg) -> tuple[Path, str, str] | None:
    """The folder, ``owner/repo`` and ref of an action this run has on disk; None for any other action."""
    uses = uses.strip()
    if uses.startswith("./"):
        return leg.workspace / uses[2:], "", ""
    if uses.startswith("$/"):
        return self_repository(leg, uses[2:]), "", ""
    name, _, ref = uses.partition("@")
    owner_repo = "/".join(name.split("/")[:2])
    folder = leg.local_actions.get(owner_repo)
    if folder is None:
        return None
    return folder.joinpath(*name.split("/")[2:]), owner_repo, ref


def self_repository(leg: Leg, path: str) -> Path:
    """``$/path``: the folder in the workflow's own repository at the running commit (``github.sha``),
    with no checkout, as GitHub resolves it; read from the source repository into the leg's temp."""
    sha = str(leg.github["sha"])
    target = leg.temp / "self-repository" / sha
    archive = leg.temp / "self-repository" / f"{sha}.tar"
    if not target.is_dir():
        target.mkdir(parents=True)
        listed = run(["git", "archive", "--format=tar", "-o", str(archive), sha, "--", path],
                     cwd=leg.source_repo, check=False)
        if listed.returncode != 0:
            raise ActionError(f"$/{path}: not in the repository at {sha}: {listed.stderr.strip()}")
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    return target / path


def _load(folder: Path) -> dict[str, Any]:
    for filename in ("action.yml", "action.yaml"):
        path = folder / filename
        if path.is_file():
            try:
                data = YAML(typ="safe", pure=True).load(path.read_text())
            except YAMLError as exc:
                raise ActionError(f"{path} is not valid YAML: {exc}") from None
            if not isinstance(data, dict):
                raise ActionError(f"{path} is not a mapping")
            return data
    raise ActionError(f"Can't find 'action.yml' or 'action.yaml' under '{folder}'. Did you forget to run "
                      "actions/checkout before running your local action?")


def _inputs(spec: dict[str, Any], given: dict[str, str], leg: Leg) -> dict[str, str]:
    declared = spec.get("inputs") or {}
    unexpected = sorted(set(given) - set(declared))
    if unexpected:
        raise ActionError(f"unexpected input(s) {unexpected} for the composite action")
    values = {}
    for name, item in declared.items():
        item = item or {}
        if name in given:
            values[name] = given[name]
        else:
            values[name] = to_str(interpolate(item.get("default", ""), {"github": leg.github}))
        if item.get("required") and not values[name].strip():
            raise ActionError(f"Input required and not supplied: {name}")
    return values


def run_composite(
    leg: Leg, where: tuple[Path, str, str], given: dict[str, str], env: dict[str, str], deadline: float
) -> tuple[dict[str, str], str, str]:
    """Run the composite action at ``where`` in ``leg``; returns its outputs, log and outcome."""
    folder, repository, ref = where
    spec = _load(folder)
    runs = spec.get("runs") or {}
    if runs.get("using") != "composite":
        raise ActionError(f"{folder}: the local executor runs composite actions only, not {runs.get('using')!r}")
    values = _inputs(spec, given, leg)
    saved = (leg.steps_context, leg.status, leg.contexts, leg.action_env)
    leg.steps_context, leg.status = {}, SUCCESS
    leg.contexts = {**leg.contexts, "inputs": values, "github": {**leg.github, "action_path": str(folder)}}
    leg.action_env = {"GITHUB_ACTION_PATH": str(folder), "GITHUB_ACTION_REPOSITORY": repository,
                      "GITHUB_ACTION_REF": ref}
    logs = []
    try:
        for step in runs.get("steps") or []:
            if "run" in step and "shell" not in step:
                raise ActionError(f"{folder}: a run step of a composite action needs shell")
            result = leg.run_step(step, env, deadline)
            logs.append(f"--- {result.name} [{result.conclusion}, {result.seconds:.1f} s]\n{textwrap.indent(result.log, '  ')}")
            if result.id:
                leg.steps_context[result.id] = {
                    "outputs": result.outputs, "outcome": result.outcome, "conclusion": result.conclusion,
                }
            if result.conclusion == FAILURE:
                leg.status = FAILURE
        outcome = leg.status
        context = leg.step_context(env, {})
        try:
            outputs = {
                str(name): to_str(interpolate((item or {}).get("value", ""), context))
                for name, item in (spec.get("outputs") or {}).items()
            }
        except ExpressionError as exc:
            raise ActionError(f"{folder}: outputs: {exc}") from None
    finally:
        leg.steps_context, leg.status, leg.contexts, leg.action_env = saved
    return outputs, "\n".join(logs), outcome
