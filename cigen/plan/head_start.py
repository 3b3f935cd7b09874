"""The head-start job: legs that build what they need themselves instead of waiting for it.

A stage job starts when every job it needs has ended, so a service waits for
the slowest leg of every stage before it, not only for its own dependencies:
a long test of a leaf package holds back every stage after its own, and a
service at the end of a long chain pays a barrier per link. Turborepo and Nx
avoid barriers by running everything in one job; cigen keeps the legs (their
runners run at once) and adds one job, ``stage-0``, that needs nothing but
the plan. A leg of it runs services that nothing in the run depends on, after
building their dependencies itself (``cigen run build`` over them, as a pull
request builds its unaffected dependencies): it starts at once, and no job
waits for it. Those dependencies still run in their own legs, for everything
else; the head-start leg only builds them again, so a run pays for the
head start in runner time, never in correctness.

Which services get one is decided per run, by simulating the run
(:mod:`cigen.plan.simulate`) with the expected times the legs are packed by:
the services that end latest go first, and each moves, alone or into the
head-start leg whose builds it shares most, only where that shortens the run
by more than the runner time it adds, spread over the runners (or, as long,
lets its jobs end sooner by more than that time: a run often ends with
several legs at once, none shorter alone). A move charges the builds their
whole expected time, since a service's time is not split by task: an
estimate on the safe side. At most ``max_legs`` head-start legs, as any job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from cigen.config.workflow import LegsMode
from cigen.plan.legs import Leg, leg_seconds
from cigen.plan.simulate import Simulated, simulate
from cigen.plan.stages import Job, Plan, stage_jobs

HEAD_START = "stage-0"
TRIES = 64  # services tried, latest ending first: a bound on the plan job's time at any size


def workflow_jobs(plan: Plan, legs: LegsMode) -> tuple[Job, ...]:
    """The jobs of the workflow: the plan's stage jobs, after the head-start job where one can help
    (stages that wait for each other, and legs that may batch)."""
    jobs = stage_jobs(plan)
    if plan.mode != "auto" or legs == "service" or not any(job.needs for job in jobs):
        return jobs
    return (Job(HEAD_START, HEAD_START, ()), *jobs)


def head_start(
    jobs: Sequence[Job],
    legs: Mapping[str, Sequence[Leg]],
    dependencies: Mapping[str, Sequence[str]],
    seconds: Mapping[str, float],
    *,
    max_legs: int,
    overhead: float,
    cores: int = 1,
    fixed: Sequence[str] = (),
) -> dict[str, tuple[Leg, ...]]:
    """``legs`` (each job's, from :func:`cigen.plan.legs.plan_legs`) with head-start legs where they shorten
    the run; unchanged when ``jobs`` has no head-start job. ``dependencies``: each planned service's direct
    dependencies among the planned ones, in plan order (:func:`cigen.plan.stages.service_needs`). ``fixed``: services that stay where they are
    (the members of a unit, which run in one leg in their order). The run is simulated on ``max_legs``
    runners, the concurrent jobs a plan of ``max_legs`` legs per job is sized for."""
    result = {job: tuple(job_legs) for job, job_legs in legs.items()}
    if not any(job.id == HEAD_START for job in jobs):
        return result
    return _Mover(jobs, result, dependencies, seconds, max_legs, overhead, cores, set(fixed)).run()


class _Mover:
    def __init__(self, jobs: Sequence[Job], legs: dict[str, tuple[Leg, ...]], dependencies: Mapping[str, Sequence[str]],
                 seconds: Mapping[str, float], max_legs: int, overhead: float, cores: int, fixed: set[str]) -> None:
        self.jobs = jobs
        self.legs = legs
        self.seconds = seconds
        self.max_legs = max_legs
        self.overhead = overhead
        self.cores = cores
        running = [p for job in jobs for leg in legs.get(job.id, ()) for p in leg.services]
        self.rank = {p: i for i, p in enumerate(running)}  # jobs in order, each leg dependencies first
        self.needs = dependencies
        # What each service's build needs built first, directly or not: the services of this run only
        # (nothing else is built anywhere), found through the others too, as the leg matrix's downloads are.
        reach: dict[str, frozenset[str]] = {}
        for p, needed in dependencies.items():  # plan order: dependencies first
            if any(d in dependencies and d not in reach for d in needed):
                raise ValueError(f"dependencies must list each service after its own (not so for {p})")
            reach[p] = frozenset(a for d in needed for a in (d, *reach.get(d, ())))
        self.ancestors = {p: frozenset(a for a in reach.get(p, frozenset()) if a in self.rank) for p in running}
        depended = {a for p in running for a in self.ancestors[p]}
        finish: dict[str, float] = {}  # the longest chain of expected time that ends with each service
        for p in sorted(running, key=self.rank.__getitem__):
            finish[p] = seconds.get(p, 0.0) + max((finish[d] for d in dependencies.get(p, ()) if d in finish),
                                                  default=0.0)
        self.candidates = sorted(
            (p for p in running if p not in depended and p not in fixed and self.ancestors[p]
             and not self.ancestors[p] & fixed),
            key=lambda p: (-finish[p], self.rank[p]),
        )[:TRIES]

    def duration(self, services: Sequence[str]) -> float:
        ordered = sorted(services, key=self.rank.__getitem__)
        return leg_seconds(ordered, self.needs, self.seconds, self.cores)

    def outcome(self, legs: Mapping[str, Sequence[Leg]]) -> Simulated:
        return simulate(self.jobs, legs, runners=self.max_legs, overhead=self.overhead)

    def run(self) -> dict[str, tuple[Leg, ...]]:
        best = self.outcome(self.legs)
        for p in self.candidates:
            trials = self.trials(p)
            if not trials:
                continue
            legs, outcome = min(((t, self.outcome(t)) for t in trials), key=lambda t: (t[1].makespan, t[1].settled))
            added = outcome.runner_seconds - best.runner_seconds
            # Shorter by more than the runner time it adds, spread over the runners; or as long, with jobs
            # ending sooner by more than that time: a run often ends with several legs at once, and moving
            # one of them alone shortens nothing.
            if (outcome.makespan < best.makespan - 1.0 and best.makespan - outcome.makespan > added / self.max_legs) or (
                outcome.makespan <= best.makespan and best.settled - outcome.settled > max(1.0, added)
            ):
                self.legs, best = legs, outcome
        head = self.legs.get(HEAD_START, ())
        # Ids in matrix order, each leg's services and builds in plan order.
        self.legs[HEAD_START] = tuple(
            replace(leg, id=f"{HEAD_START}-{n}") for n, leg in enumerate(head, 1)
        )
        return {job: job_legs for job, job_legs in self.legs.items() if job_legs}

    def trials(self, p: str) -> list[dict[str, tuple[Leg, ...]]]:
        """The run with ``p`` moved out of its leg: into a head-start leg of its own, and into the one
        whose builds hold most of what it needs."""
        home_job, index = next((job, i) for job, job_legs in self.legs.items()
                               for i, leg in enumerate(job_legs) if p in leg.services)
        if home_job == HEAD_START:
            return []
        home = self.legs[home_job][index]
        rest = tuple(q for q in home.services if q != p)
        without = dict(self.legs)
        kept = self.legs[home_job][:index] + self.legs[home_job][index + 1:]
        without[home_job] = kept if not rest else (
            self.legs[home_job][:index] + (replace(home, services=rest, seconds=self.duration(rest)),)
            + self.legs[home_job][index + 1:]
        )
        head = self.legs.get(HEAD_START, ())
        builds = self.ancestors[p]
        trials = []
        if len(head) < self.max_legs:
            trials.append({**without, HEAD_START: (*head, self.leg(len(head), (p,), builds))})
        if head:
            i = max(range(len(head)), key=lambda i: (len(builds & set(head[i].builds)), -i))
            joined = self.leg(i, (*head[i].services, p), builds | set(head[i].builds))
            trials.append({**without, HEAD_START: (*head[:i], joined, *head[i + 1:])})
        return trials

    def leg(self, index: int, services: Sequence[str], builds: frozenset[str] | set[str]) -> Leg:
        ordered = tuple(sorted(services, key=self.rank.__getitem__))
        built = tuple(sorted(builds - set(services), key=self.rank.__getitem__))
        return Leg(f"{HEAD_START}-{index + 1}", ordered, self.duration((*built, *ordered)), built)

