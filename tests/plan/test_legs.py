"""Legs: a leg per service, or balanced batches in phases that skip the barriers that cost time."""

from __future__ import annotations

import pytest

from cigen.config.workflow import LegsMode
from cigen.graph.graph import build_graph
from cigen.plan.legs import OVERHEAD, Leg, leg_cores, leg_seconds, plan_legs
from cigen.plan.ordering import OrderRules, Unit
from cigen.plan.stages import Job, compute_plan, service_needs, stage_jobs
from testing.workspace_builder import workspace


def chain_jobs(paths: list[str]) -> list[Job]:
    """A job per service, each needing the one before (a cascade)."""
    return [Job(f"stage-{i}", f"stage-{i}", (p,), (f"stage-{i - 1}",) if i > 1 else ()) for i, p in enumerate(paths, 1)]


def services(legs: dict[str, tuple[Leg, ...]]) -> dict[str, list[tuple[str, ...]]]:
    return {job: [leg.services for leg in job_legs] for job, job_legs in legs.items()}


# core <- 6 leaves: two jobs
FAN = [Job("stage-1", "stage-1", ("core",)), Job("stage-2", "stage-2", tuple(f"leaf{i}" for i in range(6)), ("stage-1",))]
FAN_NEEDS = {"core": (), **{f"leaf{i}": ("core",) for i in range(6)}}


def test_service_mode_gives_every_service_its_own_leg_in_its_own_job() -> None:
    legs = plan_legs(FAN, FAN_NEEDS, ["core", "leaf0", "leaf3"], dict.fromkeys(FAN_NEEDS, 5.0), mode="service")
    assert services(legs) == {"stage-1": [("core",)], "stage-2": [("leaf0",), ("leaf3",)]}
    assert [leg.id for leg in legs["stage-2"]] == ["stage-2-1", "stage-2-2"]


def test_a_job_with_nothing_to_run_has_no_legs() -> None:
    legs = plan_legs(FAN, FAN_NEEDS, ["leaf1"], dict.fromkeys(FAN_NEEDS, 5.0), mode="batch")
    assert services(legs) == {"stage-2": [("leaf1",)]}


def test_batches_are_balanced_by_expected_duration_longest_first() -> None:
    jobs = [Job("stage-1", "stage-1", ("a", "b", "c", "d", "e"))]
    seconds = {"a": 100.0, "b": 60.0, "c": 50.0, "d": 40.0, "e": 10.0}
    legs = plan_legs(jobs, {}, list(seconds), seconds, mode="batch", max_legs=2)["stage-1"]
    # LPT: a, b, then c onto b's leg, d onto a's, e onto the lighter one.
    assert {leg.services: leg.seconds for leg in legs} == {("a", "d"): 140.0, ("b", "c", "e"): 120.0}
    assert all(list(leg.services) == sorted(leg.services) for leg in legs)  # plan order inside a leg


def test_the_number_of_legs_of_a_job_is_bounded_whatever_the_size() -> None:
    paths = [f"p{i:04}" for i in range(1000)]
    jobs = [Job("stage-1", "stage-1", tuple(paths))]
    legs = plan_legs(jobs, {}, paths, dict.fromkeys(paths, 30.0), mode="auto", max_legs=20)["stage-1"]
    assert len(legs) == 20
    assert sorted(p for leg in legs for p in leg.services) == paths
    assert max(leg.seconds for leg in legs) == min(leg.seconds for leg in legs) == 1500.0


def test_a_chain_of_short_services_runs_in_one_leg_without_a_barrier_per_service() -> None:
    paths = ["a", "b", "c", "d"]
    needs = {"a": (), "b": ("a",), "c": ("b",), "d": ("c",)}
    legs = plan_legs(chain_jobs(paths), needs, paths, dict.fromkeys(paths, 10.0), mode="auto")
    # One leg in the first job, in dependency order; the later jobs have nothing to do and are skipped.
    assert services(legs) == {"stage-1": [("a", "b", "c", "d")]}


def test_a_wide_stage_behind_a_hub_is_not_merged_into_one_serial_leg() -> None:
    seconds = {"core": 20.0, **{f"leaf{i}": 100.0 for i in range(6)}}
    legs = plan_legs(FAN, FAN_NEEDS, list(FAN_NEEDS), seconds, mode="batch", max_legs=6)
    # Merging the leaves with core would put all of them in core's component: one leg of 620 s.
    assert services(legs) == {"stage-1": [("core",)], "stage-2": [(f"leaf{i}",) for i in range(6)]}


