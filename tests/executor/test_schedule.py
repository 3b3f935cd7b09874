"""The scheduler of cigen run: what may start now, given what has finished, in each mode (pure, no processes)."""

from __future__ import annotations

import pytest

from cigen.executor.schedule import Outcome, Scheduler
from cigen.graph.graph import build_graph
from cigen.plan.stages import compute_plan, service_needs
from testing.workspace_builder import workspace

# web -> ui -> utils, api -> db -> utils; docs alone.
SHOP = {"web": ["ui", "utils"], "api": ["db"], "ui": ["utils"], "db": ["utils"], "utils": [], "docs": []}


def p(*names: str) -> list[str]:
    return [f"packages/{n}" for n in names]


def scheduler(mode: str = "auto", *, limit: int | None = None, keep_going: bool = False,
              graph: dict[str, list[str]] = SHOP, expected: dict[str, float] | None = None) -> Scheduler:
    g = build_graph(workspace(graph))
    plan = compute_plan(g, mode=mode)
    seconds = {f"packages/{name}": s for name, s in expected.items()} if expected is not None else None
    return Scheduler.for_plan(plan, service_needs(g, plan), limit=limit, keep_going=keep_going, expected=seconds)


def run_through(s: Scheduler) -> list[str]:
    """Every service in the order ``s`` starts them, each finishing (passed) before the next is asked for."""
    started = []
    while not s.done:
        for path in s.start():
            started.append(path)
            s.finish(path, ok=True)
    return started


# -- auto ------------------------------------------------------------------------------------


def test_auto_starts_every_service_without_dependencies_at_once_in_plan_order() -> None:
    assert scheduler().start() == p("docs", "utils")


def test_auto_starts_a_service_as_soon_as_its_own_dependencies_passed_not_its_whole_stage() -> None:
    s = scheduler()
    s.start()
    s.finish(p("utils")[0], ok=True)
    assert s.start() == p("db", "ui")
    s.finish(p("ui")[0], ok=True)
    # db (web's stage-mate's dependency) still runs: web needs only ui and utils.
    assert s.start() == p("web")
    assert s.running == set(p("docs", "db", "web"))


def test_auto_never_runs_more_than_the_limit_and_fills_a_freed_slot_in_plan_order() -> None:
    s = scheduler(limit=1, graph={"a": [], "b": [], "c": []})
    assert s.start() == p("a")
    assert s.start() == []
    s.finish(p("a")[0], ok=True)
    assert s.start() == p("b")


def test_auto_does_not_run_the_dependents_of_a_failure_naming_it_even_when_transitive() -> None:
    s = scheduler(keep_going=True)
    s.start()
    assert s.finish(p("utils")[0], ok=False) == p("db", "api", "ui", "web")  # in plan order
    assert s.outcomes()[p("web")[0]] == Outcome("not run", "dependency", p("utils")[0])


def test_auto_starts_nothing_new_after_a_failure_but_lets_the_running_finish() -> None:
    s = scheduler(graph={"slow": [], "bad": [], "after": ["slow"]})
    assert s.start() == p("bad", "slow")
    s.finish(p("bad")[0], ok=False)
    assert not s.done
    s.finish(p("slow")[0], ok=True)
    assert s.start() == []
    assert s.done
    assert s.outcomes() == {
        p("bad")[0]: Outcome("failed"),
        p("slow")[0]: Outcome("passed"),
        p("after")[0]: Outcome("not run", "stopped", p("bad")[0]),
    }


def test_auto_with_continue_still_runs_what_does_not_depend_on_the_failure() -> None:
    s = scheduler(keep_going=True, graph={"slow": [], "bad": [], "after": ["slow"], "child": ["bad"]})
    s.start()
    assert s.finish(p("bad")[0], ok=False) == p("child")
    s.finish(p("slow")[0], ok=True)
    assert s.start() == p("after")


# -- which ready service first: the longest remaining path -----------------------------------


