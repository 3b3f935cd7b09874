"""The order a plan follows: edges left out by cigen.yaml, cycles as units, and the short cycle error (pure)."""

from __future__ import annotations

import pytest

from cigen.errors import CycleError
from cigen.graph.graph import build_graph
from cigen.plan.ordering import OrderRules, find_units
from cigen.plan.stages import compute_plan, service_needs, stage_jobs
from testing.workspace_builder import workspace

DEV, PEER, DEP = ["devDependencies"], ["peerDependencies"], ["dependencies"]


def paths(*names: str) -> tuple[str, ...]:
    return tuple(f"packages/{n}" for n in names)


def test_a_unit_is_built_in_the_order_that_goes_against_the_fewest_edges() -> None:
    # a -> b -> c are real dependencies; c -> a is a devDependency: going against it alone orders the rest.
    g = build_graph(workspace({"a": {"b": DEP}, "b": {"c": DEP}, "c": {"a": DEV}}))
    [unit] = find_units(g)
    assert unit.members == paths("c", "b", "a")
    assert unit.broken == (("packages/c", "packages/a"),)


@pytest.mark.parametrize(("first", "second", "cut"), [
    (DEP, PEER, ("packages/b", "packages/a")),  # the peer, not the dependency
    (PEER, DEV, ("packages/b", "packages/a")),  # the devDependency before a peer
    (DEV, PEER, ("packages/a", "packages/b")),
])
def test_of_equally_few_edges_the_one_a_build_needs_least_is_gone_against(first: list, second: list,
                                                                          cut: tuple[str, str]) -> None:
    g = build_graph(workspace({"a": {"b": first}, "b": {"a": second}}))
    [unit] = find_units(g)
    assert unit.broken == (cut,)


def test_a_unit_is_one_stage_whose_members_run_one_after_another() -> None:
    g = build_graph(workspace({"app": ["a"], "a": {"b": DEP}, "b": {"c": DEP}, "c": {"a": DEV}}))
    plan = compute_plan(g, rules=OrderRules(cycles="units"))
    assert [s.services for s in plan.stages] == [paths("c", "b", "a"), paths("app")]
    assert [s.needs for s in plan.stages] == [(), ("stage-1",)]
    needs = service_needs(g, plan)
    assert needs["packages/c"] == ()  # the edge the unit goes against is not waited for
    assert (needs["packages/b"], needs["packages/a"]) == (paths("c"), paths("b"))


def test_a_unit_is_never_seen_half_built_from_outside() -> None:
    # lib <- b (a member late in the unit); early -> c (its first member); c <-> a through a dev edge.
    g = build_graph(workspace({
        "lib": [], "a": {"b": DEP}, "b": {"c": DEP, "lib": DEP}, "c": {"a": DEV}, "early": {"c": DEP},
    }))
    plan = compute_plan(g, rules=OrderRules(cycles="units"))
    assert plan.units[0].members == paths("c", "b", "a")
    needs = service_needs(g, plan)
    assert needs["packages/c"] == paths("lib")  # the first member waits for what any member needs
    assert set(needs["packages/early"]) == set(paths("c", "a"))  # a dependent of a member waits for the last
    assert [s.services for s in plan.stages] == [paths("lib"), paths("c", "b", "a"), paths("early")]


def test_in_cascade_a_unit_is_one_stage() -> None:
    g = build_graph(workspace({"app": ["a"], "a": {"b": DEP}, "b": {"c": DEP}, "c": {"a": DEV}}))
    plan = compute_plan(g, mode="cascade", rules=OrderRules(cycles="units"))
    assert [(s.services, s.needs) for s in plan.stages] == [(paths("c", "b", "a"), ()), (paths("app"), ("stage-1",))]


def test_a_stage_too_large_for_one_matrix_is_split_between_units_never_inside_one() -> None:
    # Four leaves and a three-member unit in one stage; with at most 3 items a job the unit stays whole.
    g = build_graph(workspace({
        **{f"leaf{i}": [] for i in range(4)}, "x": {"y": DEP}, "y": {"z": DEP}, "z": {"x": DEV},
    }))
    plan = compute_plan(g, rules=OrderRules(cycles="units"))
    [stage] = plan.stages
    parts = [job.services for job in stage_jobs(plan, limit=3)]
    assert parts == [paths("leaf0", "leaf1", "leaf2"), paths("leaf3", "z", "y", "x")]


def test_a_unit_whose_members_share_no_edge_in_order_still_runs_one_after_another() -> None:
    # x and y both depend on hub, hub on both (dev): cut hub's two dev edges, then x and y follow each other.
    g = build_graph(workspace({"hub": {"x": DEV, "y": DEV}, "x": {"hub": DEP}, "y": {"hub": DEP}}))
    plan = compute_plan(g, rules=OrderRules(cycles="units"))
    assert plan.units[0].members == paths("hub", "x", "y")
    assert service_needs(g, plan)["packages/y"] == paths("hub", "x")


def test_ignored_kinds_leave_out_only_edges_declared_by_those_kinds_alone() -> None:
    g = build_graph(workspace({"a": {"b": DEV}, "b": {"a": [*DEP, *DEV]}}))
    plan = compute_plan(g, rules=OrderRules(kinds=("dev",)))
    assert [(e.source, e.target, e.setting) for e in plan.ignored] == [("packages/a", "packages/b", "kinds: dev")]
    assert plan.services == paths("a", "b")


def test_ignored_edges_do_not_order_the_plan_but_everything_else_does() -> None:
    g = build_graph(workspace({"a": {"b": DEP}, "b": {"a": DEP}, "c": {"a": DEP}}))
    plan = compute_plan(g, rules=OrderRules(edges=("b -> a",)))
    assert [s.services for s in plan.stages] == [paths("b"), paths("a"), paths("c")]
    assert [(e.source, e.target, e.setting) for e in plan.ignored] == [("packages/b", "packages/a", "edges")]
    assert service_needs(g, plan)["packages/b"] == ()  # cigen run does not wait on it either


def test_the_error_suggests_the_fewest_kinds_that_break_every_cycle() -> None:
    g = build_graph(workspace({"a": {"b": DEV}, "b": {"a": PEER}, "c": {"d": PEER}, "d": {"c": DEV}}))
    with pytest.raises(CycleError) as raised:
        compute_plan(g)
    assert "set plan.ignore.kinds: [dev]" in str(raised.value)
    with pytest.raises(CycleError) as raised:
        compute_plan(g, rules=OrderRules(kinds=("optional",)))
    assert "set plan.ignore.kinds: [optional, dev]" in str(raised.value)


def test_the_error_shortens_a_long_cycle_and_lists_three_edges_at_most() -> None:
    names = [f"m{i:02d}" for i in range(20)]
    spec = {n: {names[(i + 1) % 20]: DEP} for i, n in enumerate(names)}
    spec.update({f"x{i}": {f"y{i}": DEP} for i in range(5)})
    spec.update({f"y{i}": {f"x{i}": DEP} for i in range(5)})
    with pytest.raises(CycleError) as raised:
        compute_plan(build_graph(workspace(spec)))
    message = str(raised.value)
    assert message.startswith("dependency cycle: m00 -> m01 -> m02 -> m03 -> m04 -> ... (15 more) -> m00")
    assert "(one of the cycles among 30 members); breaking them all takes removing 6 edges: " in message
    assert "and 3 more" in message
    assert "plan.ignore.edges" not in message  # six edges are too many to write out; units always works
    assert "plan.cycles: units" in message
    assert len(message) < 600
