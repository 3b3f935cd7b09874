"""What ``cigen run`` may start now, given what has finished: the plan's modes as decisions.

Pure: no processes, no clocks, no output. The executor asks
:meth:`Scheduler.start` which services to start, tells :meth:`Scheduler.finish`
how each ended, and reads :meth:`Scheduler.outcomes` when :attr:`Scheduler.done`.

- ``cascade``: one service at a time, in plan order; the first failure stops
  the run.
- ``parallel``: every service, at most ``limit`` at once, in plan order,
  whatever the others did: every result is collected.
- ``auto``: a service starts as soon as every service it needs has passed
  (per service, not stage by stage: a slow branch never holds back a fast
  one), at most ``limit`` at once. A failure means its dependents do not
  run, and no new service starts.

Which ready service takes a free slot: with ``expected`` seconds per service
(earlier runs' times, :mod:`cigen.executor.history`), the one with the
longest remaining path, its own time plus the longest chain of dependents
after it: critical path first, the list-scheduling rule whose makespan
stays closest to ``max(critical path, work / limit)`` (in ``parallel``, with
no dependents, simply the longest first). Ties, and every choice when nothing
is expected (a first run) or in a cascade, go to the earlier in the plan.

``keep_going`` (``--continue``) keeps a failure from stopping the run in
cascade and auto: services that do not depend on a failed one still run;
those that do never run.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from cigen.plan.stages import Plan

Why = Literal["dependency", "stopped", "interrupted"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a service ended: passed, failed, or not run (why, and which failure is behind it)."""

    status: Literal["passed", "failed", "not run"]
    why: Why | None = None
    failed: str | None = None  # "dependency": the failed service it (transitively) needs; "stopped": the failure that stopped the run


class Scheduler:
    """The state of one run: who waits, who runs, how each finished one ended."""

    def __init__(
        self,
        order: Iterable[str],
        needs: Mapping[str, Iterable[str]],
        *,
        limit: int | None,
        gated: bool,
        stop_on_failure: bool,
        expected: Mapping[str, float] | None = None,
    ) -> None:
        """``order``: the services, earliest first; ``needs``: what each waits for when ``gated``;
        ``expected``: seconds per service, to start the longest remaining path first (none: plan order)."""
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1 (got {limit})")
        self._order = list(order)
        self._position = {path: i for i, path in enumerate(self._order)}
        self._dependents: dict[str, list[str]] = {p: [] for p in self._order}
        self._unmet: dict[str, int] = {}  # needs not passed yet, per waiting service
        for path in self._order:
            wanted = {n for n in needs.get(path, ()) if n in self._position} if gated else set()
            self._unmet[path] = len(wanted)
            for need in wanted:
                self._dependents[need].append(path)
        self._rank = _ranks(self._order, self._dependents, expected)
        # Waiting services whose needs have all passed, best rank first.
        self._ready = [self._rank[p] for p in self._order if self._unmet[p] == 0]
        heapq.heapify(self._ready)
        self._limit = limit
        self._stop_on_failure = stop_on_failure
        self._running: set[str] = set()
        self._ended: dict[str, Outcome] = {}
        self._stopped_by: str | None = None
        self._interrupted = False

    @classmethod
    def for_plan(
        cls, plan: Plan, needs: Mapping[str, Iterable[str]], *, limit: int | None, keep_going: bool,
        expected: Mapping[str, float] | None = None,
    ) -> Scheduler:
        """The scheduler of ``plan``'s mode; ``needs`` from :func:`cigen.plan.stages.service_needs`."""
        if plan.mode == "parallel":
            return cls(plan.services, {}, limit=limit, gated=False, stop_on_failure=False, expected=expected)
        if plan.mode == "cascade":  # one at a time, in the plan's order, as documented
            return cls(plan.services, needs, limit=1, gated=True, stop_on_failure=not keep_going)
        return cls(plan.services, needs, limit=limit, gated=True, stop_on_failure=not keep_going, expected=expected)

    @property
    def running(self) -> frozenset[str]:
        return frozenset(self._running)

    @property
    def done(self) -> bool:
        """Nothing runs and nothing more may start."""
        return not self._running and (self._halted or not self._ready)

    def start(self) -> list[str]:
        """The services to start now, earliest first; each counts as running until :meth:`finish`."""
        if self._halted:
            return []
        chosen: list[str] = []
        while self._ready and (self._limit is None or len(self._running) < self._limit):
            path = self._order[heapq.heappop(self._ready)[-1]]
            self._running.add(path)
            chosen.append(path)
        return chosen

    def finish(self, path: str, ok: bool) -> list[str]:
        """Record how ``path`` ended; the services that will now never run because of it, in plan order."""
        self._running.remove(path)
        if ok:
            self._ended[path] = Outcome("passed")
            for dependent in self._dependents[path]:
                self._unmet[dependent] -= 1
                if self._unmet[dependent] == 0 and dependent not in self._ended:
                    heapq.heappush(self._ready, self._rank[dependent])
            return []
        self._ended[path] = Outcome("failed")
        if self._stop_on_failure and self._stopped_by is None:
            self._stopped_by = path
        return self._block_dependents(path)

    def interrupt(self) -> None:
        """Start nothing more (Ctrl-C): what runs is the executor's to stop, and to tell how it ended."""
        self._interrupted = True

    def outcomes(self) -> dict[str, Outcome]:
        """Every service's outcome in plan order, but those still running (the executor knows how they end).

        Those never started are not run: stopped by a failure, or interrupted.
        """
        result: dict[str, Outcome] = {}
        for path in self._order:
            if path in self._ended:
                result[path] = self._ended[path]
            elif path in self._running:
                continue
            elif self._interrupted:
                result[path] = Outcome("not run", "interrupted")
            else:
                result[path] = Outcome("not run", "stopped", self._stopped_by)
        return result

    @property
    def _halted(self) -> bool:
        return self._interrupted or self._stopped_by is not None

    def _block_dependents(self, failed: str) -> list[str]:
        """Every service that needs ``failed``, directly or not, will not run.

        A dependent never became ready (one of its needs has not passed), so
        none of them is running or in the ready heap.
        """
        blocked: list[str] = []
        stack = list(self._dependents[failed])
        while stack:
            path = stack.pop()
            if path in self._ended:
                continue
            self._ended[path] = Outcome("not run", "dependency", failed)
            blocked.append(path)
            stack.extend(self._dependents[path])
        return sorted(blocked, key=self._position.__getitem__)


def _ranks(order: list[str], dependents: Mapping[str, list[str]],
           expected: Mapping[str, float] | None) -> dict[str, tuple[float, int]]:
    """Each service's place in the ready heap: (minus its longest remaining path, its plan position).

    A service ``expected`` does not know (new since the last run) counts as the
    median of those it knows. Dependents come later in ``order`` (the plan is
    topological), so one pass from the end sees each service's dependents first.
    """
    if not expected:
        return {path: (0.0, i) for i, path in enumerate(order)}
    typical = statistics.median([expected[p] for p in order if p in expected] or [0.0])
    remaining: dict[str, float] = {}
    for path in reversed(order):
        after = max((remaining[d] for d in dependents[path] if d in remaining), default=0.0)
        remaining[path] = expected.get(path, typical) + after
    return {path: (-remaining[path], i) for i, path in enumerate(order)}
