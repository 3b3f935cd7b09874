"""The simulated run: GitHub's needs, a pool of runners, file order among jobs ready together."""

from __future__ import annotations

import pytest

from cigen.plan.legs import Leg
from cigen.plan.simulate import simulate
from cigen.plan.stages import Job


def legs(job: str, *seconds: float) -> tuple[Leg, ...]:
    return tuple(Leg(f"{job}-{i}", (f"{job}-s{i}",), s) for i, s in enumerate(seconds, 1))


def test_a_job_starts_when_the_last_job_it_needs_ends() -> None:
    jobs = [Job("a", "a", ()), Job("b", "b", ()), Job("c", "c", (), ("a", "b"))]
    run = simulate(jobs, {"a": legs("a", 10), "b": legs("b", 30), "c": legs("c", 5)}, runners=5, overhead=2)
    assert run.ends == {"a": 12, "b": 32, "c": 39}
    assert (run.makespan, run.runner_seconds, run.legs) == (39, 51, 3)


def test_legs_queue_for_the_runners_the_plan_allows() -> None:
    run = simulate([Job("a", "a", ())], {"a": legs("a", 10, 10, 10)}, runners=2, overhead=0)
    assert run.makespan == 20  # the third leg waits for a free runner


def test_a_job_with_no_legs_is_skipped_and_ends_with_its_needs() -> None:
    jobs = [Job("a", "a", ()), Job("b", "b", (), ("a",)), Job("c", "c", (), ("b",))]
    run = simulate(jobs, {"a": legs("a", 10), "c": legs("c", 10)}, runners=1, overhead=1)
    assert run.ends == {"a": 11, "b": 11, "c": 22}


def test_among_jobs_ready_together_the_first_in_the_file_queues_first() -> None:
    jobs = [Job("first", "first", ()), Job("second", "second", ())]
    run = simulate(jobs, {"second": legs("second", 10), "first": legs("first", 10)}, runners=1, overhead=0)
    assert run.ends == {"first": 10, "second": 20}
    swapped = simulate(jobs[::-1], {"second": legs("second", 10), "first": legs("first", 10)}, runners=1, overhead=0)
    assert swapped.ends == {"second": 10, "first": 20}


def test_when_services_report_tells_two_runs_of_one_length_apart() -> None:
    jobs = [Job("a", "a", ()), Job("b", "b", ())]
    late = simulate(jobs, {"a": legs("a", 50), "b": legs("b", 50)}, runners=2, overhead=0)
    early = simulate(jobs, {"a": legs("a", 10), "b": legs("b", 50)}, runners=2, overhead=0)
    assert late.makespan == early.makespan
    assert (late.settled, early.settled) == (100, 60)  # each service counts when its leg ends


def test_jobs_that_wait_for_each_other_are_refused() -> None:
    with pytest.raises(ValueError, match="cycle: a, b"):
        simulate([Job("a", "a", (), ("b",)), Job("b", "b", (), ("a",))], {}, runners=1, overhead=0)
