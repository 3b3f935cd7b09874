"""The report from records (pure): figures, thresholds that fail and pass, connections through a proxy, the
start-up critical path, and for a failed run the timeline and the earliest error of the most upstream service.

The records here are what the sampler writes; test_run_report.py gets them from real services.
"""

from __future__ import annotations

from typing import Any

from cigen.config.monitor import DEFAULT_RULES
from cigen.monitor.report import build
from cigen.monitor.run import Manifest, Startup, Watched

T0 = 1_800_000_000.0
MB = 1024 * 1024


def _watched(name: str, *deps: str, port: int | None = None, startup: Startup | None = None,
             max_memory: int | None = 1024 * MB) -> Watched:
    return Watched(name=name, depends_on=deps, port=port, probe=None, timeout=2.0, out_log=f"/l/{name}.out.log",
                   err_log=f"/l/{name}.err.log", offsets=(0, 0), rules=DEFAULT_RULES, ignore=(),
                   max_memory=max_memory, max_restarts=0, max_health_failure_rate=0.2, unexpected_exit=True,
                   startup=startup)


def _manifest(*services: Watched, proxies: dict[int, str] | None = None) -> Manifest:
    return Manifest(started=T0, interval=1.0, probe_every=1.0, services={s.name: s for s in services},
                    proxies=proxies or {})


def _sample(t: float, **services: dict[str, Any]) -> dict[str, Any]:
    return {"t": T0 + t, "kind": "sample", "services": services}


def _event(t: float, service: str, what: str, **fields: Any) -> dict[str, Any]:
    return {"t": T0 + t, "kind": "event", "service": service, "what": what, **fields}


def _threshold(report: dict[str, Any], service: str, rule: str) -> dict[str, Any]:
    return next(t for t in report["thresholds"] if (t["service"], t["rule"]) == (service, rule))


def test_a_quiet_run_passes_with_its_figures() -> None:
    manifest = _manifest(_watched("db", port=5432), _watched("api", "db", port=4000))
    records = [{"t": T0, "kind": "start", "pid": 1}]
    for i in range(1, 5):
        records.append(_sample(i, db={"status": "online", "cpu": 1.0 * i, "rss": 50 * MB, "procs": 1,
                                      "probe": [True, 2.0 * i], "listen": [5432]},
                               api={"status": "online", "cpu": 0.5, "rss": 60 * MB + i * MB, "procs": 3,
                                    "reach": [5432], "listen": [4000]}))
    records.append({"t": T0 + 5, "kind": "end"})

    report = build(manifest, records)

    assert report["run"] == {"started": T0, "ended": T0 + 5, "interval": 1.0, "samples": 4, "sampler": "stopped",
                             "duration": 5.0, "ok": True}
    db, api = report["services"]["db"], report["services"]["api"]
    assert db["cpu"] == {"mean": 2.5, "max": 4.0}
    assert db["health"] == {"probes": 4, "failures": 0, "failure_rate": 0.0, "latency_ms": {"p50": 4.0, "p95": 8.0}}
    assert api["memory"] == {"mean": 60 * MB + int(2.5 * MB), "max": 64 * MB}
    assert api["processes"] == 3 and api["restarts"] == 0 and api["log_hits"] == []
    assert report["connections"] == [{"from": "api", "to": "db", "declared": True, "observed": True,
                                      "reachable": True}]
    assert all(t["passed"] for t in report["thresholds"])
    assert "failure" not in report


def test_each_threshold_fails_when_what_it_guards_goes_wrong() -> None:
    manifest = _manifest(_watched("db"), _watched("api", "db", max_memory=100 * MB))
    records = [
        _sample(1, db={"status": "online", "probe": [False, 0.5]}, api={"status": "online", "rss": 150 * MB, "cpu": 1}),
        _event(2, "api", "exit", code=1, manually=False),
        _event(3, "api", "restart", count=2),
        _event(4, "api", "log_hit", rule="python-traceback", file="/l/api.err.log", line=7,
               text="Traceback (most recent call last):"),
        _event(5, "api", "exit", code=0, manually=True),  # cigen stopped it: expected
    ]

    report = build(manifest, records)

    assert _threshold(report, "api", "max_memory") == {"rule": "max_memory", "service": "api", "value": 150 * MB,
                                                       "limit": 100 * MB, "passed": False}
    assert (_threshold(report, "api", "max_restarts")["value"], _threshold(report, "api", "max_restarts")["passed"]) \
        == (2, False)
    assert _threshold(report, "api", "unexpected_exit")["value"] == 1
    assert not _threshold(report, "api", "log:python-traceback")["passed"]
    assert _threshold(report, "api", "log:fatal")["passed"]
    assert (_threshold(report, "db", "max_health_failure_rate")["value"],
            _threshold(report, "db", "max_health_failure_rate")["passed"]) == (1.0, False)
    assert report["services"]["api"]["exits"] == [{"time": T0 + 2, "code": 1, "expected": False, "during_fault": False},
                                                  {"time": T0 + 5, "code": 0, "expected": True, "during_fault": False}]
    assert report["run"]["ok"] is False


