"""``cigen affected`` and the action's ``affected``/``impact``: which services a change affects, and why.

:func:`affected` picks the change source, computes the impact once, and
returns an :class:`Affected`, which renders the shapes the callers need (the
JSON document, the Markdown report at any size, the GitHub outputs) without
computing anything again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cigen import reporting
from cigen.adapters import github_env
from cigen.app.workspace import load
from cigen.config.root import Config
from cigen.errors import CycleError, InputError
from cigen.graph.graph import Graph, build_graph, display_names
from cigen.impact import changes
from cigen.impact.affected import Impact, Rules, compute_impact
from cigen.impact.changes import ChangeSet
from cigen.model import Workspace
from cigen.app.timings import expected_seconds, folder_sizes, read_timings
from cigen.plan.head_start import head_start, stage_packer, workflow_jobs
from cigen.plan.legs import OVERHEAD, leg_cores
from cigen.plan.ordering import OrderRules
from cigen.plan.stages import Job, Plan, compute_plan, service_needs, stage_jobs
from cigen.plan.toolchains import detect
from cigen.render.impact import ReportDoesNotFit, render_impact
from cigen.render.leg_matrix import leg_entries


@dataclass(frozen=True)
class ChangeSource:
    """Where the change comes from: at most one of ``base``, ``uncommitted`` and ``files``; none means
    the GitHub Actions event of the run."""

    base: str | None = None
    head: str = "HEAD"
    uncommitted: bool = False
    files: Sequence[str] | None = None

    def check(self) -> None:
        if sum((self.base is not None, self.uncommitted, self.files is not None)) > 1:
            raise InputError("give only one of --base, --uncommitted and --files")
        if self.head != "HEAD" and self.base is None:
            raise InputError("--head needs --base", hint="name the revision to compare with: --base main")

    def read(self, root: Path, env: Mapping[str, str]) -> ChangeSet:
        if self.base is not None:
            return changes.between(root, self.base, self.head)
        if self.uncommitted:
            return changes.working_tree(root)
        if self.files is not None:
            return changes.listed(root, self.files)
        if not github_env.in_actions(env):
            raise InputError("no change given", hint="pass --base REF, --uncommitted or --files (inside GitHub "
                             "Actions the run's event is used)")
        return changes.from_event(root, env)


@dataclass(frozen=True)
class Affected:
    config: Config
    workspace: Workspace
    graph: Graph
    change: ChangeSet
    impact: Impact
    build_deps: bool

    @cached_property
    def names(self) -> dict[str, str]:
        return display_names(self.workspace.members)

    def affected_names(self) -> list[str]:
        return sorted(self.names[p] for p in self.impact.affected)

    @cached_property
    def plan(self) -> Plan:
        """The plan the workflow was generated from (a cycle raises, as it fails the workflow's generation)."""
        plan = self.config.plan
        return compute_plan(self.graph, mode=plan.mode, concurrency=plan.concurrency, rules=OrderRules.of(plan))

    def jobs(self) -> tuple[Job, ...]:
        """The stage jobs of the plan."""
        return stage_jobs(self.plan)

    def workflow_jobs(self) -> tuple[Job, ...]:
        """The jobs of the generated workflow: the stage jobs, after the head-start job where it has one."""
        return workflow_jobs(self.plan, self.config.workflow.legs)

    def document(self) -> dict[str, Any]:
        """The JSON shape of ``--format json`` (a contract); ``build_only`` only with --build-deps."""
        impact, names = self.impact, self.names
        reasons = {names[p]: impact.reasons[p].text(names) for p in impact.affected}
        document: dict[str, Any] = {
            "base": self.change.base,
            "head": self.change.head,
            "merge_base": self.change.merge_base,
            "changed_files": list(impact.files),
            "changed": sorted(names[p] for p in impact.changed),
            "affected": self.affected_names(),
            "reasons": dict(sorted(reasons.items())),
            "all": impact.everything or False,
        }
        if self.build_deps:
            document["build_only"] = sorted(names[p] for p in impact.build_only)
            reasons.update((names[p], impact.reasons[p].text(names)) for p in impact.build_only)
            document["reasons"] = dict(sorted(reasons.items()))
        return document

    def markdown(self, budget: int = github_env.SUMMARY_LIMIT) -> str:
        """The Markdown report in at most ``budget`` bytes; raises :class:`ReportDoesNotFit`."""
        try:
            jobs: tuple[Job, ...] | None = self.jobs()
            note = ""
        except CycleError as exc:
            jobs, note = None, f"No stages: {exc}"
        change = self.change
        return render_impact(self.impact, self.graph, self.names, jobs=jobs, base=change.base, head=change.head,
                             merge_base=change.merge_base, stages_note=note, budget=budget)

    def legs(self, jobs: Sequence[Job], timings: Path | None = None) -> dict[str, list[dict[str, Any]]]:
        """The matrix entries of each job's legs (:mod:`cigen.render.leg_matrix`), packed by the
        ``timings`` file of earlier runs, else by size (:mod:`cigen.app.timings`)."""
        plan, impact, wf = self.plan, self.impact, self.config.workflow
        running = [p for p in plan.services if p in impact.affected or p in impact.build_only]
        # In parallel mode nothing passes between legs: no order, no downloads.
        dependencies = service_needs(self.graph, plan) if plan.mode != "parallel" else {}
        seconds = expected_seconds(read_timings(timings), folder_sizes(self.workspace.root, running))
        # The plan job runs on the legs' kind of runner: its CPUs are theirs.
        cores = leg_cores(plan, os.cpu_count() or 1)
        pack = stage_packer(jobs, dependencies, seconds, mode=wf.legs, units=plan.units, cores=cores)
        legs = head_start(jobs, pack, running, dependencies, seconds, max_legs=wf.max_legs, overhead=OVERHEAD,
                          cores=cores, fixed=[m for unit in plan.units for m in unit.members])
        return leg_entries(
            legs, build_only=impact.build_only, names=self.names, toolchains=detect(self.workspace, tuple(running)),
            dependencies=dependencies,
        )

    def github_outputs(self, jobs: Sequence[Job], timings: Path | None = None) -> dict[str, str]:
        """The step outputs the generated workflow's stage jobs read (see :mod:`cigen.adapters.github_env`)."""
        values = github_env.summary_outputs(self.affected_names(), self.impact.everything)
        values.update(github_env.job_outputs(jobs, self.legs(jobs, timings)))
        return values


def affected(root: Path, source: ChangeSource, env: Mapping[str, str], *, direct: bool = False,
             build_deps: bool = False) -> Affected:
    """The impact of the change ``source`` names on the monorepo at ``root``."""
    source.check()
    config, workspace = load(root)
    graph = build_graph(workspace, include_root=config.include_root)
    change = source.read(root, env)
    rules = Rules(config.affected.global_files, config.affected.ignore, extra_global=(config.workflow.path,))
    impact = compute_impact(
        change.files, workspace, graph, rules,
        lockfiles=changes.lockfile_impacts(change, workspace) if change.everything is None else None,
        removed=changes.removed_members(change, workspace),
        everything=change.everything, direct=direct, build_dependencies=build_deps,
    )
    return Affected(config, workspace, graph, change, impact, build_deps)


@dataclass(frozen=True)
class GithubWritten:
    jobs: int
    running: int  # jobs with at least one service to run


def github_output(env: Mapping[str, str]) -> Path:
    return github_env.output_file(env, "--format github", "use --format json")


def write_github(result: Affected, env: Mapping[str, str], timings: Path | None = None) -> GithubWritten:
    """Write the outputs to $GITHUB_OUTPUT and the report to the step summary (when there is one)."""
    outputs = github_output(env)
    jobs = result.workflow_jobs()
    values = result.github_outputs(jobs, timings)
    github_env.write_outputs(outputs, values)
    step_summary(result, env)
    return GithubWritten(len(jobs), sum(1 for job in jobs if values[f"{job.id}-count"] != "0"))


def step_summary(result: Affected, env: Mapping[str, str]) -> None:
    """Append the report to the step summary, when the step has one, in the room earlier steps left."""
    summary = env.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    path = Path(summary)
    try:
        report = result.markdown(github_env.summary_budget(path))
    except ReportDoesNotFit as exc:  # earlier steps filled the summary: the outputs matter, the report does not
        reporting.warn(f"no step summary written: {exc}")
    else:
        github_env.append_summary(path, report)
