"""Execution plans: auto, cascade and parallel stages, selections, and the CI jobs stages become."""

from __future__ import annotations

import pytest

from cigen.errors import CycleError, InputError
from cigen.graph.graph import build_graph, from_names
from cigen.plan.stages import MAX_MATRIX_LEGS, Job, Plan, Stage, compute_plan, service_needs, stage_jobs
from testing.workspace_builder import workspace

SHOP = {"web": ["ui", "utils"], "api": ["db"], "ui": ["utils"], "db": ["utils"], "utils": [], "docs": []}
CYCLIC = {"a": ["b"], "b": ["a"], "free": []}


def p(*names: str) -> tuple[str, ...]:
    return tuple(f"packages/{n}" for n in names)


def shop():
    return build_graph(workspace(SHOP))


# -- auto ------------------------------------------------------------------------------------


def test_auto_is_the_default_mode_and_its_stages_are_the_levels() -> None:
    plan = compute_plan(shop())
    assert plan.mode == "auto"
    assert [s.services for s in plan.stages] == [p("docs", "utils"), p("db", "ui"), p("api", "web")]
    assert [s.id for s in plan.stages] == ["stage-1", "stage-2", "stage-3"]


def test_auto_stage_needs_every_stage_holding_a_direct_dependency() -> None:
    # web (stage 3) depends on ui (stage 2) and on utils (stage 1).
    plan = compute_plan(shop())
    assert plan.stages[2].needs == ("stage-1", "stage-2")


def test_auto_stage_does_not_need_a_stage_its_services_do_not_depend_on() -> None:
    g = build_graph(workspace({"base": [], "other": [], "mid": ["base"], "top": ["mid"]}))
    plan = compute_plan(g)
    assert [(s.services, s.needs) for s in plan.stages] == [
        (p("base", "other"), ()),
        (p("mid"), ("stage-1",)),
        (p("top"), ("stage-2",)),  # not stage-1: top waits for it only through mid
    ]


def test_auto_collects_every_result_in_a_stage_and_keeps_the_concurrency() -> None:
    plan = compute_plan(shop(), concurrency=3)
    assert plan.fail_fast is False
    assert plan.concurrency == 3


def test_plan_services_are_in_stable_topological_order() -> None:
    plan = compute_plan(shop())
    assert plan.services == p("docs", "utils", "db", "api", "ui", "web")


# -- cascade ---------------------------------------------------------------------------------


def test_cascade_runs_one_service_per_stage_in_order_each_needing_the_previous() -> None:
    plan = compute_plan(shop(), mode="cascade", concurrency=8)
    assert [s.services for s in plan.stages] == [(x,) for x in p("docs", "utils", "db", "api", "ui", "web")]
    assert [s.needs for s in plan.stages] == [(), ("stage-1",), ("stage-2",), ("stage-3",), ("stage-4",), ("stage-5",)]


def test_cascade_stops_at_the_first_failure_and_runs_one_at_a_time() -> None:
    plan = compute_plan(shop(), mode="cascade")
    assert plan.fail_fast is True
    assert plan.concurrency == 1


# -- parallel --------------------------------------------------------------------------------


def test_parallel_is_one_stage_of_everything_collecting_every_result() -> None:
    plan = compute_plan(shop(), mode="parallel", concurrency=2)
    assert plan == Plan(
        "parallel", (Stage("stage-1", p("docs", "utils", "db", "api", "ui", "web"), ()),), 2, False,
        p("docs", "utils", "db", "api", "ui", "web"),
    )


def test_parallel_needs_no_order_so_a_cycle_does_not_stop_it() -> None:
    plan = compute_plan(build_graph(workspace(CYCLIC)), mode="parallel")
    assert plan.stages[0].services == p("free", "a", "b")  # ordered members first, the cycle after


# -- cycles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "cascade"])
def test_modes_that_need_an_order_fail_on_a_cycle(mode: str) -> None:
    with pytest.raises(CycleError, match=r"dependency cycle: a -> b -> a"):
        compute_plan(build_graph(workspace(CYCLIC)), mode=mode)


def test_a_cycle_outside_the_selection_does_not_stop_the_plan() -> None:
    g = build_graph(workspace(CYCLIC))
    plan = compute_plan(g, selected=["packages/free"])
    assert [s.services for s in plan.stages] == [p("free")]


def test_a_cycle_through_an_unselected_member_still_stops_the_plan_and_is_named() -> None:
    g = build_graph(workspace({"a": ["x"], "x": ["a"], "other": ["o2"], "o2": ["other"]}))
    with pytest.raises(CycleError) as err:
        compute_plan(g, selected=["packages/a"])
    assert str(err.value).startswith("dependency cycle: a -> x -> a; breaking it takes removing 1 edge")
    assert "other" not in str(err.value)  # only the cycles that touch the plan


# -- root ------------------------------------------------------------------------------------


def test_the_root_package_is_no_stage_when_the_graph_leaves_it_out() -> None:
    plan = compute_plan(build_graph(workspace(SHOP, root=True, root_deps=("web",))))
    assert "." not in plan.services


