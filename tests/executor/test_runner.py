"""The run loop in-process on real npm monorepos: what the reporter hears, and each service's result."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from cigen.executor.runner import Reporter, ServiceResult, TaskResult, execute
from cigen.executor.work import Step, Work, prepare
from cigen.plan.stages import Plan, service_needs
from testing.npm_monorepo import Package, load, npm_monorepo, record


class Recorder(Reporter):
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.threads: set[str] = set()

    def _note(self, *call: str) -> None:
        self.calls.append(call)
        self.threads.add(threading.current_thread().name)

    def task_started(self, work: Work, step: Step) -> None:
        self._note("started", work.label, step.task)

    def output(self, work: Work, step: Step, line: str) -> None:
        self._note("output", work.label, step.task, line)

    def task_finished(self, work: Work, result: TaskResult) -> None:
        self._note("finished", work.label, result.task, result.status)

    def not_run(self, result: ServiceResult) -> None:
        self._note("not run", result.label, result.reason or "")


def run_all(root: Path, tasks: list[str], **options: object) -> tuple[Recorder, object]:
    config, workspace, g, plan = load(root)
    recorder = Recorder()
    result = execute(plan, service_needs(g, plan), prepare(workspace, config, plan, tasks), concurrency=1,
                     reporter=recorder, **options)
    return recorder, result


def test_the_reporter_hears_a_tasks_start_its_output_then_its_end_all_on_one_thread(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": record("build")}), "b": Package({"build": record("build")}, ["a"])})
    recorder, result = run_all(root, ["build"])
    assert result.ok
    a_calls = [c for c in recorder.calls if c[1] == "a"]
    assert a_calls[0] == ("started", "a", "build")
    assert ("output", "a", "build", "build of a says hello") in a_calls
    assert a_calls[-1] == ("finished", "a", "build", "passed")
    assert recorder.calls.index(a_calls[-1]) < recorder.calls.index(("started", "b", "build"))
    assert recorder.threads == {threading.main_thread().name}


def test_a_task_that_cannot_start_fails_its_service_and_blocks_its_dependents(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": record("build")}), "b": Package({"build": record("build")}, ["a"])})
    config, workspace, g, plan = load(root)
    work = prepare(workspace, config, plan, ["build"])
    work["packages/a"] = Work("packages/a", "a", "a", root / "no-such-folder", work["packages/a"].steps, ("build",))
    result = execute(plan, service_needs(g, plan), work, concurrency=2)
    a, b = result.services
    assert (a.status, b.status, b.reason) == ("failed", "not run", "depends on a")
    assert a.tasks[0].error.startswith("could not start: ")
    assert not result.ok


def test_services_without_any_of_the_tasks_are_skipped_and_count_as_passed(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"lib": Package({"lint": "x"}), "app": Package({"build": record("build")}, ["lib"])})
    recorder, result = run_all(root, ["build"])
    assert [(s.label, s.status) for s in result.services] == [("lib", "skipped"), ("app", "passed")]
    assert result.ok
    assert not any(c[1] == "lib" for c in recorder.calls)


def test_an_empty_plan_runs_nothing_and_passes() -> None:
    result = execute(Plan("auto", (), None, False, ()), {}, {}, concurrency=1)
    assert result.ok and result.services == ()


def test_the_json_report_holds_every_service_and_task(tmp_path: Path) -> None:
    from cigen.executor.report import summary, to_json

    root = npm_monorepo(
        tmp_path, {"a": Package({"build": record("build", 0, 2)}), "b": Package({"build": "x", "test": "y"}, ["a"])},
    )
    _, result = run_all(root, ["build", "test"])
    doc = json.loads(json.dumps(to_json(result)))
    assert [(s["name"], s["status"], s["reason"]) for s in doc["services"]] == [
        ("a", "failed", None), ("b", "not run", "depends on a"),
    ]
    assert [(t["task"], t["status"], t["exit_code"]) for t in doc["services"][0]["tasks"]] == [
        ("build", "failed", 2), ("test", "no script", None),
    ]
    table = summary(result).splitlines()
    assert table[0].split() == ["service", "task", "result", "time"]
    assert table[1].startswith("a") and "failed (exit code 2)" in table[1]
    assert "not run: depends on a" in table[3]
    assert table[-1].startswith("failed: 1 failed, 2 not run, 1 without a script in ")