def test_independent_groups_merge_across_stages_each_in_a_leg_of_its_own() -> None:
    # x1 <- x2 and y1 <- y2: two stages, two chains that share nothing.
    jobs = [Job("stage-1", "stage-1", ("x1", "y1")), Job("stage-2", "stage-2", ("x2", "y2"), ("stage-1",))]
    needs = {"x1": (), "y1": (), "x2": ("x1",), "y2": ("y1",)}
    legs = plan_legs(jobs, needs, list(needs), dict.fromkeys(needs, 30.0), mode="batch")
    assert services(legs) == {"stage-1": [("x1", "x2"), ("y1", "y2")]}


def test_a_job_that_waits_for_a_job_outside_the_phase_starts_a_phase_of_its_own() -> None:
    # Nothing of stage-1 runs, so the first phase starts at stage-2; stage-3 waits for stage-1 too, which
    # stage-2 does not: its legs cannot run in stage-2's job.
    jobs = [
        Job("stage-1", "stage-1", ("a",)),
        Job("stage-2", "stage-2", ("b",)),
        Job("stage-3", "stage-3", ("c",), ("stage-1", "stage-2")),
    ]
    needs = {"a": (), "b": (), "c": ("a", "b")}
    legs = plan_legs(jobs, needs, ["b", "c"], dict.fromkeys(needs, 10.0), mode="batch")
    assert services(legs) == {"stage-2": [("b",)], "stage-3": [("c",)]}


def test_auto_keeps_a_leg_per_service_while_that_is_as_fast() -> None:
    seconds = {"core": 20.0, **{f"leaf{i}": 600.0 for i in range(6)}}  # long services: overhead is noise
    legs = plan_legs(FAN, FAN_NEEDS, list(FAN_NEEDS), seconds, mode="auto")
    assert services(legs) == {"stage-1": [("core",)], "stage-2": [(f"leaf{i}",) for i in range(6)]}


def test_auto_batches_when_a_leg_per_service_would_pass_the_bound() -> None:
    paths = [f"p{i}" for i in range(30)]
    jobs = [Job("stage-1", "stage-1", tuple(paths))]
    legs = plan_legs(jobs, {}, paths, dict.fromkeys(paths, 600.0), mode="auto", max_legs=20)
    assert len(legs["stage-1"]) == 20


def test_auto_batches_short_services_whose_legs_would_pay_more_overhead_than_work() -> None:
    paths = ["a", "b", "c", "d"]
    needs = {"a": (), "b": ("a",), "c": ("b",), "d": ("c",)}
    seconds = dict.fromkeys(paths, OVERHEAD / 6)
    legs = plan_legs(chain_jobs(paths), needs, paths, seconds, mode="auto")
    assert len([leg for job_legs in legs.values() for leg in job_legs]) == 1


def test_max_legs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_legs"):
        plan_legs(FAN, FAN_NEEDS, [], {}, max_legs=0)


def test_a_leg_that_ends_early_takes_in_later_work_that_needs_only_what_it_ran() -> None:
    # a takes 200 s, b 10 s; six services of 100 s each need b. Merging the stages would chain them all
    # behind b in one leg; instead b's leg runs one of them while a still runs, and the others follow.
    jobs = [Job("stage-1", "stage-1", ("a", "b")),
            Job("stage-2", "stage-2", tuple(f"c{i}" for i in range(6)), ("stage-1",))]
    needs = {"a": (), "b": (), **{f"c{i}": ("b",) for i in range(6)}}
    seconds = {"a": 200.0, "b": 10.0, **{f"c{i}": 100.0 for i in range(6)}}
    legs = plan_legs(jobs, needs, list(needs), seconds, mode="batch")
    assert services(legs) == {"stage-1": [("a",), ("b", "c0")], "stage-2": [(f"c{i}",) for i in range(1, 6)]}


# -- plan.cycles: units ------------------------------------------------------------------------------


def unit_plan() -> tuple[list[Job], dict[str, tuple[str, ...]], list[Unit]]:
    """hub; then a unit (x -> y -> z -> x through a dev edge, so built z, y, x) and three leaves, all needing hub."""
    DEP, DEV = ["dependencies"], ["devDependencies"]
    g = build_graph(workspace({
        "hub": [], "x": {"y": DEP, "hub": DEP}, "y": {"z": DEP}, "z": {"x": DEV},
        "l1": ["hub"], "l2": ["hub"], "l3": ["hub"],
    }))
    plan = compute_plan(g, rules=OrderRules(cycles="units"))
    return list(stage_jobs(plan)), service_needs(g, plan), list(plan.units)


UNIT = tuple(f"packages/{n}" for n in ("z", "y", "x"))


@pytest.mark.parametrize("mode", ["service", "batch", "auto"])
@pytest.mark.parametrize("seconds", [5.0, 100.0, 1000.0])
def test_a_unit_runs_in_one_leg_in_its_order_in_every_mode(mode: LegsMode, seconds: float) -> None:
    jobs, needs, units = unit_plan()
    legs = plan_legs(jobs, needs, list(needs), dict.fromkeys(needs, seconds), mode=mode, units=units)
    [holding] = [leg for job_legs in legs.values() for leg in job_legs if set(UNIT) & set(leg.services)]
    start = holding.services.index(UNIT[0])
    assert holding.services[start:start + 3] == UNIT


