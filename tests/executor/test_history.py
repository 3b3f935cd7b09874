"""Each service's time per task, kept from one cigen run for the next one's order (in a cache folder of the test's)."""

from __future__ import annotations

import json
from pathlib import Path

from cigen.executor import history
from cigen.executor.runner import RunResult, ServiceResult, TaskResult


def result(*services: tuple[str, tuple[TaskResult, ...]]) -> RunResult:
    return RunResult("auto", 2, ("build", "test"),
                     tuple(ServiceResult(path, path, path, "passed", None, tasks) for path, tasks in services),
                     1.0, False)


def test_a_run_keeps_the_time_of_each_task_that_passed_over_the_older_times(tmp_path: Path) -> None:
    kept = tmp_path / "times.json"
    history.record(kept, result(("a", (TaskResult("build", "passed", 1.5), TaskResult("test", "passed", 2.0))),
                                ("b", (TaskResult("build", "passed", 0.5),))))
    history.record(kept, result(("a", (TaskResult("build", "passed", 1.0), TaskResult("test", "failed", 9.0, 1))),
                                ("c", (TaskResult("build", "interrupted", 3.0), TaskResult("test", "not run")))))
    # a's build is newer; a's failed test keeps its older time; b, not run again, keeps its own; c has none.
    assert history.read(kept) == {"build": {"a": 1.0, "b": 0.5}, "test": {"a": 2.0}}


def test_what_a_service_is_expected_to_take_is_the_sum_of_its_known_times_of_the_tasks_asked() -> None:
    times = {"build": {"a": 1.0, "b": 0.5}, "test": {"a": 2.0}}
    assert history.expected(times, ["build", "test"], ["a", "b", "c"]) == {"a": 3.0, "b": 0.5}
    assert history.expected(times, ["lint"], ["a"]) == {}


def test_an_entry_that_cannot_be_used_reads_as_no_times(tmp_path: Path) -> None:
    kept = tmp_path / "times.json"
    assert history.read(kept) == {}  # none yet
    for text in ("{ not json", json.dumps({"version": 99, "seconds": {"build": {"a": 1}}}), "[]",
                 json.dumps({"version": 1, "seconds": {"build": {"a": "slow", "b": -1, "c": 2}}})):
        kept.write_text(text)
        assert history.read(kept) in ({}, {"build": {"c": 2.0}})
    history.record(kept, result(("a", (TaskResult("build", "passed", 1.0),))))  # a bad entry is replaced
    assert history.read(kept) == {"build": {"a": 1.0, "c": 2.0}}


def test_each_monorepo_root_has_an_entry_of_its_own_in_the_cache_folder(tmp_path: Path) -> None:
    env = {"CIGEN_CACHE_DIR": str(tmp_path / "cache")}
    one, other = history.entry(tmp_path / "one", env), history.entry(tmp_path / "other", env)
    assert one != other and one.parent == other.parent == tmp_path / "cache" / "run-times"
    assert history.entry(tmp_path / "one" / ".." / "one", env) == one
