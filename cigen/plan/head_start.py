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
several legs at once, none shorter alone). Where the service's leg was the
longest of its job, the stage jobs are also packed again without it, in the
runners the head-start legs leave (the other legs may have been filled up to
its length with work of the next stage). A move charges the builds their
whole expected time, since a service's time is not split by task: an
estimate on the safe side. At most ``max_legs`` head-start legs, as any job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace

from cigen.config.workflow import LegsMode
from cigen.plan.legs import Leg, leg_seconds
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
        self.rank = {p: i for i, p in enumerate(order)}  # jobs in order, each leg dependencies first
        self.needs = dependencies
        # What each service's build needs built first, directly or not: the services of this run only
        # (nothing else is built anywhere), found through the others too, as the leg matrix's downloads are.
        reach: dict[str, frozenset[str]] = {}
        for p, needed in dependencies.items():  # plan order: dependencies first
            if any(d in dependencies and d not in reach for d in needed):
                raise ValueError(f"dependencies must list each service after its own (not so for {p})")
            reach[p] = frozenset(a for d in needed for a in (d, *reach.get(d, ())))
        self.ancestors = {p: frozenset(a for a in reach.get(p, frozenset()) if a in self.rank) for p in order}
        depended = {a for p in order for a in self.ancestors[p]}
        finish: dict[str, float] = {}  # the longest chain of expected time that ends with each service
        for p in order:
            finish[p] = seconds.get(p, 0.0) + max((finish[d] for d in dependencies.get(p, ()) if d in finish),
                                                  default=0.0)
        self.candidates = sorted(
            (p for p in order if p not in depended and p not in fixed and self.ancestors[p]
             and not self.ancestors[p] & fixed),
            key=lambda p: (-finish[p], self.rank[p]),
        )[:TRIES]

    def duration(self, services: Sequence[str]) -> float:
        ordered = sorted(services, key=self.rank.__getitem__)
        return leg_seconds(ordered, self.needs, self.seconds, self.cores)

    def outcome(self, legs: Mapping[str, Sequence[Leg]]) -> Simulated:
        return simulate(self.jobs, legs, runners=self.max_legs, overhead=self.overhead)

    def better(self, outcome: Simulated, than: Simulated) -> bool:
        """Shorter by more than the runner time it adds, spread over the runners; or as long, with jobs
        ending sooner by more than that time (a run often ends with several legs at once, and moving one
        of them alone shortens nothing)."""
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
        head = self.legs.get(HEAD_START, ())
        self.legs[HEAD_START] = tuple(replace(leg, id=f"{HEAD_START}-{n}") for n, leg in enumerate(head, 1))
        return {job: job_legs for job, job_legs in self.legs.items() if job_legs}

    def trials(self, p: str) -> Iterator[list[dict[str, tuple[Leg, ...]]]]:
        """The run with ``p`` in a head-start leg of its own, else in the one whose builds hold most of what
        it needs: first with the other legs as they are, less ``p``; then, when ``p``'s leg was the longest of
        its job, with the stage jobs packed again without it (other legs may have been filled up to its length
        with work from the next stage, which they could now leave to it)."""
        home_job, index = next((job, i) for job, job_legs in self.legs.items()
                               for i, leg in enumerate(job_legs) if p in leg.services)
        if home_job == HEAD_START:
            return
        home = self.legs[home_job][index]
        rest = tuple(q for q in home.services if q != p)
        kept = self.legs[home_job][:index] + ((replace(home, services=rest, seconds=self.duration(rest)),) if rest else ())
        without = {**self.legs, home_job: kept + self.legs[home_job][index + 1:]}
        yield [{**without, HEAD_START: heads} for heads in self.heads(p)]
        if self.replans and home.seconds >= max(leg.seconds for leg in self.legs[home_job]) - 1.0:
            self.replans -= 1
            yield [{**self.packed(heads), HEAD_START: heads} for heads in self.heads(p)]

    def packed(self, heads: Sequence[Leg]) -> dict[str, tuple[Leg, ...]]:
        """The stage jobs' legs for the running services less those of ``heads``, in the runners they leave."""
        moved = {q for leg in heads for q in leg.services}
        legs = self.pack([q for q in self.running if q not in moved], max(1, self.max_legs - len(heads)))
        return {job: tuple(job_legs) for job, job_legs in legs.items()}

    def heads(self, p: str) -> Iterator[tuple[Leg, ...]]:
        head = self.legs.get(HEAD_START, ())
        builds = self.ancestors[p]
        if len(head) < self.max_legs:
            yield (*head, self.leg(len(head), (p,), builds))
        if head:
            i = max(range(len(head)), key=lambda i: (len(builds & set(head[i].builds)), -i))
            yield (*head[:i], self.leg(i, (*head[i].services, p), builds | set(head[i].builds)), *head[i + 1:])

    def leg(self, index: int, services: Sequence[str], builds: frozenset[str] | set[str]) -> Leg:
        ordered = tuple(sorted(services, key=self.rank.__getitem__))
        built = tuple(sorted(builds - set(services), key=self.rank.__getitem__))
        return Leg(f"{HEAD_START}-{index + 1}", ordered, self.duration((*built, *ordered)), built)
