"""The head-start job: a service nothing waits for leaves the barriers, building what it needs itself."""

from __future__ import annotations

import pytest

from cigen.config.workflow import LegsMode
from cigen.graph.graph import build_graph
from cigen.plan.head_start import HEAD_START, head_start, stage_packer, workflow_jobs
from cigen.plan.legs import OVERHEAD, Leg, plan_legs
from cigen.plan.simulate import simulate
from cigen.plan.stages import Job, Mode, compute_plan
from testing.workspace_builder import workspace

# a <- b <- c, and a <- slow: slow holds stage-2's barrier, which c waits for though it never needs slow.
NEEDS = {"a": (), "b": ("a",), "slow": ("a",), "c": ("b",)}
JOBS = [Job(HEAD_START, HEAD_START, ()), Job("stage-1", "stage-1", ("a",)),
        Job("stage-2", "stage-2", ("b", "slow"), ("stage-1",)), Job("stage-3", "stage-3", ("c",), ("stage-2",))]
SECONDS = {"a": 300.0, "b": 30.0, "slow": 600.0, "c": 30.0}


def packed(seconds: dict[str, float] = SECONDS, mode: LegsMode = "service") -> dict[str, tuple[Leg, ...]]:
    return plan_legs(JOBS[1:], NEEDS, list(NEEDS), seconds, mode=mode)


def started(seconds: dict[str, float] = SECONDS, mode: LegsMode = "service", *, jobs: list[Job] = JOBS,
            max_legs: int = 20, fixed: tuple[str, ...] = ()) -> dict[str, tuple[Leg, ...]]:
    return head_start(jobs, stage_packer(jobs, NEEDS, seconds, mode=mode), list(NEEDS), NEEDS, seconds, max_legs=max_legs,
                      overhead=OVERHEAD, fixed=fixed)


def makespan(legs: dict[str, tuple[Leg, ...]]) -> float:
    return simulate(JOBS, legs, runners=20, overhead=OVERHEAD).makespan


def test_a_slow_service_nothing_depends_on_starts_at_once_building_its_dependencies_itself() -> None:
    before, after = packed(), started()
    assert after[HEAD_START] == (Leg(f"{HEAD_START}-1", ("slow",), 900.0, ("a",)),)
    assert after["stage-2"] == (Leg("stage-2-1", ("b",), 30.0),)  # b's leg no longer waits for slow's
    assert after["stage-1"] == before["stage-1"]  # a still runs, for b
    # slow ends at 60 + 900 instead of 360 + 60 + 600; c after three short barriers.
    assert (makespan(before), makespan(after)) == (1110.0, 960.0)


def test_a_service_keeps_its_leg_where_building_its_dependencies_again_costs_more_than_it_saves() -> None:
    """b and c would run a again (300 s) to skip two barriers of 90 s."""
    assert started()["stage-3"] == (Leg("stage-3-1", ("c",), 30.0),)


def test_a_service_moves_with_everything_that_depends_on_it() -> None:
    """With a short a, the chain b <- c skips its barriers in one head-start leg: no job waits for that leg."""
    after = started({**SECONDS, "a": 30.0})
    assert (("b", "c"), ("a",)) in [(leg.services, leg.again) for leg in after[HEAD_START]]
    assert not any({"b", "c"} & set(leg.services) for job, legs in after.items() if job != HEAD_START for leg in legs)


def test_nothing_moves_when_batches_already_skip_the_barriers() -> None:
    """Batches run the chain in one leg: building a again would end nothing sooner."""
    seconds = {"a": 900.0, "b": 5.0, "slow": 5.0, "c": 5.0}
    assert started(seconds, "batch") == packed(seconds, "batch")


def test_a_member_of_a_unit_stays_in_its_unit_leg() -> None:
    """slow stays; b and c, which would wait for its barrier, run a again instead (legs numbered from 1 again)."""
    after = started(fixed=("slow",))
    assert after["stage-2"] == (Leg("stage-2-1", ("slow",), 600.0),)
    assert after[HEAD_START] == (Leg(f"{HEAD_START}-1", ("b", "c"), 360.0, ("a",)),)


def test_services_that_need_the_same_share_a_head_start_leg_when_runners_are_few() -> None:
    needs = {"a": (), "b": ("a",), "c": ("b",), "s1": ("a",), "s2": ("a",), "s3": ("a",)}
    jobs = [Job(HEAD_START, HEAD_START, ()), Job("stage-1", "stage-1", ("a",)),
            Job("stage-2", "stage-2", ("b", "s1", "s2", "s3"), ("stage-1",)),
            Job("stage-3", "stage-3", ("c",), ("stage-2",))]
    seconds = {"a": 100.0, "b": 30.0, "c": 30.0, "s1": 300.0, "s2": 300.0, "s3": 300.0}
    before = plan_legs(jobs[1:], needs, list(needs), seconds, mode="service")
    after = head_start(jobs, stage_packer(jobs, needs, seconds, mode="service"), list(needs), needs, seconds, max_legs=2,
                       overhead=OVERHEAD)
    assert ((("s1", "s2"), ("a",))) in [(leg.services, leg.again) for leg in after[HEAD_START]]  # a run once
    assert [leg.services for leg in after["stage-2"]] == [("s3",)]
    assert (simulate(jobs, before, runners=2, overhead=OVERHEAD).makespan,
            simulate(jobs, after, runners=2, overhead=OVERHEAD).makespan) == (970.0, 760.0)