def test_without_the_units_a_leg_per_service_would_split_one() -> None:
    # What the test above guards: the same plan packed with no units given puts each member in a leg.
    jobs, needs, _ = unit_plan()
    legs = plan_legs(jobs, needs, list(needs), dict.fromkeys(needs, 100.0), mode="service")
    assert sum(1 for leg in legs["stage-2"] if set(UNIT) & set(leg.services)) == 3


def test_a_unit_weighs_the_sum_of_its_members_when_batches_are_balanced() -> None:
    jobs, needs, units = unit_plan()
    legs = plan_legs(jobs, needs, list(needs), dict.fromkeys(needs, 100.0), mode="batch", max_legs=2, units=units)
    # Stage 2: the unit (300 s) and three leaves of 100 s on two legs: the leaves together balance the unit.
    assert {leg.services: leg.seconds for leg in legs["stage-2"]} == {
        UNIT: 300.0, tuple(f"packages/l{i}" for i in (1, 2, 3)): 300.0,
    }


def test_a_unit_taken_into_an_earlier_leg_moves_whole() -> None:
    # As in test_a_leg_that_ends_early_takes_in_later_work_that_needs_only_what_it_ran: b's leg ends long
    # before a's, and takes in c0 and the unit (u1, u2, 90 s in all), which need only b. Service by
    # service, u2 (its member u1 not yet moved) would stay behind: half the unit in another job.
    cs = tuple(f"c{i}" for i in range(5))
    jobs = [Job("stage-1", "stage-1", ("a", "b")), Job("stage-2", "stage-2", ("u1", "u2", *cs), ("stage-1",))]
    needs = {"a": (), "b": (), "u1": ("b",), "u2": ("u1",), **{c: ("b",) for c in cs}}
    seconds = {"a": 200.0, "b": 10.0, "u1": 40.0, "u2": 50.0, **dict.fromkeys(cs, 100.0)}
    legs = plan_legs(jobs, needs, list(needs), seconds, mode="batch", units=[Unit(("u1", "u2"), ())])
    assert services(legs) == {"stage-1": [("a",), ("b", "c0", "u1", "u2")], "stage-2": [(c,) for c in cs[1:]]}
    split = plan_legs(jobs, needs, list(needs), seconds, mode="batch")
    assert services(split)["stage-1"] == [("a",), ("b", "c0", "u1")]


# -- the runner's cores ------------------------------------------------------------------------------


def test_a_legs_time_is_cigen_runs_schedule_on_the_runners_cores() -> None:
    # a (10 s) then b and c (20 s, 30 s) that need it, and d (40 s) that needs nothing.
    needs = {"a": (), "b": ("a",), "c": ("a",), "d": ()}
    seconds = {"a": 10.0, "b": 20.0, "c": 30.0, "d": 40.0}
    assert leg_seconds(["a", "b", "c", "d"], needs, seconds, 1) == 100.0  # one after another
    # Two cores: a and d; b at 10 s, c at 30 s (b done), ending at 60 s; d ends at 40 s.
    assert leg_seconds(["a", "b", "c", "d"], needs, seconds, 2) == 60.0
    assert leg_seconds(["a", "b", "c", "d"], needs, seconds, 4) == 40.0  # the chain a -> c, or d


def test_a_leg_has_the_cores_of_its_runner_unless_the_plan_says_fewer() -> None:
    g = build_graph(workspace({"a": [], "b": ["a"]}))
    assert leg_cores(compute_plan(g), 4) == 4
    assert leg_cores(compute_plan(g, concurrency=2), 4) == 2
    assert leg_cores(compute_plan(g, mode="cascade"), 4) == 1  # one service at a time


def test_with_more_cores_a_connected_part_of_the_graph_runs_in_one_leg_without_barriers() -> None:
    # core <- 6 leaves of 30 s: one core pays a barrier and six legs (60 + 20, then 60 + 30, against 60 + 200
    # in one leg); four cores run it all in one leg: 20 s, four leaves at once, then two: 60 + 80.
    seconds = {"core": 20.0, **{f"leaf{i}": 30.0 for i in range(6)}}
    one = plan_legs(FAN, FAN_NEEDS, list(FAN_NEEDS), seconds, mode="auto")
    assert services(one) == {"stage-1": [("core",)], "stage-2": [(f"leaf{i}",) for i in range(6)]}
    four = plan_legs(FAN, FAN_NEEDS, list(FAN_NEEDS), seconds, mode="auto", cores=4)
    assert services(four) == {"stage-1": [("core", *(f"leaf{i}" for i in range(6)))]}
    assert four["stage-1"][0].seconds == 80.0
