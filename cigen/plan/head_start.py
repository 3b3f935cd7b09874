"""The head-start job: legs that run what they need themselves instead of waiting for it.

A stage job starts when every job it needs has ended, so a service waits for
the slowest leg of every stage before it, not only for its own dependencies:
a long test of a leaf package holds back every stage after its own, and a
service at the end of a long chain pays a barrier per link. Turborepo and Nx
avoid barriers by running everything in one job; cigen keeps the legs (their
runners run at once) and adds one job, ``stage-0``, that needs nothing but
the plan. A leg of it runs a service with everything in the run that depends
on it, after running their other dependencies itself, in the same ``cigen
run`` and as the run asks of them (every task, or only the build of a pull
request's unaffected dependencies): it starts at once, and no job waits for
it. A dependency that fails there stops its dependents there, as it would
in its own leg. Those dependencies still run in their own legs, for
everything else, so a run pays for a head start in runner time, never in
what it checks.

Which services get one is decided per run, by simulating the run
(:mod:`cigen.plan.simulate`) with the expected times the legs are packed by:
the services on the longest chains go first, and each moves (with its
dependents), into a leg of its own or the head-start leg that runs most of
what it needs, only where that shortens the run by more than the runner
time it adds, spread over the runners (or, as long, has its services report
sooner, summed, by more than that time: a run often ends with several legs
at once, none shorter alone). Where a moved service's leg was the longest of
its job, the stage jobs are also packed again without it, in the runners the
head-start legs leave (the other legs may have been filled up to its length
with work of the next stage). At most ``max_legs`` head-start legs, as any job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace

from cigen.config.workflow import LegsMode
from cigen.plan.legs import OVERHEAD, Leg, leg_seconds, plan_legs
from cigen.plan.ordering import Unit
from cigen.plan.simulate import Simulated, simulate
from cigen.plan.stages import Job, Plan, stage_jobs

HEAD_START = "stage-0"
TRIES = 64  # services tried, latest ending first: a bound on the plan job's time at any size
REPLANS = 8  # trials that pack the stage jobs again (each as long as packing them once)


def workflow_jobs(plan: Plan, legs: LegsMode) -> tuple[Job, ...]:
    """The jobs of the workflow: the plan's stage jobs, after the head-start job where one can help
    (stages that wait for each other, and legs that may batch)."""
    jobs = stage_jobs(plan)
    if plan.mode != "auto" or legs == "service" or not any(job.needs for job in jobs):
        return jobs
    return (Job(HEAD_START, HEAD_START, ()), *jobs)


Pack = Callable[[Sequence[str], int], Mapping[str, Sequence[Leg]]]  # services, legs per job -> legs


def stage_packer(jobs: Sequence[Job], dependencies: Mapping[str, Sequence[str]], seconds: Mapping[str, float], *,
                 mode: LegsMode, units: Sequence[Unit] = (), overhead: float = OVERHEAD, cores: int = 1) -> Pack:
    """How the plan job packs the stage jobs of ``jobs`` (:func:`cigen.plan.legs.plan_legs`), for :func:`head_start`."""
    stages = [job for job in jobs if job.id != HEAD_START]
    return lambda running, max_legs: plan_legs(stages, dependencies, running, seconds, mode=mode, max_legs=max_legs,
                                               overhead=overhead, units=units, cores=cores)


def head_start(
    jobs: Sequence[Job],
    pack: Pack,
    running: Sequence[str],
    dependencies: Mapping[str, Sequence[str]],
    seconds: Mapping[str, float],
    *,
    max_legs: int,
    overhead: float,
    cores: int = 1,
    fixed: Sequence[str] = (),
) -> dict[str, tuple[Leg, ...]]:
    """The legs of every job for the ``running`` services: ``pack``'s legs of the stage jobs (given the
    services they run and the legs a job may have: :func:`cigen.plan.legs.plan_legs`), and head-start legs
    where they shorten the run.

    ``jobs``: the workflow's (:func:`workflow_jobs`); without a head-start job this is ``pack(running)``.
    ``dependencies``: each planned service's direct dependencies among the planned ones, in plan order
    (:func:`cigen.plan.stages.service_needs`). ``fixed``: services that stay in the stage jobs (the members
    of a unit, which run in one leg in their order). The run is simulated on ``max_legs`` runners, the
    concurrent jobs a plan of ``max_legs`` legs per job is sized for.
    """
    legs = {job: tuple(job_legs) for job, job_legs in pack(running, max_legs).items() if job_legs}
    if not any(job.id == HEAD_START for job in jobs):
        return legs
    return _Mover(jobs, pack, running, legs, dependencies, seconds, max_legs, overhead, cores, set(fixed)).run()


class _Mover:
    def __init__(self, jobs: Sequence[Job], pack: Pack, running: Sequence[str], legs: dict[str, tuple[Leg, ...]],
                 dependencies: Mapping[str, Sequence[str]], seconds: Mapping[str, float], max_legs: int,
                 overhead: float, cores: int, fixed: set[str]) -> None:
        self.jobs = jobs
        self.pack = pack
        self.running = running
        self.legs = legs
        self.seconds = seconds
        self.max_legs = max_legs
        self.overhead = overhead
        self.cores = cores
        self.replans = REPLANS
        order = [p for job in jobs for leg in legs.get(job.id, ()) for p in leg.services]
        # Plan order, the order cigen run starts ready services in on a runner with no earlier times.
        planned = {p: i for i, p in enumerate(dependencies)}
        self.rank = {p: planned.get(p, len(planned) + i) for i, p in enumerate(order)}
        self.needs = dependencies
        # What each service needs run first, directly or not: the services of this run only (nothing else
        # runs anywhere), found through the others too, as the leg matrix's downloads are.
        reach: dict[str, frozenset[str]] = {}
        for p, needed in dependencies.items():  # plan order: dependencies first
            if any(d in dependencies and d not in reach for d in needed):
                raise ValueError(f"dependencies must list each service after its own (not so for {p})")
            reach[p] = frozenset(a for d in needed for a in (d, *reach.get(d, ())))
        self.ancestors = {p: frozenset(a for a in reach.get(p, frozenset()) if a in self.rank) for p in order}
        below: dict[str, set[str]] = {p: set() for p in order}  # what depends on each, directly or not
        for p in order:
            for a in self.ancestors[p]:
                below[a].add(p)
        # A service moves with everything that depends on it, so that no job need wait for the head start.
        self.group = {p: tuple(sorted({p, *below[p]}, key=self.rank.__getitem__)) for p in order}
        # The longest chain of expected time through each service: what it waits for, itself, what waits
        # for it (services this run does not run count for nothing).
        took = {p: seconds.get(p, 0.0) if p in self.rank else 0.0 for p in dependencies}
        ahead: dict[str, float] = {}
        for p, needed in dependencies.items():
            ahead[p] = took[p] + max((ahead[d] for d in needed if d in ahead), default=0.0)
        dependents: dict[str, list[str]] = {p: [] for p in dependencies}
        for p, needed in dependencies.items():
            for d in needed:
                dependents.setdefault(d, []).append(p)
        behind: dict[str, float] = {}
        for p in reversed(list(dependencies)):
            behind[p] = took[p] + max((behind[q] for q in dependents[p]), default=0.0)
        through = {p: ahead.get(p, 0.0) + behind.get(p, 0.0) - took.get(p, 0.0) for p in order}
        self.candidates = sorted(
            (p for p in order if (self.ancestors[p] or below[p]) and len(self.group[p]) <= len(order) // 2
             and not (set(self.group[p]) | self.ancestors[p]) & fixed),
            key=lambda p: (-through[p], self.rank[p]),
        )[:TRIES]

    def duration(self, services: Sequence[str]) -> float:
        ordered = sorted(services, key=self.rank.__getitem__)
        return leg_seconds(ordered, self.needs, self.seconds, self.cores)

    def outcome(self, legs: Mapping[str, Sequence[Leg]]) -> Simulated:
        return simulate(self.jobs, legs, runners=self.max_legs, overhead=self.overhead)

    def better(self, outcome: Simulated, than: Simulated) -> bool:
        """Shorter by more than the runner time it adds, spread over the runners; or as long, with the
        services reporting sooner (summed) by more than that time (a run often ends with several legs at
        once, and moving one of them alone shortens nothing)."""
        added = outcome.runner_seconds - than.runner_seconds
        gain = than.makespan - outcome.makespan
        return (gain > 1.0 and gain > added / self.max_legs) or (
            gain >= 0.0 and than.settled - outcome.settled > max(1.0, added))

    def run(self) -> dict[str, tuple[Leg, ...]]:
        best = self.outcome(self.legs)
        for p in self.candidates:
            scored = [(trial, self.outcome(trial)) for trials in self.trials(p) for trial in trials]
            good = [(trial, outcome) for trial, outcome in scored if self.better(outcome, best)]
            if good:
                self.legs, best = min(good, key=lambda t: (t[1].makespan, t[1].settled))
        # Ids numbered from 1 again in every job that gave up or gained legs.
        return {job: tuple(replace(leg, id=f"{job}-{n}") for n, leg in enumerate(job_legs, 1))
                for job, job_legs in self.legs.items() if job_legs}

    def trials(self, p: str) -> Iterator[list[dict[str, tuple[Leg, ...]]]]:
        """The run with ``p`` and what depends on it in a head-start leg of their own, else in the one that
        runs most of what they need: first with the other legs as they are, less those services; then,
        when one of them had the longest leg of its job, with the stage jobs packed again without them (other
        legs may have been filled up to its length with work of the next stage, which they could now leave)."""
        group = set(self.group[p])
        if any(group & set(leg.services) for leg in self.legs.get(HEAD_START, ())):
            return
        without: dict[str, tuple[Leg, ...]] = {}
        longest = False
        for job, job_legs in self.legs.items():
            kept = []
            for leg in job_legs:
                rest = tuple(q for q in leg.services if q not in group)
                if len(rest) == len(leg.services):
                    kept.append(leg)
                    continue
                longest = longest or leg.seconds >= max(other.seconds for other in job_legs) - 1.0
                if rest:
                    kept.append(replace(leg, services=rest, seconds=self.duration(rest)))
            without[job] = tuple(kept)
        yield [{**without, HEAD_START: heads} for heads in self.heads(group)]
        if self.replans and longest:
            self.replans -= 1
            yield [{**self.packed(heads), HEAD_START: heads} for heads in self.heads(group)]

    def packed(self, heads: Sequence[Leg]) -> dict[str, tuple[Leg, ...]]:
        """The stage jobs' legs for the running services less those of ``heads``, in the runners they leave."""
        moved = {q for leg in heads for q in leg.services}
        legs = self.pack([q for q in self.running if q not in moved], max(1, self.max_legs - len(heads)))
        return {job: tuple(job_legs) for job, job_legs in legs.items()}

    def heads(self, group: set[str]) -> Iterator[tuple[Leg, ...]]:
        head = self.legs.get(HEAD_START, ())
        needed = {a for q in group for a in self.ancestors[q]} - group
        if len(head) < self.max_legs:
            yield (*head, self.leg(len(head), group, needed))
        if head:
            i = max(range(len(head)), key=lambda i: (len(needed & set(head[i].again)), -i))
            yield (*head[:i], self.leg(i, group | set(head[i].services), needed | set(head[i].again)), *head[i + 1:])

    def leg(self, index: int, services: set[str], needed: set[str]) -> Leg:
        ordered = tuple(sorted(services, key=self.rank.__getitem__))
        again = tuple(sorted(needed - services, key=self.rank.__getitem__))
        # One cigen run over both (cigen.render.leg_action): a dependency's own time counts whole.
        return Leg(f"{HEAD_START}-{index + 1}", ordered, self.duration((*again, *ordered)), again)
