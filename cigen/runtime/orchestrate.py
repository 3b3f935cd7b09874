"""``cigen up``: start services in dependency order, each gated on its health check.

Gating is per service, as docker compose does it: a service starts the moment
every one of its dependencies is healthy, so independent services start
together and a slow branch never holds back a fast one.

A gate fails at once, not at its deadline, when the process exits, turns
``errored`` or restarts (with a restart backoff a crash loop can look "online"
to PM2 forever), when a service that was already healthy dies, or when its
port is taken by another process before it starts. Services that already run
healthy with the same definition are adopted, not restarted; one whose
definition changed, or that PM2 shows stopped or errored, is replaced.

On failure the run stops at the first failed gate; unless ``keep``, it stops
what it started (never what it adopted), and the daemon too when this run
spawned it and nothing else runs in it. An interrupt always stops what it
started. The daemon's PID is watched all along: when it dies, the run fails
within a tenth of a second with :class:`~cigen.runtime.daemon.DaemonDied`, and
what it started is stopped by PID (:meth:`Orchestrator.stop_by_pid`).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from cigen.errors import ToolError
from cigen.runtime.apps import SPEC_HASH_ENV, spec_hash
from cigen.durations import format_seconds
from cigen.runtime import processes
from cigen.runtime.daemon import DaemonDied, Pm2Error, Proc, ProcEvent, Session
from cigen.runtime.probes import ProbeResult, port_in_use, run_probe
from cigen.runtime.report import Failure, ServiceOutcome, UpResult, failure_details
from cigen.runtime.services import ServiceSpec

_SAFETY_POLL = 1.0  # seconds between `pm2 list` checks, in case an event was missed
_IN_FLIGHT_WAIT = 15.0  # seconds to wait for start requests to answer before stopping
_REFUSED_RETRY = 0.01  # seconds between probes while nothing listens on the port yet
_WATCH = 0.1  # seconds between looks at the daemon's PID: a dead daemon answers nothing, not even an error


@dataclass(frozen=True, slots=True)
class Progress:
    service: str
    what: str  # starting, replacing, adopted, healthy, failed, stopping, stopped
    detail: str = ""

    def __str__(self) -> str:
        """How a person reads it: ``healthy after 0.4 s``, ``failed: exited with code 1``."""
        if self.what == "adopted":
            return "already running and healthy"
        if not self.detail:
            return self.what
        return f"{self.what} {self.detail}" if self.what == "healthy" else f"{self.what}: {self.detail}"


@dataclass
class _Run:
    spec: ServiceSpec
    app: dict[str, Any]
    state: str = "waiting"  # waiting, starting, healthy, failed; adopted runs start in "starting"
    ours: bool = False  # started by this run
    adopted: bool = False
    replace: str | None = None  # why an existing PM2 process must be replaced
    requested: float = 0.0
    launched: float | None = None
    healthy_after: float | None = None
    pm_ids: set[int] = field(default_factory=set)
    next_probe: float | None = None
    probing: bool = False
    failures: int = 0
    last: ProbeResult | None = None
    reason: str | None = None
    log_offsets: tuple[int, int] = (0, 0)
    probes: int = 0  # every probe of the gate, and those that failed, for the run's report
    probe_failures: int = 0
    last_failed: float | None = None  # when the last failing probe answered
    probe_gap: float = 0.0  # from the last failing probe's answer to the passing one's: at most lost on probes


class Orchestrator:
    def __init__(self, session: Session, specs: dict[str, ServiceSpec], order: list[str],
                 apps: dict[str, dict[str, Any]], progress: Callable[[Progress], None]) -> None:
        assert session.bridge is not None
        self.session, self.bridge, self.order, self.progress = session, session.bridge, order, progress
        self.runs = {name: _Run(specs[name], apps[name]) for name in order}
        for run in self.runs.values():
            run.app["env"][SPEC_HASH_ENV] = spec_hash(run.app)
            # The report shows only what this run wrote to a log, not what earlier runs left there.
            run.log_offsets = (_size(run.app["out_file"]), _size(run.app["error_file"]))
        self.before: set[int] = set()  # the pm_ids the daemon had before this run: never this run's to stop
        self.inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.owner: dict[int, str] = {}  # pm_id -> service
        self.orphan_events: list[ProcEvent] = []  # events for pm_ids not known yet
        self.probes = ThreadPoolExecutor(max_workers=max(1, min(32, len(order))), thread_name_prefix="probe")
        self.failed: str | None = None
        self.failed_procs: list[Proc] = []
        self.started = time.monotonic()
        self.next_poll = self.started + _SAFETY_POLL

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        self.bridge.subscribe(lambda event: self.inbox.put(("event", event)))
        listed = self.session.list(modules=True)
        self.before = {p.pm_id for p in listed}
        self._adopt_or_mark([p for p in listed if not p.module])
        while self.failed is None and any(r.state != "healthy" for r in self.runs.values()):
            self.bridge.check_daemon()
            self._launch_ready()
            if self._failing():  # a method, not self.failed: mypy would keep the loop test's narrowing
                break
            timeout = min(_WATCH, max(0.0, self._next_due() - time.monotonic()))
            try:
                kind, item = self.inbox.get(timeout=timeout)
            except queue.Empty:
                pass
            else:
                if kind == "event":
                    self._on_event(item)
                elif kind == "started":
                    self._on_started(*item)
                else:
                    self._on_probed(*item)
            self._timers(time.monotonic())

    def _adopt_or_mark(self, procs: list[Proc]) -> None:
        by_name: dict[str, list[Proc]] = {}
        for proc in procs:
            by_name.setdefault(proc.name, []).append(proc)
        now = time.monotonic()
        for name, run in self.runs.items():
            existing = by_name.get(name)
            if not existing:
                continue
            if all(p.status == "online" for p in existing) and existing[0].spec_hash == run.app["env"][SPEC_HASH_ENV]:
                run.adopted, run.state, run.requested, run.launched, run.next_probe = True, "starting", now, now, now
                run.pm_ids = {p.pm_id for p in existing}
                self.owner.update((p.pm_id, name) for p in existing)
            elif existing[0].status != "online":
                run.replace = f"PM2 shows it {existing[0].status}"
            else:
                run.replace = "its definition changed"

    def _failing(self) -> bool:
        return self.failed is not None

    def _launch_ready(self) -> None:
        for name in self.order:
            run = self.runs[name]
            if run.state == "waiting" and all(self.runs[d].state == "healthy" for d in run.spec.depends_on):
                self._launch(name, run)
                if self.failed is not None:
                    return

    def _launch(self, name: str, run: _Run) -> None:
        run.state, run.ours, run.requested = "starting", True, time.monotonic()
        if run.replace is not None:
            self.progress(Progress(name, "replacing", run.replace))
            try:
                self.bridge.call("delete", name=name, timeout=run.spec.kill_timeout + 30)
            except Pm2Error as exc:
                return self._fail(name, f"PM2 could not remove the old process: {exc}")
        port = run.spec.port
        if port is not None and port_in_use(port):
            return self._fail(name, f"port {port} is already in use by another process", started=False)
        self.progress(Progress(name, "starting"))
        future = self.bridge.request("start", app=run.app)
        future.add_done_callback(lambda f: self.inbox.put(("started", (name, f))))

    def _next_due(self) -> float:
        due = [self.next_poll]
        for run in self.runs.values():
            if run.state == "starting":
                due.append(run.requested + run.spec.health.deadline)
            if run.state == "starting" and run.launched is not None:
                if run.spec.health.probe is None:
                    due.append(run.launched + run.spec.restart.min_uptime)
                elif not run.probing and run.next_probe is not None:
                    due.append(run.next_probe)
        return min(due)

    # -- what happens -------------------------------------------------------------------------

    def _on_started(self, name: str, future: Future[Any]) -> None:
        run = self.runs[name]
        try:
            started = future.result()
        except Pm2Error as exc:
            return self._fail(name, f"PM2 could not start it: {exc}")
        run.launched = run.next_probe = time.monotonic()
        run.pm_ids = {p["pm_id"] for p in started}
        self.owner.update((pm_id, name) for pm_id in run.pm_ids)
        early, self.orphan_events = self.orphan_events, []
        for event in early:
            self._on_event(event)

    def _on_event(self, event: ProcEvent) -> None:
        name = self.owner.get(event.pm_id)
        if name is None:
            # Maybe a process whose start has not been answered yet (it can die first): keep the event
            # while a start is in flight; otherwise it belongs to another app of the daemon.
            if any(r.ours and r.state == "starting" and r.launched is None for r in self.runs.values()):
                self.orphan_events.append(event)
            return
        run = self.runs[name]
        if event.manually or run.state == "failed":
            return
        if event.event == "restart overlimit":
            self._fail(name, "PM2 gave up restarting it (errored: too many unstable restarts)")
        elif event.event == "exit":
            self._exited(name, run, event.exit_code)

    def _exited(self, name: str, run: _Run, exit_code: int | None) -> None:
        code = "" if exit_code is None else f" with code {exit_code}"
        if run.state == "healthy":
            waiting = [n for n, r in self.runs.items() if r.state == "starting"]
            also = f" while {', '.join(waiting)} {'was' if len(waiting) == 1 else 'were'} starting" if waiting else ""
            self._fail(name, f"exited{code} after it became healthy{also}")
        else:
            self._fail(name, f"exited{code} before it became healthy")

    def _on_probed(self, name: str, started: float, result: ProbeResult) -> None:
        run = self.runs[name]
        run.probing = False
        if run.state != "starting":
            return  # a late answer (say, from a process that just died) must not hide the real last error
        run.last = result
        health = run.spec.health
        run.probes += 1
        answered = time.monotonic()
        if result.ok:
            run.probe_gap = answered - run.last_failed if run.last_failed is not None else 0.0
            return self._healthy(name, run)
        run.probe_failures, run.last_failed = run.probe_failures + 1, answered
        if started - (run.launched or started) >= health.start_period:
            run.failures += 1
            if health.retries is not None and run.failures >= health.retries:
                return self._fail(name, f"{run.failures} probes in a row failed")
        # While the port refuses connections (the process is still booting) retry at once: a refused
        # connection costs the service nothing, and it saves up to an interval on every link of the chain.
        interval = min(health.interval, _REFUSED_RETRY) if result.refused else health.interval
        run.next_probe = max(started + interval, time.monotonic())

    def _timers(self, now: float) -> None:
        if now >= self.next_poll and self.failed is None:
            self.next_poll = now + _SAFETY_POLL
            self._poll()
        for name, run in self.runs.items():
            if self.failed is not None or run.state != "starting":
                continue
            health = run.spec.health
            if now >= run.requested + health.deadline:
                self._fail(name, f"not healthy within its {format_seconds(health.deadline)} deadline")
            elif run.launched is None:
                continue  # PM2 has not answered the start yet
            elif health.probe is None:
                if now >= run.launched + run.spec.restart.min_uptime or run.adopted:
                    self._healthy(name, run)
            elif not run.probing and run.next_probe is not None and now >= run.next_probe:
                run.probing, run.next_probe = True, None
                probe, timeout = health.probe, health.timeout
                task = self.probes.submit(run_probe, probe, timeout)
                task.add_done_callback(partial(self._probed, name, now))

    def _probed(self, name: str, at: float, done: Future[ProbeResult]) -> None:  # on a probe's thread
        self.inbox.put(("probed", (name, at, done.result())))

    def _poll(self) -> None:
        """The safety net: a process PM2 shows errored, stopped or restarted fails its gate."""
        for proc in self.bridge.list():
            name = self.owner.get(proc.pm_id)
            run = self.runs.get(name) if name else None
            if run is None or run.state not in ("starting", "healthy"):
                continue
            if proc.status in ("errored", "stopped"):
                self._fail(name, f"PM2 shows it {proc.status} after {proc.restarts} restarts")  # type: ignore[arg-type]
            elif proc.status == "waiting restart" or (run.ours and proc.restarts > 0):
                # It exited and PM2's exit event is not here yet (a loaded machine delays it): the event's failure.
                self._exited(name, run, proc.exit_code)  # type: ignore[arg-type]

    def _healthy(self, name: str, run: _Run) -> None:
        run.state, run.healthy_after = "healthy", time.monotonic() - run.requested
        if run.adopted:
            self.progress(Progress(name, "adopted"))
        else:
            self.progress(Progress(name, "healthy", f"after {format_seconds(run.healthy_after)}"))

    def _fail(self, name: str, reason: str, *, started: bool = True) -> None:
        run = self.runs[name]
        run.state, run.reason = "failed", reason
        if not started:
            run.ours = False
        if self.failed is None:
            self.failed = name
            self.progress(Progress(name, "failed", reason))

    # -- the end ------------------------------------------------------------------------------

    def settle(self) -> None:
        """Wait for start requests still in flight, so that whatever they launch can be stopped."""
        deadline = time.monotonic() + _IN_FLIGHT_WAIT
        while any(r.ours and r.state == "starting" and r.launched is None
                  for r in self.runs.values()) and time.monotonic() < deadline:
            daemon = self.session.daemon
            if daemon is not None and not processes.alive(daemon):
                return  # no answer will come; what it launched is stopped by PID
            try:
                kind, item = self.inbox.get(timeout=0.05)
            except queue.Empty:
                continue
            if kind == "started":
                name, future = item
                if future.exception() is None:
                    self.runs[name].launched = time.monotonic()

    def stop_started(self) -> list[str]:
        """Delete what this run started through PM2, last started first; by PID if the daemon dies meanwhile."""
        names = [n for n in reversed(self.order) if self.runs[n].ours]
        for name in names:
            self.progress(Progress(name, "stopping"))
        stopped: list[str] = []
        try:
            self.bridge.check_daemon()
            futures = [(n, self.bridge.request("delete", name=n)) for n in names]
            for name, future in futures:
                try:
                    self.bridge.wait(future, "delete", self.runs[name].spec.kill_timeout + 30)
                except Pm2Error:
                    pass  # it was never registered: nothing to stop
                except ToolError as exc:
                    # The daemon is stuck: say so, and let `cigen down` kill by PID.
                    self.progress(Progress(name, "not stopped", f"{exc} (run `cigen down`)"))
                    continue
                stopped.append(name)
                self.progress(Progress(name, "stopped"))
        except DaemonDied:
            by_pid = self.stop_by_pid()
            stopped += [n for n in names if n in by_pid and n not in stopped]
        return stopped

    def stop_by_pid(self) -> list[str]:
        """With the daemon gone: stop each process of PM2's pid files that this run started, and what it
        started, as PM2 would (SIGINT, SIGKILL after the longest kill_timeout); their names."""
        mine = [o for o in processes.services(self.session.home) if o.pm_id not in self.before]
        names = [n for n in reversed(self.order) if any(o.name == processes.file_name(n) for o in mine)]
        grace = max((self.runs[n].spec.kill_timeout for n in names), default=0.0)
        processes.stop({o.pid for o in mine}, grace)
        for name in names:
            self.progress(Progress(name, "stopped", "by PID"))
        return names

    def result(self, *, stopped: list[str], kept: bool, daemon_stopped: bool, root: Path) -> UpResult:
        failure: Failure | None = None
        if self.failed is not None:
            run = self.runs[self.failed]
            failure = failure_details(self.failed, run.reason or "", run.spec, run.last, run.app,
                                      run.log_offsets, self.failed_procs, root)
        blocked = _dependents(self.failed, self.runs) if self.failed else set()
        outcomes = []
        for name in self.order:
            run = self.runs[name]
            state = run.state
            if state == "waiting":
                state = "blocked" if name in blocked else "not_started"
            elif state == "starting":
                state = "interrupted"
            outcomes.append(ServiceOutcome(
                name=name, state=state, started=run.ours, adopted=run.adopted, stopped=name in stopped,
                healthy_after=run.healthy_after, pm_ids=tuple(sorted(run.pm_ids)),
                blocked_by=self.failed if name in blocked else None,
                requested_at=_epoch(run.requested) if run.ours or run.adopted else None,
                launched_at=_epoch(run.launched) if run.launched is not None else None,
                probes=run.probes, probe_failures=run.probe_failures, probe_gap=round(run.probe_gap, 3),
            ))
        return UpResult(ok=self.failed is None, services=tuple(outcomes), failure=failure, kept=kept,
                        daemon_stopped=daemon_stopped, elapsed=time.monotonic() - self.started)

    def snapshot_failure(self) -> None:
        """Keep PM2's view of the failed service (status, restarts, exit code) before anything is stopped."""
        try:
            self.failed_procs = [p for p in self.bridge.list() if p.name == self.failed]
        except Exception:  # noqa: BLE001 - a report must not fail because the daemon is gone
            self.failed_procs = []


def _dependents(name: str, runs: dict[str, _Run]) -> set[str]:
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for other, run in runs.items():
            if other not in found and (name in run.spec.depends_on or found & set(run.spec.depends_on)):
                found.add(other)
                changed = True
    return found


def _epoch(monotonic: float) -> float:
    """A time.monotonic() reading as seconds since the epoch, for a report that other processes read."""
    return round(time.time() - (time.monotonic() - monotonic), 3)


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0
