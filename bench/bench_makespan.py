#!/usr/bin/env python3
"""Simulate a run of the generated workflow: makespan and runner-minutes of three ways to run a monorepo's CI.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_makespan.py [--runners 20] [--overhead 60] [--seed 1] [--cache DIR]

For each graph (the shop, withastro/astro from ../shared/corpus, synthetic
monorepos of 1,000 and 5,000 packages from ../shared/tools/synth_monorepo.py)
it generates the workflow in process and simulates a run of it where every
service runs:

- the jobs, their ``needs`` and their matrices come from the generated
  workflow and from the plan job's outputs (:func:`cigen.plan.legs.plan_legs`,
  what ``cigen affected --format github`` writes); a job whose list is empty
  is skipped (its ``if:``), costing nothing;
- a pool of R runners; a leg waits for a free runner, pays a fixed overhead
  (queue, checkout, toolchain, install), then runs its services one after
  another (``--leg-cores N``: as ``cigen run`` in the leg runs them, up to N
  at once as their dependencies inside the leg allow, earliest in the plan
  first); a job ends with its last leg;
- per-service durations are heavy-tailed and seeded: lognormal, median 20 s,
  sigma 1.0 (a few services take minutes, most seconds).

Three ways, on the same durations:

(a) ``legs: service``: a leg per service, in its stage's job (cigen before issue 12);
(b) the default, ``legs: auto``, packed by the timings of an earlier run (the durations),
    with the head-start legs the plan job adds where the simulated run says they pay
    (:mod:`cigen.plan.head_start`; a leg's time there includes the builds it makes itself);
    (b0) is its first run, with no timings (every service expected to take the same);
(c) one job running everything on a 4-core runner, in dependency order, longest
    path first (what Turborepo and Nx document for CI).

The plan and gate jobs are the same in (a) and (b) and absent from (c): they
are left out. The lower bound is max(critical path + one overhead,
(total work + one overhead) / R); with ``--leg-cores N`` a runner does N
services' work at once, and the second term is (total work / N + one
overhead) / R. Targets for (b): makespan within 1.25x the lower bound,
runner-minutes within 1.5x the total work plus one overhead per runner it uses.

Faithful to the generated workflow: the jobs and their ``needs`` are read
from the rendered workflow, the legs are what the plan job computes, and the
run is :func:`cigen.plan.simulate.simulate`, the model the plan job chooses
head starts by: a job with no legs ends when its needs do (its ``if:`` skips
it: ``!cancelled()`` lets it run after skipped needs), jobs ready at once
queue in file order.
A leg's ``cigen run`` runs as many services at once as the runner has
cores; the plan job, on the same kind of runner, packs the legs for that
many (:func:`cigen.plan.legs.leg_seconds`), and so does the simulation with
``--leg-cores``. The default, one, is the issue's model: a leg runs one
service at a time.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cigen.app.generate import build_model  # noqa: E402
from cigen.config.loader import load_config  # noqa: E402
from cigen.config.workflow import LegsMode  # noqa: E402
from cigen.discovery import discover  # noqa: E402
from cigen.graph.graph import build_graph  # noqa: E402
from cigen.plan.head_start import head_start, stage_packer  # noqa: E402
from cigen.plan.legs import Leg, leg_seconds  # noqa: E402
from cigen.plan.simulate import simulate  # noqa: E402
from cigen.plan.stages import Job, service_needs  # noqa: E402
from cigen.render.workflow import render_workflow  # noqa: E402

# ../shared next to the checkout (a worktree: further up).
SHARED = next((d / "shared" for d in ROOT.parents if (d / "shared" / "corpus").is_dir()), ROOT.parent / "shared")
CORES = 4  # the single job of (c)


@dataclass(frozen=True)
class Outcome:
    makespan: float  # seconds
    runner_seconds: float
    legs: int


def durations(paths: Sequence[str], seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    return {p: rng.lognormvariate(math.log(20.0), 1.0) for p in paths}


def simulate_legs(jobs: Sequence[Job], legs: Mapping[str, Sequence[Leg]], seconds: Mapping[str, float],
                  runners: int, overhead: float, needs: Mapping[str, Sequence[str]], cores: int = 1) -> Outcome:
    """The run as :func:`cigen.plan.simulate.simulate` models GitHub's, each leg timed by the actual durations
    (one cigen run over what it runs again and its services, on ``cores``), not by the plan's expectation."""
    rank = {p: i for i, p in enumerate(needs)}  # plan order

    def took(leg: Leg) -> float:
        return leg_seconds(sorted(leg.again + leg.services, key=rank.__getitem__), needs, seconds, cores)

    timed = {job: [replace(leg, seconds=took(leg)) for leg in job_legs] for job, job_legs in legs.items()}
    run = simulate(jobs, timed, runners=runners, overhead=overhead)
    return Outcome(run.makespan, run.runner_seconds, run.legs)


