"""``cigen run``: tasks in every planned service, in the plan's order and mode, on this machine.

``--affected`` narrows the services to those a change affects plus the
unaffected dependencies their build needs (``cigen affected --build-deps``),
the selection the generated workflow runs: those dependencies only build.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cigen import reporting
from cigen.app.affected import ChangeSource, affected
from cigen.app.plan import planned
from cigen.executor.runner import Reporter, RunResult, execute
from cigen.executor.work import prepare
from cigen.graph.graph import display_names
from cigen.plan.stages import Mode, compute_plan, service_needs


@dataclass(frozen=True, slots=True)
class Affected:
    """Where ``--affected`` takes its change from: ``base`` when given, else the workflow's default branch."""

    base: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """What ``--affected`` chose, for the person reading the run."""

    base: str | None
    merge_base: str | None
    everything: str | None  # why every service runs (a global file changed, no merge-base, ...)
    affected: tuple[str, ...]  # paths
    build_only: tuple[str, ...]  # paths


def run(root: Path, tasks: Sequence[str], *, mode: Mode | None = None, concurrency: int | None = None,
        patterns: Sequence[str] = (), keep_going: bool = False, reporter: Reporter | None = None,
        changed: Affected | None = None, env: Mapping[str, str] | None = None) -> RunResult:
    """Run ``tasks`` in each selected service; without a concurrency limit, as many at once as there are CPUs.

    ``changed``: only the services the change affects, and the dependencies they need built.
    """
    environ = dict(os.environ if env is None else env)
    p = planned(root, mode=mode, concurrency=concurrency, patterns=patterns)
    plan = p.plan
    build_only: frozenset[str] = frozenset()
    if changed is not None:
        selection = affected_selection(root, changed, environ, p.config.workflow.default_branch)
        reporting.progress(describe(selection, display_names(p.workspace.members)))
        plan = compute_plan(p.graph, mode=plan.mode, concurrency=plan.concurrency,
                            selected={*selection.affected, *selection.build_only} & set(plan.services))
        build_only = frozenset(selection.build_only)
    return execute(
        plan,
        service_needs(p.graph, plan) if plan.mode != "parallel" else {},
        prepare(p.workspace, p.config, plan, tasks, env=environ, build_only=build_only),
        concurrency=plan.concurrency or os.cpu_count() or 1,
        keep_going=keep_going,
        reporter=reporter,
    )


def affected_selection(root: Path, changed: Affected, env: Mapping[str, str], default_branch: str) -> Selection:
    """The services a change affects and the dependencies they need built, as the workflow selects them.

    Inside GitHub Actions without ``--base`` the run's event says what changed, as in the workflow;
    elsewhere the change is from the merge-base with ``--base`` (default: the workflow's default branch).
    """
    from cigen.adapters import github_env  # only --affected reads the Actions environment

    if changed.base is None and github_env.in_actions(env):
        source = ChangeSource()
    else:
        source = ChangeSource(base=changed.base or default_branch)
    found = affected(root, source, env, build_deps=True)
    change, impact = found.change, found.impact
    return Selection(change.base, change.merge_base, change.everything or (impact.everything or None),
                     tuple(impact.affected), tuple(impact.build_only))


def describe(selection: Selection, names: Mapping[str, str]) -> str:
    """One line: what the change is measured from and what it selects."""
    since = f"since {selection.base}" if selection.base else "in this pull request"
    if selection.merge_base:
        since += f" (merge-base {selection.merge_base[:12]})"
    if selection.everything:
        return f"affected {since}: every service ({selection.everything})"
    if not selection.affected:
        return f"affected {since}: no service, nothing to run"
    listed = ", ".join(sorted(names.get(p, p) for p in selection.affected))
    line = f"affected {since}: {len(selection.affected)} ({listed})"
    if selection.build_only:
        line += f", and {len(selection.build_only)} dependencies built for them"
    return line