def test_an_exit_and_a_restart_a_fault_of_cigen_verify_caused_fail_no_threshold() -> None:
    manifest = _manifest(_watched("db"), _watched("api", "db"))
    records = [
        _sample(1, db={"status": "online"}, api={"status": "online"}),
        _event(2, "db", "fault", fault="stop", detail="stop db"),
        _event(3, "db", "exit", code=0, manually=False, during_fault=True),  # the stop fault's own exit
        _event(4, "db", "restart", count=1, during_fault=True),  # its undo starts it again
        _event(5, "db", "fault_undone", fault="stop", detail="stop db"),
    ]

    report = build(manifest, records)

    db = report["services"]["db"]
    assert db["exits"] == [{"time": T0 + 3, "code": 0, "expected": True, "during_fault": True}]
    assert db["restarts"] == 0
    assert all(t["passed"] for t in report["thresholds"]), report["thresholds"]
    # The same exit outside a fault is the service failing.
    records[2] = _event(3, "db", "exit", code=0, manually=False)
    assert _threshold(build(manifest, records), "db", "unexpected_exit")["passed"] is False


def test_a_failed_run_names_the_earliest_error_of_the_most_upstream_failing_service() -> None:
    manifest = _manifest(_watched("db"), _watched("api", "db"), _watched("web", "api"))
    records = [
        _event(1, "web", "probe_failed", detail="HTTP 502"),  # the first error, but of no failed check
        _event(2, "api", "log_hit", rule="fatal", file="/l/api.err.log", line=3, text="FATAL no db"),
        _event(3, "db", "exit", code=137, manually=False),
        _event(4, "db", "log_hit", rule="fatal", file="/l/db.err.log", line=9, text="FATAL out of memory"),
        {"t": T0 + 2.5, "kind": "event", "what": "fault", "fault": "kill", "target": "db"},  # from cigen verify
        _event(200, "web", "status", status="online", was="online"),  # far from the failure: not in the window
    ]

    report = build(manifest, records)

    failure = report["failure"]
    assert failure["root_cause"] == {"time": T0 + 3, "service": "db", "what": "exit", "code": 137, "manually": False}
    assert failure["first_failure"] == T0 + 2  # api's fatal line: the first error of a service that failed
    assert failure["failed"] == ["api", "db"]
    assert [e["what"] for e in failure["timeline"]] == ["probe_failed", "log_hit", "fault", "exit", "log_hit"]
    assert report["faults"] == [{"time": T0 + 2.5, "what": "fault", "fault": "kill", "target": "db"}]


def test_connections_through_a_proxy_port_count_for_its_target_and_undeclared_ones_are_listed() -> None:
    manifest = _manifest(_watched("db", port=5432), _watched("cache", port=6379), _watched("api", "db"),
                         proxies={40001: "db"})
    records = [_sample(1, db={"status": "online"}, cache={"status": "online"},
                       api={"status": "online", "rss": MB, "cpu": 0, "reach": [40001, 6379]})]

    report = build(manifest, records)

    assert [(c["from"], c["to"], c["declared"], c["observed"]) for c in report["connections"]] == [
        ("api", "cache", False, True), ("api", "db", True, True)]


def test_a_call_a_proxy_passed_observes_its_only_callers_edge_and_a_shared_proxys_count_observes_none() -> None:
    manifest = _manifest(_watched("ledger"), _watched("vault"), _watched("search"), _watched("caller", "ledger"),
                         _watched("idler", "vault"), _watched("web", "search"), _watched("admin", "search"))
    online = {name: {"status": "online"} for name in manifest.services}
    records = [
        {**_sample(1, **online), "proxied": {"ledger": {"callers": ["caller"], "requests": 0},
                                             "vault": {"callers": ["idler"], "requests": 0}}},
        {**_sample(2, **online), "proxied": {"ledger": {"callers": ["caller"], "requests": 1},
                                             "vault": {"callers": ["idler"], "requests": 0},
                                             "search": {"callers": ["admin", "web"], "requests": 9}}},
    ]

    report = build(manifest, records)

    assert [(c["from"], c["to"], c["observed"]) for c in report["connections"]] == [
        ("admin", "search", False), ("caller", "ledger", True), ("idler", "vault", False), ("web", "search", False)]


def test_the_critical_path_follows_the_dependency_that_became_healthy_last() -> None:
    manifest = _manifest(
        _watched("db", startup=Startup(T0, T0 + 0.1, T0 + 2.0, 5, 4, 0.3)),
        _watched("auth", startup=Startup(T0, T0 + 0.1, T0 + 0.5, 1, 0, 0.0)),
        _watched("api", "db", "auth", startup=Startup(T0 + 2.0, T0 + 2.1, T0 + 3.0, 3, 2, 0.2)),
    )

    path = build(manifest, [])["critical_path"]

    assert path["services"] == ["db", "api"]
    assert (path["seconds"], path["probe_wait"]) == (3.0, 0.5)
    assert path["steps"][1] == {"service": "api", "started": 2.0, "healthy": 3.0, "probe_gap": 0.2}
