"""``cigen run``: tasks in every planned service, in the plan's order and mode, on this machine."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cigen.app.plan import planned
from cigen.executor.runner import Reporter, RunResult, execute
from cigen.executor.work import prepare
from cigen.plan.stages import Mode, service_needs


def run(root: Path, tasks: Sequence[str], *, mode: Mode | None = None, concurrency: int | None = None,
        patterns: Sequence[str] = (), keep_going: bool = False, reporter: Reporter | None = None) -> RunResult:
    """Run ``tasks`` in each selected service; without a concurrency limit, as many at once as there are CPUs."""
    p = planned(root, mode=mode, concurrency=concurrency, patterns=patterns)
    plan = p.plan
    return execute(
        plan,
        service_needs(p.graph, plan) if plan.mode != "parallel" else {},
        prepare(p.workspace, p.config, plan, tasks),
        concurrency=plan.concurrency or os.cpu_count() or 1,
        keep_going=keep_going,
        reporter=reporter,
    )