def simulate_single_job(needs: Mapping[str, Sequence[str]], seconds: Mapping[str, float], overhead: float) -> Outcome:
    """One runner, CORES tasks at once, longest remaining path first."""
    dependents: dict[str, list[str]] = {p: [] for p in needs}
    for p, ds in needs.items():
        for d in ds:
            dependents[d].append(p)
    tail: dict[str, float] = {}
    for p in reversed(_topological(needs)):
        tail[p] = seconds[p] + max((tail[q] for q in dependents[p]), default=0.0)
    waiting = {p: len(ds) for p, ds in needs.items()}
    ready = [(-tail[p], p) for p, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now = 0.0
    while ready or running:
        while ready and len(running) < CORES:
            _, p = heapq.heappop(ready)
            heapq.heappush(running, (now + seconds[p], p))
        now, p = heapq.heappop(running)
        for q in dependents[p]:
            waiting[q] -= 1
            if waiting[q] == 0:
                heapq.heappush(ready, (-tail[q], q))
    return Outcome(overhead + now, overhead + now, 1)


def _topological(needs: Mapping[str, Sequence[str]]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()
    for start in needs:
        stack = [(start, iter(needs[start]))]
        if start in seen:
            continue
        seen.add(start)
        while stack:
            node, it = stack[-1]
            nxt = next((d for d in it if d not in seen), None)
            if nxt is None:
                stack.pop()
                order.append(node)
            else:
                seen.add(nxt)
                stack.append((nxt, iter(needs[nxt])))
    return order  # dependencies first


def critical_path(needs: Mapping[str, Sequence[str]], seconds: Mapping[str, float]) -> float:
    longest: dict[str, float] = {}
    for p in _topological(needs):
        longest[p] = seconds[p] + max((longest[d] for d in needs[p]), default=0.0)
    return max(longest.values(), default=0.0)


def graph_row(name: str, root: Path, runners: int, overhead: float, seed: int, cores: int) -> list[str]:
    config = load_config(root)
    workspace = discover(root, config)
    model = build_model(workspace, config)
    doc = render_workflow(model)
    # The jobs as the workflow file has them: its order, its needs.
    jobs = [replace(job, needs=tuple(n for n in doc["jobs"][job.id]["needs"] if n != "plan")) for job in model.jobs]
    plan = model.plan
    graph = build_graph(workspace, include_root=config.include_root)
    needs = service_needs(graph, plan) if plan.mode != "parallel" else {p: () for p in plan.services}
    seconds = durations(plan.services, seed)
    work = sum(seconds.values())
    bound = max(critical_path(needs, seconds) + overhead, (work / cores + overhead) / runners)
    wf = config.workflow

    def legs(mode: LegsMode, expected: Mapping[str, float]) -> Outcome:
        # What the plan job does (cigen.app.affected): pack the stage jobs' legs, then give a head start
        # where the simulated run says it pays.
        pack = stage_packer(jobs, needs, expected, mode=mode, overhead=overhead, cores=cores)
        # A leg per service is the workflow without a head-start job.
        packed = pack(plan.services, wf.max_legs) if mode == "service" else head_start(
            jobs, pack, plan.services, needs, expected, max_legs=wf.max_legs, overhead=overhead, cores=cores)
        return simulate_legs(jobs, packed, seconds, runners, overhead, needs, cores)

    a = legs("service", seconds)
    b = legs("auto", seconds)
    b0 = legs("auto", dict.fromkeys(plan.services, 30.0))
    c = simulate_single_job(needs, seconds, overhead)
    cells = [name, str(len(plan.services)), str(len(model.jobs)), f"{work / 60:.0f}", f"{bound / 60:.1f}"]
    for outcome in (a, b, b0, c):
        cells += [f"{outcome.makespan / 60:.1f} ({outcome.makespan / bound:.2f}x)",
                  f"{outcome.runner_seconds / 60:.0f}", str(outcome.legs)]
    budget = work + overhead * min(runners, b.legs)
    ok = b.makespan <= 1.25 * bound and b.runner_seconds <= 1.5 * budget
    cells.append(f"{b.runner_seconds / budget:.2f}x {'yes' if ok else 'NO'}")
    return cells


def synthetic(cache: Path, packages: int) -> Path:
    out = cache / f"synth-{packages}"
    if not (out / "package.json").exists():
        subprocess.run([sys.executable, str(SHARED / "tools" / "synth_monorepo.py"), str(out), "--packages",
                        str(packages), "--seed", "1"], check=True, capture_output=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runners", type=int, default=20)
    parser.add_argument("--overhead", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--leg-cores", type=int, default=1, help="services a leg's cigen run runs at once")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cigen-bench-makespan")
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"needs {SHARED} (the corpus and synth_monorepo.py)", file=sys.stderr)
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    graphs = {
        "shop": ROOT / "examples" / "shop",
        "astro": SHARED / "corpus" / "withastro__astro",
        "synthetic 1000": synthetic(args.cache, 1000),
        "synthetic 5000": synthetic(args.cache, 5000),
    }
    header = ["graph", "services", "jobs", "work min", "bound min"]
    for way in ("(a) a leg per service", "(b) default", "(b0) default, no timings", "(c) one 4-core job"):
        header += [f"{way}: makespan min", "runner-min", "legs"]
    header.append("(b) runner-min vs budget, targets met")
    rows = [header] + [graph_row(name, root, args.runners, args.overhead, args.seed, args.leg_cores) for name, root in graphs.items()]
    print(f"R = {args.runners} runners, overhead {args.overhead:.0f} s per leg, "
          f"{args.leg_cores} service{'s' if args.leg_cores > 1 else ''} at once in a leg, durations lognormal "
          f"(median 20 s, sigma 1.0, seed {args.seed})\n")
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + " --- |" * len(rows[0]))
    for row in rows[1:]:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
