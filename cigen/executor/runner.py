"""``cigen run``: the loop that runs each service's :class:`~cigen.executor.work.Work` in the plan's order.

:func:`execute` runs what :func:`cigen.executor.work.prepare` made: the
:class:`~cigen.executor.schedule.Scheduler` decides what may start,
:mod:`cigen.executor.processes` runs it, and everything a person should see
goes to a :class:`Reporter`, on this thread, one whole line at a time.

A service runs its tasks one after another in the order asked (``cigen run
build test``: build, then test), as a CI leg does, and its first failing task
fails it; a task's commands (``prebuild``, ``build``, ``postbuild`` run
directly) likewise, in one process group at a time; a task it does not define is skipped, as ``npm run --if-present``
and Turborepo skip it. Its dependents wait for all of its tasks.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from cigen.adapters.proc import CannotStart
from cigen.executor.processes import TaskKey, TaskProcess, stop_all
from cigen.executor.schedule import Outcome, Scheduler
from cigen.executor.work import Step, Work, require_tools
from cigen.adapters.signals import handling

if TYPE_CHECKING:
    from cigen.executor.isolation import Worktrees
    from cigen.plan.stages import Plan

STOP_GRACE = 5.0  # seconds a task gets between SIGTERM and SIGKILL when the run is interrupted
_TICK = 0.05  # seconds between checks for exited tasks when no output arrives

TaskStatus = Literal["passed", "failed", "interrupted", "not run", "no script", "build only"]
ServiceStatus = Literal["passed", "failed", "interrupted", "not run", "skipped"]


@dataclass(frozen=True, slots=True)
class TaskResult:
    task: str
    status: TaskStatus
    seconds: float | None = None
    exit_code: int | None = None  # negative: killed by that signal
    error: str | None = None  # why it could not start


@dataclass(frozen=True, slots=True)
class ServiceResult:
    path: str
    name: str | None
    label: str
    status: ServiceStatus
    reason: str | None  # why it did not run: "depends on @shop/core", ...
    tasks: tuple[TaskResult, ...]
    build_only: bool = False  # only built, for the affected services that need it (cigen run --affected)


@dataclass(frozen=True, slots=True)
class RunResult:
    mode: str
    concurrency: int | None
    tasks: tuple[str, ...]
    services: tuple[ServiceResult, ...]  # in plan order
    seconds: float
    interrupted: bool

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(s.status in ("passed", "skipped") for s in self.services)


class Reporter:
    """What a run tells as it goes; the CLI subclasses it to print. Every call comes from one thread."""

    def run_started(self, work: Mapping[str, Work]) -> None:
        """The run begins with these services, by path in plan order."""

    def tick(self) -> None:
        """Called every few tens of milliseconds while tasks run (a live display redraws its clock)."""

    def task_started(self, work: Work, step: Step) -> None:
        """``step`` of ``work`` is starting."""

    def output(self, work: Work, step: Step, line: str) -> None:
        """One line of a task's output (stdout and stderr together), without its line break."""

    def task_finished(self, work: Work, result: TaskResult) -> None:
        """A task ended: passed, failed, or interrupted."""

    def not_run(self, result: ServiceResult) -> None:
        """A service will not run: a dependency failed, the run stopped, or it was interrupted."""

    def service_finished(self, result: ServiceResult) -> None:
        """A service's result is final, whatever it is (after :meth:`not_run` for one that will not run)."""


@dataclass
class _Active:
    work: Work
    results: list[TaskResult] = field(default_factory=list)
    process: TaskProcess | None = None
    command: int = 0  # the step's command running
    started: float = 0.0


def execute(
    plan: Plan,
    needs: Mapping[str, Sequence[str]],
    work: Mapping[str, Work],
    *,
    concurrency: int | None,
    keep_going: bool = False,
    reporter: Reporter | None = None,
    grace: float = STOP_GRACE,
    isolation: Worktrees | None = None,
    expected: Mapping[str, float] | None = None,
) -> RunResult:
    """Run ``work`` in ``plan``'s order and mode; SIGINT/SIGTERM stop every task and end the run.

    ``needs``: each service's dependencies (:func:`cigen.plan.stages.service_needs`);
    ``concurrency``: services run at once (cascade: always one); ``isolation``: each service's
    worktree, fed with its dependencies' build outputs before it starts and giving back its own after;
    ``expected``: seconds per service (:mod:`cigen.executor.history`), to start the longest remaining path first.
    """
    require_tools(work)
    return _Run(plan, needs, work, concurrency, keep_going, reporter or Reporter(), grace, isolation,
                expected).run()