def test_with_expected_times_the_longest_remaining_path_starts_first_not_the_earliest_in_the_plan() -> None:
    # docs alone takes 3 s; utils -> db -> api takes 1 + 1 + 2 = 4 s: utils's path is longer, though docs
    # comes first in the plan (and would start first without times).
    times = {"docs": 3.0, "utils": 1.0, "db": 1.0, "api": 2.0, "ui": 0.5, "web": 0.5}
    assert scheduler(limit=1, expected=times).start() == p("utils")
    assert scheduler(limit=1).start() == p("docs")
    # After utils: db's path (db, api: 3 s) ties docs (3 s), so the plan decides: docs; then db, api, ui, web.
    assert run_through(scheduler(limit=1, expected=times)) == p("utils", "docs", "db", "api", "ui", "web")


def test_a_service_without_an_expected_time_counts_as_the_median_of_the_known() -> None:
    # b is new (no time): the median of a's 1 s and c's 5 s, 3 s, puts it between them.
    assert run_through(scheduler(limit=1, graph={"a": [], "b": [], "c": []}, expected={"a": 1.0, "c": 5.0})) \
        == p("c", "b", "a")


def test_parallel_mode_starts_the_longest_first() -> None:
    assert scheduler("parallel", limit=2, expected={"docs": 1, "utils": 1, "db": 1, "api": 9, "ui": 1,
                                                    "web": 5}).start() == p("api", "web")


def test_cascade_keeps_the_plan_order_whatever_the_times() -> None:
    times = {"docs": 0.1, "utils": 9.0, "db": 9.0, "api": 9.0, "ui": 9.0, "web": 9.0}
    assert run_through(scheduler("cascade", expected=times)) == p("docs", "utils", "db", "api", "ui", "web")


# -- cascade ---------------------------------------------------------------------------------


def test_cascade_runs_one_service_at_a_time_in_plan_order_whatever_the_limit() -> None:
    s = scheduler("cascade", limit=8)
    started = []
    while not s.done:
        (path,) = s.start()
        started.append(path)
        s.finish(path, ok=True)
    assert started == p("docs", "utils", "db", "api", "ui", "web")  # the stable topological order


def test_cascade_stops_at_the_first_failure() -> None:
    s = scheduler("cascade")
    s.finish(s.start()[0], ok=False)  # docs
    assert s.start() == []
    assert s.done
    assert {o.why for o in s.outcomes().values() if o.status == "not run"} == {"stopped"}


def test_cascade_with_continue_skips_only_the_dependents_of_a_failure() -> None:
    s = scheduler("cascade", keep_going=True)
    s.finish(s.start()[0], ok=True)  # docs
    s.finish(s.start()[0], ok=False)  # utils: everything else depends on it
    assert s.done
    s2 = scheduler("cascade", keep_going=True, graph={"a": [], "b": [], "c": ["a"]})
    s2.finish(s2.start()[0], ok=False)  # a
    assert s2.start() == p("b")


# -- parallel --------------------------------------------------------------------------------


def test_parallel_starts_everything_within_the_limit_ignoring_dependencies() -> None:
    assert scheduler("parallel").start() == p("docs", "utils", "db", "api", "ui", "web")
    assert len(scheduler("parallel", limit=2).start()) == 2


def test_parallel_collects_every_result_after_a_failure() -> None:
    s = scheduler("parallel", limit=2)
    first, _ = s.start()
    assert s.finish(first, ok=False) == []
    while not s.done:
        for path in s.start():
            s.finish(path, ok=True)
        if s.running:
            s.finish(min(s.running), ok=True)
    assert sorted(o.status for o in s.outcomes().values()) == ["failed"] + ["passed"] * 5


# -- interrupt and edges ---------------------------------------------------------------------


def test_an_interrupt_starts_nothing_more_and_reports_the_rest_interrupted() -> None:
    s = scheduler(limit=1)
    (running,) = s.start()
    s.interrupt()
    assert s.start() == []
    outcomes = s.outcomes()
    assert running not in outcomes  # the executor tells how a running one ended
    assert {o.why for o in outcomes.values()} == {"interrupted"}


def test_dependencies_outside_the_order_are_not_waited_for() -> None:
    s = Scheduler(["a"], {"a": ["elsewhere"]}, limit=None, gated=True, stop_on_failure=True)
    assert s.start() == ["a"]


def test_an_empty_plan_is_done_at_once() -> None:
    assert Scheduler([], {}, limit=None, gated=True, stop_on_failure=True).done


def test_a_limit_below_one_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        Scheduler(["a"], {}, limit=0, gated=True, stop_on_failure=True)
