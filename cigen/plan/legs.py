"""The legs of a run: which services each matrix leg of each stage job runs.

The workflow's jobs are fixed when it is generated (:func:`cigen.plan.stages.stage_jobs`);
what each job runs is decided per run, by the plan job, for the services that
run has to run. A leg pays a fixed overhead (a runner, checkout, toolchain,
install), then runs its services one after another in dependency order
through ``cigen run``; a job ends when its slowest leg does, and every job
that needs it waits for that.

- ``service``: a leg per service, in its stage's job (what cigen did first).
- ``batch``: *phases* of consecutive jobs, each phase run by the legs of its
  first job; the later jobs of a phase have nothing to do and are skipped.
  A phase may take in the next job when every dependency of that job's
  services is in the phase or in a job the phase's first job waits for, and
  when the estimate says one barrier less gains more than the serial work it
  adds. Within a phase the services fall into groups that share no
  dependency inside the phase (connected components); the groups are packed
  into at most ``max_legs`` legs, longest first onto the least loaded leg
  (LPT), so that the legs end together. Then a leg that ends before its
  phase does takes in services of the next phase that need nothing but what
  ran before the phase or in that leg, as long as the phase ends no later:
  they need not wait at the barrier.
- ``auto``: a leg per service while that is as fast (by the same estimate)
  and no job needs more than ``max_legs`` legs; batches above.

A unit of ``plan.cycles: units`` is one item in every mode, as a service is:
its members run in one leg, in the unit's order, and it weighs the sum of
their expected durations. Everything above reads "service" as such an item.

A leg runs its services through ``cigen run``, as many at once as the
runner has ``cores`` (a service once those it needs in the leg ended,
earlier in the plan first: :func:`leg_seconds`); a leg's expected time, and
so a phase's, is that schedule's. With one core a leg's time is the sum of
its services', and a chain of stages costs a barrier each; with more, one
leg may run a whole connected part of the graph near its critical path, and
merging phases pays where it did not.

Expected durations come from the caller (the times of earlier runs, else a
size proxy: :mod:`cigen.app.timings`); they only decide the shape, so a wrong
guess costs time, never correctness.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from cigen.config.workflow import LegsMode
from cigen.plan.ordering import Unit, blocks
from cigen.plan.stages import Job, Plan

OVERHEAD = 60.0  # seconds a leg spends before its first task: queue, checkout, toolchain, install


@dataclass(frozen=True, slots=True)
class Leg:
    id: str  # "<job id>-<n>", n from 1 in the job
    services: tuple[str, ...]  # member paths in plan order: dependencies first
    seconds: float  # its expected time, overhead aside (its services run as cigen run runs them: leg_seconds)
    again: tuple[str, ...] = ()  # dependencies it runs first itself, though other legs run them (cigen.plan.head_start)


@dataclass(frozen=True, slots=True)
class _Phase:
    first: int  # index of the job whose legs run it
    services: list[str]
    single: bool = False  # a leg per service


def plan_legs(
    jobs: Sequence[Job],
    dependencies: Mapping[str, Sequence[str]],
    running: Sequence[str],
    seconds: Mapping[str, float],
    *,
    mode: LegsMode = "auto",
    max_legs: int = 20,
    overhead: float = OVERHEAD,
    units: Sequence[Unit] = (),
    cores: int = 1,
) -> dict[str, tuple[Leg, ...]]:
    """The legs of every job (none for a job with nothing to run) for the ``running`` services.

    ``dependencies``: each planned service's direct dependencies among the
    planned ones. ``running`` may hold services of any job; the result keeps
    the plan's order (each job's order) inside every leg. ``units``: the
    plan's (:attr:`cigen.plan.stages.Plan.units`), each kept in one leg.
    ``cores``: the services a leg's ``cigen run`` runs at once (the runner's CPUs).
    """
    if max_legs < 1:
        raise ValueError(f"max_legs must be at least 1 (got {max_legs})")
    if cores < 1:
        raise ValueError(f"cores must be at least 1 (got {cores})")
    items = _Items(units, jobs, dependencies, running, seconds)
    model = _Model(items.jobs, items.dependencies, items.running, items.seconds, max_legs, overhead, cores)
    if mode == "service":
        return items.expand(model.legs(model.per_service()))
    batched = model.batched()
    if mode == "auto":
        single = model.per_service()
        if all(len(p.services) <= max_legs for p in single) and model.estimate(single) <= model.estimate(batched):
            return items.expand(model.legs(single))
    return items.expand(model.legs(batched))


class _Items:
    """The run's services as the items legs are made of: a unit becomes its first running member, which
    stands for all of them (their dependencies outside it, the sum of their durations) until expanded."""

    def __init__(self, units: Sequence[Unit], jobs: Sequence[Job], dependencies: Mapping[str, Sequence[str]],
                 running: Sequence[str], seconds: Mapping[str, float]) -> None:
        self.seconds = seconds
        if not units:
            self.jobs, self.dependencies, self.running = jobs, dependencies, running
            self.members: dict[str, tuple[str, ...]] = {}
            return
        order = [p for job in jobs for p in job.services]
        chosen = set(running)
        self.members = {block[0]: block for block in blocks(units, (p for p in order if p in chosen))
                        if len(block) > 1}
        head = {m: first for first, block in self.members.items() for m in block}
        self.running = [p for p in running if head.get(p, p) == p]
        self.jobs = [replace(job, services=tuple(p for p in job.services if head.get(p, p) == p)) for job in jobs]
        self.dependencies = {
            p: tuple(dict.fromkeys(head.get(d, d) for m in self.members.get(p, (p,))
                                   for d in dependencies.get(m, ()) if head.get(d, d) != p))
            for p in dependencies if head.get(p, p) == p
        }
        self.seconds = {**seconds, **{first: sum(seconds.get(m, 0.0) for m in block)
                                      for first, block in self.members.items()}}

    def expand(self, legs: dict[str, tuple[Leg, ...]]) -> dict[str, tuple[Leg, ...]]:
        if not self.members:
            return legs
        return {job: tuple(replace(leg, services=tuple(m for p in leg.services for m in self.members.get(p, (p,))))
                           for leg in job_legs)
                for job, job_legs in legs.items()}


def leg_cores(plan: Plan, cpus: int) -> int:
    """The services a leg's ``cigen run`` runs at once on a runner with ``cpus`` CPUs: one in a cascade, the
    plan's concurrency where it sets one, else a service per CPU (:func:`cigen.app.run.run`)."""
    if plan.mode == "cascade":
        return 1
    return max(1, plan.concurrency or cpus)


