"""The sampler's judgment of what the faults of `cigen verify` caused, from the files `cigen verify` keeps
(faults.json while a fault holds or the stack recovers from it, faults-history.jsonl once it is over):

- an exit or a restart of the faulted service is the fault's when PM2 stamped its event between the fault's
  apply and its undo, however late the sampler reads it (a sampler starved of CPU reads seconds late);
- any other exit is the service's, even one read while a fault holds;
- a probe that ran from the apply until the stack recovered is excused, whichever service it probed.

The sampler runs its ticks here with a clock the test sets; test_fault_report.py runs it under real PM2."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from cigen.monitor.run import Manifest, Watched
from cigen.monitor.sampler import Sampler
from cigen.runtime.daemon import Proc, ProcEvent
from cigen.runtime.probes import TcpProbe
from cigen.verify.faults import HISTORY, RECORDS

T = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T

    def __call__(self) -> float:
        return self.now


def _closed_port() -> int:
    with socket.socket() as sock:  # bound, never listening: a probe of it is refused at once
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _watched(name: str, probe: TcpProbe | None = None) -> Watched:
    return Watched(name=name, depends_on=(), port=None, probe=probe, timeout=2.0, out_log=f"/nowhere/{name}.out",
                   err_log=f"/nowhere/{name}.err", offsets=(0, 0), rules=(), ignore=(), max_memory=None,
                   max_restarts=0, max_health_failure_rate=None, unexpected_exit=True)


def _proc(name: str, restarts: int = 0) -> Proc:
    return Proc(name=name, pm_id=1, pid=None, status="online", restarts=restarts, unstable_restarts=0, exit_code=None,
                uptime_since=None, cpu=None, memory=None, out_log=None, err_log=None, spec_hash=None, module=False,
                autorestart=True)


class Watching:
    """A sampler of ``recommend`` and ``api`` with a PM2 home of its own, and the faults' files it reads."""

    def __init__(self, tmp_path: Path, probe: TcpProbe | None = None) -> None:
        self.home = tmp_path / "pm2"
        self.home.mkdir()
        (tmp_path / "run").mkdir()
        self.clock = Clock()
        self.procs = [_proc("recommend"), _proc("api")]
        services = {"recommend": _watched("recommend", probe), "api": _watched("api")}
        self.sampler = Sampler(tmp_path / "run", Manifest(started=T - 60, interval=1.0, probe_every=0.0,
                                                          services=services),
                               lambda: list(self.procs), home=self.home, clock=self.clock)

    def tick(self, at: float) -> list[dict[str, Any]]:
        self.clock.now = at
        return self.sampler.tick()

    def exit(self, name: str, at: float, restarts: int = 0, event: str = "exit") -> None:
        """PM2's bus delivered an event it stamped at ``at`` (the sampler reads it at its next tick)."""
        self.sampler.on_event(ProcEvent(event=event, name=name, pm_id=1, exit_code=0, status="stopped",
                                        restarts=restarts, manually=False, at=at))

    def wait_for_probe(self, name: str) -> None:
        probing = self.sampler.states[name].probing
        assert probing is not None
        probing.result(timeout=30)

    def holding(self, *faults: dict[str, Any]) -> None:
        (self.home / RECORDS).write_text(json.dumps(list(faults)))

    def over(self, fault: dict[str, Any], recovered: float) -> None:
        self.holding()
        with (self.home / HISTORY).open("a") as history:
            history.write(json.dumps({**fault, "recovered_at": recovered}) + "\n")


def _stop(service: str, applied: float, undone: float | None = None) -> dict[str, Any]:
    return {"id": f"f-{service}-{applied}", "kind": "stop", "service": service, "what": f"stop {service}",
            "applied_at": applied, "undone_at": undone}