class _Run:
    def __init__(self, plan: Plan, needs: Mapping[str, Sequence[str]], work: Mapping[str, Work],
                 concurrency: int | None, keep_going: bool, reporter: Reporter, grace: float,
                 isolation: Worktrees | None, expected: Mapping[str, float] | None) -> None:
        self.plan = plan
        self.work = work
        self.concurrency = 1 if plan.mode == "cascade" else concurrency
        self.reporter = reporter
        self.grace = grace
        self.isolation = isolation
        self.scheduler = Scheduler.for_plan(plan, needs, limit=concurrency, keep_going=keep_going, expected=expected)
        # queue.Queue, not SimpleQueue: on Python 3.11 a signal that interrupts SimpleQueue.get(timeout=...)
        # near its end can turn the rest of the wait into an endless one (Ctrl-C then hung cigen run).
        self.events: queue.Queue[tuple[TaskKey, str | None]] = queue.Queue()
        self.active: dict[str, _Active] = {}
        self.ended: dict[str, ServiceResult] = {}
        self.signals: list[int] = []

    def run(self) -> RunResult:
        began = time.monotonic()
        self.reporter.run_started(self.work)
        with _catch_signals(self.signals):
            try:
                while not self.signals:
                    while ready := self.scheduler.start():
                        for path in ready:
                            self._begin(path)
                    if self.scheduler.done:
                        break
                    self._pump(_TICK)
                    self._reap()
                    self.reporter.tick()
            finally:
                if self.signals or self.active:  # interrupted, or an error escaped the loop
                    self._stop()
        for path, outcome in self.scheduler.outcomes().items():
            if path not in self.ended:
                self._not_run(path, outcome)
        return RunResult(
            mode=self.plan.mode,
            concurrency=self.concurrency,
            tasks=next(iter(self.work.values())).tasks if self.work else (),
            services=tuple(self.ended[p] for p in self.plan.services),
            seconds=time.monotonic() - began,
            interrupted=bool(self.signals),
        )

    def _begin(self, path: str) -> None:
        item = self.work[path]
        if not item.steps:
            self._record(ServiceResult(path, item.name, item.label, "skipped", None, self._rows(item, []),
                                       item.build_only))
            self._finish_service(path, ok=True)
            return
        self.active[path] = _Active(item)
        if self.isolation is not None:
            try:
                self.isolation.enter(path)
            except OSError as exc:
                self._task_ended(path, TaskResult(item.steps[0].task, "failed", 0.0, None,
                                                  f"could not copy its dependencies' build outputs: {exc}"))
                return
        self._launch(path)

    def _launch(self, path: str) -> None:
        state = self.active[path]
        index = len(state.results)
        step = state.work.steps[index]
        self.reporter.task_started(state.work, step)
        state.started = time.monotonic()
        state.command = 0
        self._spawn(path)

    def _spawn(self, path: str) -> None:
        """Start the current command of the service's current step."""
        state = self.active[path]
        index = len(state.results)
        step = state.work.steps[index]
        command = step.commands[state.command]
        try:
            state.process = TaskProcess((path, index), command.argv, state.work.cwd, self._sink, command.env)
        except CannotStart as exc:
            state.process = None
            self._task_ended(path, TaskResult(step.task, "failed", time.monotonic() - state.started, None,
                                              f"could not start: {exc}"))

    def _sink(self, key: TaskKey, line: str | None) -> None:  # called on reader threads
        self.events.put((key, line))

    def _pump(self, timeout: float) -> None:
        """Hand the output that arrived to the reporter, waiting up to ``timeout`` s for the first line."""
        try:
            event = self.events.get(timeout=timeout) if timeout > 0 else self.events.get_nowait()
            while True:
                (path, index), line = event
                if line is not None:
                    self.reporter.output(self.work[path], self.work[path].steps[index], line)
                event = self.events.get_nowait()
        except queue.Empty:
            pass

    def _reap(self) -> None:
        for path, state in list(self.active.items()):
            if state.process is None or state.process.exited() is None:
                continue
            code = state.process.close()  # its output is all queued now
            self._pump(0)
            step = state.work.steps[len(state.results)]
            if code == 0 and state.command + 1 < len(step.commands):
                state.command += 1
                self._spawn(path)
                continue
            status: TaskStatus = "passed" if code == 0 else "failed"
            self._task_ended(path, TaskResult(step.task, status, time.monotonic() - state.started, code))

    def _task_ended(self, path: str, result: TaskResult) -> None:
        state = self.active[path]
        last = len(state.results) + 1 == len(state.work.steps)
        if result.status == "passed" and last and self.isolation is not None:
            try:
                self.isolation.leave(path)
            except OSError as exc:
                result = TaskResult(result.task, "failed", result.seconds, result.exit_code,
                                    f"could not copy its build outputs back: {exc}")
        state.results.append(result)
        self.reporter.task_finished(state.work, result)
        if result.status == "passed" and not last:
            self._launch(path)
            return
        del self.active[path]
        ok = result.status == "passed"
        item = state.work
        # Only a task that ran ends a service here ("not run" and "no script" rows are made by _rows).
        ended: ServiceStatus = "interrupted" if result.status == "interrupted" else "passed" if ok else "failed"
        self._record(ServiceResult(path, item.name, item.label, ended, None,
                                   self._rows(item, state.results), item.build_only))
        self._finish_service(path, ok)

    def _finish_service(self, path: str, ok: bool) -> None:
        for blocked in self.scheduler.finish(path, ok):
            self._not_run(blocked, Outcome("not run", "dependency", path))

    def _not_run(self, path: str, outcome: Outcome) -> None:
        item = self.work[path]
        if outcome.why == "dependency":
            reason = f"depends on {self.work[outcome.failed].label}" if outcome.failed else "a dependency failed"
        elif outcome.why == "stopped":
            reason = f"stopped after {self.work[outcome.failed].label} failed" if outcome.failed else "stopped"
        else:
            reason = "interrupted"
        result = ServiceResult(path, item.name, item.label, "not run", reason, self._rows(item, []), item.build_only)
        self.reporter.not_run(result)
        self._record(result)

    def _record(self, result: ServiceResult) -> None:
        self.ended[result.path] = result
        self.reporter.service_finished(result)

    def _rows(self, item: Work, results: list[TaskResult]) -> tuple[TaskResult, ...]:
        """A result per task asked for: what ran, then not run, or why it does not run (no script, build only)."""
        done = {r.task: r for r in results}
        defined = {s.task for s in item.steps}
        absent: TaskStatus = "build only" if item.build_only else "no script"
        return tuple(
            done[t] if t in done else TaskResult(t, "not run" if t in defined else absent) for t in item.tasks
        )

    def _stop(self) -> None:
        """Stop every running task (SIGTERM, then SIGKILL after the grace period or a second signal)."""
        self.scheduler.interrupt()
        running = {path: state for path, state in self.active.items() if state.process is not None}
        stop_all([s.process for s in running.values() if s.process], self.grace, hurry=lambda: len(self.signals) > 1)
        self._pump(0)
        for path, state in running.items():
            assert state.process is not None
            step = state.work.steps[len(state.results)]
            result = TaskResult(step.task, "interrupted", time.monotonic() - state.started, state.process.exited())
            state.results.append(result)
            self.reporter.task_finished(state.work, result)
            self._record(ServiceResult(path, state.work.name, state.work.label, "interrupted", None,
                                       self._rows(state.work, state.results), state.work.build_only))
        self.active.clear()


def _catch_signals(received: list[int]) -> contextlib.AbstractContextManager[None]:
    """Within the block, SIGINT and SIGTERM are recorded in ``received`` (the loop stops at the next tick)."""

    def record(signum: int, frame: object) -> None:
        received.append(signum)

    return handling(record)
