"""The plan job: which services a change affects, as one list per stage job.

It checks out the whole history (the merge-base of a pull request, or the
commit a push started from, is then found locally, with no fetch that would
need credentials), checks that the workflow is current (a stale one would run
the wrong services in the wrong jobs), and restores the timings of earlier runs from the Actions cache, and runs
``cigen affected --format github --timings``: its outputs are a compact JSON
list of legs per stage job, packed by those timings, with its count, which the
stage jobs read.

cigen comes from pip (``workflow.cigen_requirement``, default this version),
or from the composite action ``workflow.action`` when cigen.yaml names one.
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from cigen.plan.stages import Job
from cigen.render.expressions import escape, literal
from cigen.render.pins import uses_step
from cigen.render.workflow_steps import CIGEN_PYTHON, bash_defaults, checkout, run_step, runs_on
from cigen.config.workflow import WorkflowConfig

PLAN = "plan"

# A manual run runs everything, or (input `all` unticked) what differs from
# the default branch. Other events: cigen reads the event (the pull request's
# base, the push's previous commit).
_AFFECTED = """\
if [ "$EVENT" = workflow_dispatch ] && [ "$RUN_ALL" != true ]; then
  cigen affected --format github{flags} --timings "$TIMINGS" --base "origin/$DEFAULT_BRANCH"
else
  cigen affected --format github{flags} --timings "$TIMINGS"
fi"""

TIMINGS_FILE = "${{ runner.temp }}/cigen-timings.json"  # restored from the cache, when a run saved one
TIMINGS_KEY = "cigen-timings-"


def plan_job(cfg: WorkflowConfig, jobs: tuple[Job, ...], build_deps: bool, requirement: str) -> CommentedMap:
    """``build_deps``: list the unaffected dependencies of affected services too, as build-only
    entries, so that their outputs exist for the dependents (off in parallel mode: no outputs pass)."""
    job = CommentedMap()
    job["name"] = PLAN
    job["runs-on"] = runs_on(cfg)
    job["timeout-minutes"] = 15
    job["permissions"] = CommentedMap({"contents": "read"})
    job["defaults"] = bash_defaults()
    job["outputs"] = _outputs(cfg, jobs)
    steps = [checkout(**{"fetch-depth": 0}), _restore_timings()]
    steps += _through_action(cfg, build_deps) if cfg.action else _through_pip(cfg, build_deps, requirement)
    job["steps"] = steps
    return job


def _restore_timings() -> CommentedMap:
    """The newest timings file a run saved (the key never exists: its prefix finds the newest)."""
    return uses_step("actions/cache/restore", name="Restore the timings of earlier runs", with_={
        "path": TIMINGS_FILE,
        "key": f"{TIMINGS_KEY}${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}",
        "restore-keys": TIMINGS_KEY,
    })


def _outputs(cfg: WorkflowConfig, jobs: tuple[Job, ...]) -> CommentedMap:
    outputs = CommentedMap()
    outputs["any"] = "${{ steps.affected.outputs.any }}"
    for job in jobs:
        if cfg.action:
            # The action's outputs have fixed names: every stage list is in one object.
            outputs[job.id] = f"${{{{ toJSON(fromJSON(steps.affected.outputs.stages)[{literal(job.id)}]) }}}}"
            outputs[f"{job.id}-count"] = f"${{{{ fromJSON(steps.affected.outputs.counts)[{literal(job.id)}] }}}}"
        else:
            outputs[job.id] = f"${{{{ steps.affected.outputs.{job.id} }}}}"
            outputs[f"{job.id}-count"] = f"${{{{ steps.affected.outputs.{job.id}-count }}}}"
    return outputs


def _through_pip(cfg: WorkflowConfig, build_deps: bool, requirement: str) -> list[CommentedMap]:
    return [
        uses_step("actions/setup-python", with_={"python-version": CIGEN_PYTHON}),
        run_step("Install cigen", 'python -m pip install "$CIGEN_REQUIREMENT"',
                 env={"CIGEN_REQUIREMENT": escape(requirement)}),
        run_step("Check that this workflow is up to date", "cigen check"),
        run_step(
            "Find the affected services",
            _AFFECTED.format(flags=" --build-deps" if build_deps else ""),
            id="affected",
            env={"EVENT": "${{ github.event_name }}", "RUN_ALL": "${{ inputs.all }}",
                 "DEFAULT_BRANCH": cfg.default_branch, "TIMINGS": TIMINGS_FILE},
        ),
    ]


def _through_action(cfg: WorkflowConfig, build_deps: bool) -> list[CommentedMap]:
    base = literal(f"origin/{cfg.default_branch}")
    check = CommentedMap({"name": "Check that this workflow is up to date", "uses": cfg.action,
                          "with": CommentedMap({"command": "check"})})
    affected = CommentedMap({"name": "Find the affected services", "id": "affected", "uses": cfg.action})
    affected["with"] = CommentedMap({
        "command": "affected",
        "base": f"${{{{ github.event_name == 'workflow_dispatch' && !inputs.all && {base} || '' }}}}",
    })
    affected["with"]["args"] = f"{'--build-deps ' if build_deps else ''}--timings {TIMINGS_FILE}"
    return [check, affected]