def test_the_root_package_is_a_stage_when_the_graph_includes_it() -> None:
    g = build_graph(workspace(SHOP, root=True, root_deps=("web",)), include_root=True)
    plan = compute_plan(g)
    assert plan.stages[-1].services == (".",)


# -- selection -------------------------------------------------------------------------------


def test_a_selection_restricts_the_plan_and_an_unselected_dependency_is_no_stage() -> None:
    plan = compute_plan(shop(), selected=p("web", "ui"))
    assert [(s.services, s.needs) for s in plan.stages] == [(p("ui"), ()), (p("web"), ("stage-1",))]
    assert plan.services == p("ui", "web")


def test_a_selected_service_waits_for_one_it_reaches_through_unselected_ones() -> None:
    # api -> db -> utils, db unselected: utils still runs before api.
    plan = compute_plan(shop(), selected=p("api", "utils"))
    assert [s.services for s in plan.stages] == [p("utils"), p("api")]
    cascade = compute_plan(shop(), mode="cascade", selected=p("api", "utils"))
    assert cascade.services == p("utils", "api")


def test_an_empty_selection_is_an_empty_plan() -> None:
    plan = compute_plan(shop(), selected=[])
    assert plan.stages == () and plan.services == ()


def test_selecting_a_path_outside_the_graph_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="packages/nope"):
        compute_plan(shop(), selected=["packages/nope"])


# -- bad arguments ---------------------------------------------------------------------------


def test_an_unknown_mode_is_bad_input_listing_the_modes() -> None:
    with pytest.raises(InputError, match=r"unknown plan mode 'fast' \(use one of: auto, cascade, parallel\)"):
        compute_plan(shop(), mode="fast")  # type: ignore[arg-type]


def test_a_concurrency_below_one_is_bad_input() -> None:
    with pytest.raises(InputError, match="concurrency must be at least 1"):
        compute_plan(shop(), concurrency=0)


# -- jobs ------------------------------------------------------------------------------------


def test_a_stage_within_the_limit_is_one_job_named_after_it() -> None:
    jobs = stage_jobs(compute_plan(shop()))
    assert jobs == (
        Job("stage-1", "stage-1", p("docs", "utils"), ()),
        Job("stage-2", "stage-2", p("db", "ui"), ("stage-1",)),
        Job("stage-3", "stage-3", p("api", "web"), ("stage-1", "stage-2")),
    )


def test_a_stage_over_the_limit_is_split_into_even_consecutive_parts() -> None:
    services = tuple(f"packages/s{i:03}" for i in range(7))
    plan = Plan("parallel", (Stage("stage-1", services, ()),), None, False, services)
    jobs = stage_jobs(plan, limit=3)
    assert [j.id for j in jobs] == ["stage-1-part-1", "stage-1-part-2", "stage-1-part-3"]
    assert [j.services for j in jobs] == [services[0:3], services[3:5], services[5:7]]
    assert {j.stage for j in jobs} == {"stage-1"}


def test_a_job_needs_every_part_of_the_stages_its_stage_needs() -> None:
    first = tuple(f"packages/a{i}" for i in range(4))
    plan = Plan("auto", (Stage("stage-1", first, ()), Stage("stage-2", ("packages/b",), ("stage-1",))),
                None, False, (*first, "packages/b"))
    jobs = stage_jobs(plan, limit=2)
    assert jobs[-1] == Job("stage-2", "stage-2", ("packages/b",), ("stage-1-part-1", "stage-1-part-2"))


def test_the_default_limit_is_the_github_matrix_limit() -> None:
    services = tuple(f"packages/s{i:03}" for i in range(300))
    plan = Plan("parallel", (Stage("stage-1", services, ()),), None, False, services)
    assert MAX_MATRIX_LEGS == 256
    assert [len(j.services) for j in stage_jobs(plan)] == [150, 150]
    assert [len(j.services) for j in stage_jobs(plan, limit=300)] == [300]


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        stage_jobs(compute_plan(shop()), limit=0)


# -- per-service needs -------------------------------------------------------------------------


def test_each_service_needs_its_direct_dependencies_in_plan_order() -> None:
    g = shop()
    needs = service_needs(g, compute_plan(g))
    assert needs[p("web")[0]] == p("utils", "ui")
    assert needs[p("ui")[0]] == p("utils")
    assert needs[p("docs")[0]] == ()


def test_a_service_needs_a_planned_one_it_reaches_through_unplanned_ones() -> None:
    g = shop()
    assert service_needs(g, compute_plan(g, selected=p("api", "utils"))) == {p("utils")[0]: (), p("api")[0]: p("utils")}


def test_a_graph_of_plain_names_plans_a_selection_too() -> None:
    """The runtime plans its start order over service names, some of which are no members."""
    g = from_names(["db", "api", "web", "docs"], [("web", "api"), ("api", "db")])
    plan = compute_plan(g, selected=["web", "db"])
    assert plan.services == ("db", "web")
    assert [(s.services, s.needs) for s in plan.stages] == [(("db",), ()), (("web",), ("stage-1",))]