def test_without_a_head_start_job_the_legs_are_unchanged() -> None:
    assert started(jobs=JOBS[1:]) == packed()


def test_what_runs_again_is_what_the_service_needs_of_this_run_even_through_services_it_does_not_run() -> None:
    """x does not run (a pull request that leaves it alone): slow still needs a's outputs through it."""
    needs = {"a": (), "x": ("a",), "b": ("a",), "slow": ("x",), "c": ("b",)}
    running = ["a", "b", "slow", "c"]
    jobs = [Job(HEAD_START, HEAD_START, ()), Job("stage-1", "stage-1", ("a",)),
            Job("stage-2", "stage-2", ("x", "b"), ("stage-1",)), Job("stage-3", "stage-3", ("slow", "c"), ("stage-2",))]
    seconds = {**SECONDS, "x": 30.0, "slow": 900.0, "c": 30.0}
    legs = head_start(jobs, stage_packer(jobs, needs, seconds, mode="service"), running, needs, seconds, max_legs=20,
                      overhead=OVERHEAD)
    assert (legs[HEAD_START][0].services, legs[HEAD_START][0].again) == (("slow",), ("a",))


@pytest.mark.parametrize(("mode", "legs", "expected"), [
    ("auto", "auto", True), ("auto", "batch", True), ("auto", "service", False),
    ("parallel", "auto", False), ("cascade", "auto", False),
])
def test_the_workflow_has_a_head_start_job_where_stages_wait_and_legs_may_batch(
    mode: Mode, legs: LegsMode, expected: bool
) -> None:
    ws = workspace({"a": [], "b": ["a"]})
    jobs = workflow_jobs(compute_plan(build_graph(ws), mode=mode), legs)
    assert (jobs[0] == Job(HEAD_START, HEAD_START, ())) is expected
    assert [job.id for job in jobs if job.id != HEAD_START] == [f"stage-{i}" for i in range(1, len(jobs) + (not expected))]


def test_one_stage_needs_no_head_start() -> None:
    jobs = workflow_jobs(compute_plan(build_graph(workspace({"a": [], "b": []}))), "auto")
    assert [job.id for job in jobs] == ["stage-1"]


def test_dependencies_out_of_plan_order_are_refused() -> None:
    """What runs again is found in one pass over the plan order: a dependency listed after its dependent is a bug."""
    with pytest.raises(ValueError, match="not so for b"):
        head_start(JOBS, stage_packer(JOBS, NEEDS, SECONDS, mode="service"), list(NEEDS),
                   {"b": ("a",), "a": (), "slow": ("a",), "c": ("b",)}, SECONDS, max_legs=20, overhead=OVERHEAD)


def test_the_stage_jobs_are_packed_again_around_a_head_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches fill the legs of stage-2 up to its longest with the next stage's work; once slow and some of
    the c <- d chains have a head start, packing the stage jobs again (in the runners those legs leave)
    beats keeping the legs they were taken from."""
    needs: dict[str, tuple[str, ...]] = {"a": (), "b": ("a",), "slow": ("a",)}
    needs |= {f"c{i}": ("b",) for i in range(8)} | {f"d{i}": (f"c{i}",) for i in range(8)}
    jobs = [Job(HEAD_START, HEAD_START, ()), Job("stage-1", "stage-1", ("a",)),
            Job("stage-2", "stage-2", ("b", "slow"), ("stage-1",)),
            Job("stage-3", "stage-3", tuple(f"c{i}" for i in range(8)), ("stage-2",)),
            Job("stage-4", "stage-4", tuple(f"d{i}" for i in range(8)), ("stage-3",))]
    seconds = {"a": 30.0, "b": 300.0, "slow": 600.0} | dict.fromkeys([*needs][3:], 60.0)

    def run() -> tuple[dict[str, tuple[Leg, ...]], float]:
        legs = head_start(jobs, stage_packer(jobs, needs, seconds, mode="batch"), list(needs), needs, seconds, max_legs=4,
                          overhead=OVERHEAD)
        return legs, simulate(jobs, legs, runners=4, overhead=OVERHEAD).makespan

    before = plan_legs(jobs[1:], needs, list(needs), seconds, mode="batch", max_legs=4)
    assert simulate(jobs, before, runners=4, overhead=OVERHEAD).makespan == 1110.0
    legs, makespan = run()
    assert (("slow",), ("a",)) in [(leg.services, leg.again) for leg in legs[HEAD_START]]
    assert makespan == 810.0
    monkeypatch.setattr("cigen.plan.head_start.REPLANS", 0)  # the same moves, the other legs left as they were
    assert run()[1] == 870.0