def leg_seconds(services: Sequence[str], dependencies: Mapping[str, Sequence[str]], seconds: Mapping[str, float],
                cores: int = 1) -> float:
    """How long ``cigen run`` takes over ``services`` (in plan order) on ``cores`` CPUs, overhead aside: each
    service starts once those it needs among them ended and a core is free, the earliest in the plan first
    (:mod:`cigen.executor.schedule`'s auto mode), and takes its expected time."""
    if cores == 1 or len(services) == 1:
        return sum(seconds.get(p, 0.0) for p in services)
    position = {p: i for i, p in enumerate(services)}
    waiting = {p: 0 for p in services}
    dependents: dict[str, list[str]] = {p: [] for p in services}
    for p in services:
        for d in dependencies.get(p, ()):
            if d in position:
                waiting[p] += 1
                dependents[d].append(p)
    ready = [position[p] for p in services if not waiting[p]]
    heapq.heapify(ready)
    running: list[tuple[float, int]] = []
    now = 0.0
    while ready or running:
        while ready and len(running) < cores:
            i = heapq.heappop(ready)
            heapq.heappush(running, (now + seconds.get(services[i], 0.0), i))
        now, i = heapq.heappop(running)
        for q in dependents[services[i]]:
            waiting[q] -= 1
            if not waiting[q]:
                heapq.heappush(ready, position[q])
    return now