def _events(records: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    return [r for r in records if r["kind"] == "event" and r["what"] == what]


def test_an_exit_pm2_stamped_inside_a_fault_is_the_faults_however_late_the_sampler_reads_it(tmp_path: Path) -> None:
    w = Watching(tmp_path)
    w.tick(T)
    w.exit("recommend", T + 2.0)  # the stop fault's exit, both of them: PM2 notifies one on exit and one on stop
    w.exit("recommend", T + 2.01)
    w.over(_stop("recommend", T + 1.0, undone=T + 3.0), recovered=T + 4.0)

    records = w.tick(T + 30.0)  # starved for half a minute: the fault is long over when the events are read

    assert [(e["t"], e.get("during_fault")) for e in _events(records, "exit")] == [(T + 2.0, True), (T + 2.01, True)]
    assert [(e["what"], e["t"]) for e in records if e.get("what", "").startswith("fault")] == \
        [("fault", T + 1.0), ("fault_undone", T + 3.0)]


def test_an_exit_before_the_fault_or_after_its_undo_is_the_services_though_read_while_it_holds(tmp_path: Path) -> None:
    w = Watching(tmp_path)
    w.tick(T)
    w.exit("recommend", T + 0.5)  # before the fault was applied
    w.exit("api", T + 2.0)  # another service, during the fault
    w.holding(_stop("recommend", T + 1.0))
    before = w.tick(T + 2.5)
    w.exit("recommend", T + 3.5)  # after the undo, while the stack recovers
    w.holding(_stop("recommend", T + 1.0, undone=T + 3.0))
    after = w.tick(T + 4.0)

    assert [(e["service"], e.get("during_fault")) for e in _events(before + after, "exit")] == \
        [("recommend", None), ("api", None), ("recommend", None)]
    assert [(e["what"], e["t"]) for e in before + after if e.get("what", "").startswith("fault")] == \
        [("fault", T + 1.0), ("fault_undone", T + 3.0)]


def test_a_restart_is_judged_by_when_pm2_restarted_it(tmp_path: Path) -> None:
    w = Watching(tmp_path)
    w.tick(T)
    w.exit("recommend", T + 2.0, restarts=1, event="online")  # started again inside the fault
    w.procs = [_proc("recommend", restarts=1), _proc("api")]
    w.over(_stop("recommend", T + 1.0, undone=T + 3.0), recovered=T + 3.5)
    inside = w.tick(T + 20.0)
    w.exit("recommend", T + 20.5, restarts=1)  # it crashed; the list shows PM2's restart before its online event
    w.procs = [_proc("recommend", restarts=2), _proc("api")]
    outside = w.tick(T + 21.0)

    assert [(e["t"], e.get("during_fault")) for e in _events(inside + outside, "restart")] == \
        [(T + 2.0, True), (T + 21.0, None)]


def test_a_probe_that_ran_until_the_stack_recovered_is_excused_whichever_service_it_probed(tmp_path: Path) -> None:
    w = Watching(tmp_path, probe=TcpProbe("127.0.0.1", _closed_port()))  # recommend's probe: refused each time
    failed = []
    for at in (T + 0.2, T + 4.0, T + 6.0, T + 8.0):  # each tick judges the probe of the one before, starts one
        if at == T + 4.0:
            w.holding(_stop("api", T + 1.0, undone=T + 3.0))  # undone, the stack not healthy again yet
        if at == T + 6.0:
            w.over(_stop("api", T + 1.0, undone=T + 3.0), recovered=T + 5.0)
        failed += _events(w.tick(at), "probe_failed")
        w.wait_for_probe("recommend")
    w.sampler.probes.shutdown()

    # Judged at 4 (ran at 0.2, before the fault), 6 (ran at 4, recovering), 8 (ran at 6, recovered).
    assert [(e["t"], e.get("during_fault")) for e in failed] == [(T + 4.0, None), (T + 6.0, True), (T + 8.0, None)]


def test_the_history_is_read_once_line_by_line(tmp_path: Path) -> None:
    w = Watching(tmp_path)
    w.over(_stop("recommend", T + 1.0, undone=T + 2.0), recovered=T + 3.0)
    first = w.tick(T + 5.0)
    with (w.home / HISTORY).open("a") as history:
        history.write('{"id": "half')  # being written: read at the next look, when it is whole
    again = w.tick(T + 6.0)

    assert len([r for r in first if r.get("what", "").startswith("fault")]) == 2
    assert [r for r in again if r["kind"] == "event"] == []
