"""A run of the generated workflow, simulated from its legs' expected times.

What the plan job uses to choose between shapes of a run (:mod:`cigen.plan.head_start`),
and what ``bench/bench_makespan.py`` measures them with. GitHub's semantics,
as far as they bear on time:

- a job starts once every job it needs has ended; a job with no legs is
  skipped (its ``if:``) and ends when its needs do;
- its legs queue for a pool of ``runners`` (the concurrent jobs the plan
  allows); among jobs ready at the same time, the one listed first in the
  workflow queues first, and a job's legs queue in matrix order;
- a leg holds its runner for ``overhead`` (queue, checkout, toolchain,
  install) plus its expected time (:attr:`cigen.plan.legs.Leg.seconds`);
- a job ends with its last leg.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cigen.plan.legs import Leg
from cigen.plan.stages import Job


@dataclass(frozen=True, slots=True)
class Simulated:
    makespan: float  # seconds from the first leg's queueing to the last job's end
    runner_seconds: float  # what the legs held their runners for, overheads included
    legs: int
    ends: Mapping[str, float]  # when each job ended
    settled: float  # the sum over services of when their leg ended: of two runs as long, the one that reports sooner


def simulate(jobs: Sequence[Job], legs: Mapping[str, Sequence[Leg]], *, runners: int, overhead: float) -> Simulated:
    """The run of ``jobs`` (in workflow order) whose legs are ``legs``, on ``runners`` runners."""
    if runners < 1:
        raise ValueError(f"runners must be at least 1 (got {runners})")
    position = {job.id: i for i, job in enumerate(jobs)}
    waiting = {job.id: len(job.needs) for job in jobs}
    dependents: dict[str, list[str]] = {job.id: [] for job in jobs}
    for job in jobs:
        for need in job.needs:
            dependents[need].append(job.id)
    free = [0.0] * runners  # when each runner is next free
    ready = [(0.0, position[job.id]) for job in jobs if not job.needs]
    heapq.heapify(ready)
    ends: dict[str, float] = {}
    busy = 0.0
    settled = 0.0
    count = 0
    while ready:
        at, index = heapq.heappop(ready)
        job = jobs[index]
        end = at
        for leg in legs.get(job.id, ()):
            start = max(heapq.heappop(free), at)
            took = overhead + leg.seconds
            heapq.heappush(free, start + took)
            end = max(end, start + took)
            settled += (start + took) * len(leg.services)
            busy += took
            count += 1
        ends[job.id] = end
        for later in dependents[job.id]:
            waiting[later] -= 1
            if not waiting[later]:
                heapq.heappush(ready, (max(ends[n] for n in jobs[position[later]].needs), position[later]))
    if len(ends) != len(jobs):
        stuck = sorted(set(position) - set(ends))
        raise ValueError(f"jobs wait for each other in a cycle: {', '.join(stuck)}")
    return Simulated(max(ends.values(), default=0.0), busy, count, ends, settled)
