"""``cigen run``: tasks in every planned service, in the plan's order and mode, on this machine.

``--worktree`` (``run.worktree``) runs each service of a parallel group in a
git worktree of its own (:mod:`cigen.executor.isolation`); a cascade runs
one service at a time, in the main tree.

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
from cigen.adapters import cache, git, signals, worktrees
from cigen.app.plan import planned
from cigen.errors import InputError
from cigen.executor import history
from cigen.executor.isolation import Worktrees, prepare_worktrees
from cigen.executor.runner import Reporter, RunResult, execute
from cigen.executor.work import prepare
from cigen.graph.graph import display_names
from cigen.plan.stages import Mode, compute_plan, service_needs
from cigen.plan.tasks import service_tasks


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
        patterns: Sequence[str] = (), paths: Sequence[str] = (), keep_going: bool = False, reporter: Reporter | None = None,
        changed: Affected | None = None, env: Mapping[str, str] | None = None,
        worktree: bool | None = None) -> RunResult:
    """Run ``tasks`` in each selected service; without a concurrency limit, as many at once as there are CPUs.

    ``changed``: only the services the change affects, and the dependencies they need built;
    ``worktree``: each service in its own git worktree (None: ``run.worktree`` of cigen.yaml).
    """
    environ = dict(os.environ if env is None else env)
    p = planned(root, mode=mode, concurrency=concurrency, patterns=patterns, paths=paths)
    plan = p.plan
    build_only: frozenset[str] = frozenset()
    if changed is not None:
        selection = affected_selection(root, changed, environ, p.config.workflow.default_branch)
        reporting.progress(describe(selection, display_names(p.workspace.members)))
        plan = compute_plan(p.graph, mode=plan.mode, concurrency=plan.concurrency,
                            selected={*selection.affected, *selection.build_only} & set(plan.services))
        build_only = frozenset(selection.build_only)
    needs = service_needs(p.graph, plan) if plan.mode != "parallel" else {}
    limit = plan.concurrency or os.cpu_count() or 1
    isolated = p.config.run.worktree if worktree is None else worktree
    times = history.entry(root, environ)
    expected = history.expected(history.read(times), tasks, plan.services)
    npm_cache = cache.home(environ) / "npm-env"
    if not isolated or plan.mode == "cascade":
        result = execute(plan, needs, prepare(p.workspace, p.config, plan, tasks, env=environ, build_only=build_only,
                                              npm_cache=npm_cache),
                         concurrency=limit, keep_going=keep_going, reporter=reporter, expected=expected)
    else:
        top, commit = _checkout(root)
        with worktrees.locked(top) as home:
            runs = [s for s in plan.services if service_tasks(p.graph.member(s), p.config, tuple(tasks))]
            received: list[int] = []  # SIGINT/SIGTERM while worktrees are made: each is finished, then we stop
            with signals.handling(lambda signum, frame: received.append(signum)):
                trees = prepare_worktrees(root, top, home, runs, [m.path for m in p.workspace.members], commit,
                                          stopped=lambda: bool(received))
            isolation = Worktrees(root, trees, {s: sorted(p.graph.dependencies([s])) for s in runs},
                                  p.config.workflow.outputs)
            work = prepare(p.workspace, p.config, plan, tasks, env=environ, build_only=build_only, trees=trees,
                           npm_cache=npm_cache)
            result = execute(plan, needs, work, concurrency=limit, keep_going=keep_going, reporter=reporter,
                             isolation=isolation, expected=expected)
    history.record(times, result)
    return result


def clean_worktrees(root: Path) -> list[Path]:
    """Remove every worktree ``cigen run --worktree`` made for the repository at ``root``; those removed."""
    return worktrees.remove_all(_checkout(root)[0])


def _checkout(root: Path) -> tuple[Path, str]:
    """The repository's top level and its HEAD commit: what worktrees check out."""
    try:
        top, _ = git.toplevel(root)
    except InputError:
        raise InputError(f"{root} is not inside a git repository, and worktrees are git's",
                         hint="run without --worktree") from None
    commit = git.resolve(top, "HEAD")
    if commit is None:
        raise InputError(f"{top} has no commit yet, and a worktree checks out a commit",
                         hint="commit once, or run without --worktree")
    return top, commit


def affected_selection(root: Path, changed: Affected, env: Mapping[str, str], default_branch: str) -> Selection:
    """The services a change affects and the dependencies they need built, as the workflow selects them.

    Inside GitHub Actions without ``--base`` the run's event says what changed, as in the workflow;
    elsewhere the change is from the merge-base with ``--base`` (default: the workflow's default branch).
    """
    # Only --affected reads the Actions environment and computes the change's impact (a tenth of a second of imports).
    from cigen.adapters import github_env
    from cigen.app.affected import ChangeSource, affected

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