class _Model:
    def __init__(self, jobs: Sequence[Job], dependencies: Mapping[str, Sequence[str]], running: Sequence[str],
                 seconds: Mapping[str, float], max_legs: int, overhead: float, cores: int) -> None:
        self.jobs = list(jobs)
        self.dependencies = dependencies
        self.seconds = seconds
        self.max_legs = max_legs
        self.overhead = overhead
        self.cores = cores
        chosen = set(running)
        self.running = [[p for p in job.services if p in chosen] for job in self.jobs]
        self.position = {p: i for i, job in enumerate(self.jobs) for p in job.services}
        self.rank = {p: i for i, p in enumerate(p for job in self.jobs for p in job.services)}
        index = {job.id: i for i, job in enumerate(self.jobs)}
        # The jobs each job waits for, directly or not: a job's needs come before it.
        self.closure: list[frozenset[int]] = []
        for job in self.jobs:
            needed: set[int] = set()
            for need in job.needs:
                needed.add(index[need])
                needed |= self.closure[index[need]]
            self.closure.append(frozenset(needed))

    def per_service(self) -> list[_Phase]:
        return [_Phase(i, services, single=True) for i, services in enumerate(self.running) if services]

    def batched(self) -> list[_Phase]:
        phases: list[_Phase] = []
        current: _Phase | None = None
        cost = 0.0
        for k, services in enumerate(self.running):
            if not services:
                continue
            if current is not None and self.closure[k] <= self.closure[current.first] | set(range(current.first, k)):
                merged = current.services + services
                merged_cost = self.cost(merged)
                if merged_cost <= cost + self.cost(services):
                    current = _Phase(current.first, merged)
                    cost = merged_cost
                    continue
            if current is not None:
                phases.append(current)
            current, cost = _Phase(k, list(services)), self.cost(services)
        if current is not None:
            phases.append(current)
        return phases

    def groups(self, services: Sequence[str]) -> list[tuple[float, list[str]]]:
        """The services' connected components through their dependencies among them, with their work."""
        parent = {p: p for p in services}

        def find(p: str) -> str:
            while parent[p] != p:
                parent[p] = parent[parent[p]]
                p = parent[p]
            return p

        for p in services:
            for d in self.dependencies.get(p, ()):
                if d in parent:
                    a, b = find(p), find(d)
                    if a != b:
                        parent[a] = b
        members: dict[str, list[str]] = {}
        for p in services:
            members.setdefault(find(p), []).append(p)
        return [(sum(self.seconds.get(p, 0.0) for p in group), group) for group in members.values()]

    def pack(self, services: Sequence[str], single: bool = False) -> list[tuple[float, list[str]]]:
        """LPT: the groups, longest first, each onto the least loaded of at most ``max_legs`` legs
        (``single``: a leg per service)."""
        if single:
            return [(self.seconds.get(p, 0.0), [p]) for p in services]
        groups = sorted(self.groups(services), key=lambda g: (-g[0], self.position[g[1][0]]))
        count = min(self.max_legs, len(groups))
        heap = [(0.0, i) for i in range(count)]
        legs: list[tuple[float, list[str]]] = [(0.0, []) for _ in range(count)]
        for work, group in groups:
            load, i = heapq.heappop(heap)
            legs[i] = (load + work, legs[i][1] + group)
            heapq.heappush(heap, (load + work, i))
        return [leg for leg in legs if leg[1]]

    def duration(self, leg: Sequence[str]) -> float:
        """A leg's expected time, overhead aside."""
        if self.cores == 1:
            return sum(self.seconds.get(p, 0.0) for p in leg)
        return leg_seconds(sorted(leg, key=self.rank.__getitem__), self.dependencies, self.seconds, self.cores)

    def cost(self, services: Sequence[str], single: bool = False) -> float:
        """The expected time of a phase: the overhead, then its slowest leg."""
        return self.overhead + max(self.duration(group) for _, group in self.pack(services, single))

    def estimate(self, phases: Sequence[_Phase]) -> float:
        """The run's expected makespan when its phases run one after another (an upper estimate)."""
        return sum(self.cost(phase.services, phase.single) for phase in phases)

    def filled(self, phases: Sequence[_Phase]) -> list[tuple[int, list[list[str]]]]:
        """Each phase's legs (its first job, the services of each leg), after pulling into them the
        next phase's services that can run there without making the phase longer: a service whose
        dependencies ran before the phase, or in one leg of it, need not wait at the barrier."""
        packed = [(phase.first, [group for _, group in self.pack(phase.services, phase.single)]) for phase in phases]
        if any(phase.single for phase in phases):
            return packed
        where = {p: (i, n) for i, (_, legs) in enumerate(packed) for n, leg in enumerate(legs) for p in leg}
        for i in range(len(packed) - 1):
            first, legs = packed[i]
            later, next_legs = packed[i + 1]
            if any(first not in self.closure[f] for f, _ in packed[i + 1:]):
                continue  # what stays behind would not wait for what moved
            loads = [self.duration(leg) for leg in legs]
            limit = max(loads)
            for p in sorted((p for leg in next_legs for p in leg), key=lambda p: -self.seconds.get(p, 0.0)):
                target: int | None = None
                fits = True
                for d in self.dependencies.get(p, ()):
                    if d not in where:
                        continue  # not in this run
                    phase, n = where[d]
                    if phase == i and (target is None or target == n):
                        target = n
                    elif not (phase < i and packed[phase][0] in self.closure[first] | {first}):
                        fits = False
                        break
                if not fits:
                    continue
                n = target if target is not None else min(range(len(legs)), key=loads.__getitem__)
                load = loads[n] + self.seconds.get(p, 0.0) if self.cores == 1 else self.duration([*legs[n], p])
                if load > limit:
                    continue
                legs[n].append(p)
                loads[n] = load
                where[p] = (i, n)
            packed[i + 1] = (later, [[p for p in leg if where[p][0] == i + 1] for leg in next_legs])
        return [(first, [leg for leg in legs if leg]) for first, legs in packed if any(legs)]

    def legs(self, phases: Sequence[_Phase]) -> dict[str, tuple[Leg, ...]]:
        result: dict[str, tuple[Leg, ...]] = {}
        for first, groups in self.filled(phases):
            job = self.jobs[first].id
            # Legs in the order of their first service, each leg's services in plan order.
            ordered = sorted((sorted(group, key=self.position.__getitem__) for group in groups),
                             key=lambda group: self.position[group[0]])
            result[job] = tuple(
                Leg(f"{job}-{n}", tuple(group), self.duration(group)) for n, group in enumerate(ordered, 1)
            )
        return result
