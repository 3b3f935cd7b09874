"""The run's report: the manifest and the sampler's records folded into one JSON document (schema 1).

The keys below are a contract (CI scripts and the tests read them); they only
ever grow. The README's "Run report" section documents each.

``{"schema": 1, "run": {...}, "services": {name: {"memory": {"mean", "max"}, "cpu": {"mean", "max"},
"restarts", "log_hits": [{"rule", "file", "line", "time", "text"}], ...}}, "connections": [{"from", "to",
"declared", "observed", ...}], "thresholds": [{"rule", "service", "value", "limit", "passed"}], ...}``

Pure: records in, a dict out; reading the folder is :func:`load`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cigen.monitor.run import Manifest, Watched, read_manifest, read_records

SCHEMA = 1
SERIES_POINTS = 60  # points of each service's memory and CPU over time
TIMELINE_WINDOW = 30.0  # seconds either side of the first failure
TIMELINE_EVENTS = 200
TRANSITIONS_KEPT = 100
# The events that are something going wrong, for the timeline and the first error.
ERRORS = frozenset({"exit", "restart", "log_hit", "probe_failed", "gate_failed", "errored", "fault", "memory"})


@dataclass
class _Service:
    watched: Watched
    rss: list[tuple[float, int]] = field(default_factory=list)
    cpu: list[tuple[float, float]] = field(default_factory=list)
    procs: int = 0
    probes: list[tuple[bool, float]] = field(default_factory=list)
    listen: set[int] = field(default_factory=set)
    reach: set[int] = field(default_factory=set)
    status: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


def load(folder: Path) -> dict[str, Any] | None:
    """The report of the run recorded in ``folder``; None when no run is recorded there."""
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    return build(manifest, read_records(folder))


def build(manifest: Manifest, records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    services = {name: _Service(w) for name, w in manifest.services.items()}
    run: dict[str, Any] = {"started": manifest.started, "ended": manifest.started, "interval": manifest.interval,
                           "samples": 0, "sampler": "not started"}
    others: list[dict[str, Any]] = []  # events of no service (faults of `cigen verify`)
    proxied: set[tuple[str, str]] = set()  # (caller, target) whose proxy passed a call of the caller's
    for record in records:
        t = record.get("t", manifest.started)
        run["ended"] = max(run["ended"], t)
        kind = record.get("kind")
        if kind == "start":
            run["sampler"] = "running"
        elif kind == "end":
            run["sampler"] = "stopped"
        elif kind == "sample":
            run["samples"] += 1
            for name, entry in record.get("services", {}).items():
                if name in services:
                    _fold_sample(services[name], t, entry)
            proxied.update(_proxied(record.get("proxied", {})))
        elif kind == "event":
            target = services.get(record.get("service", ""))
            (target.events if target else others).append(record)
    for s in services.values():
        startup = s.watched.startup
        if startup is not None and startup.healthy is not None:
            run["ended"] = max(run["ended"], startup.healthy)
    run["duration"] = round(run["ended"] - run["started"], 3)
    report: dict[str, Any] = {"schema": SCHEMA, "run": run}
    report["services"] = {name: _service(s, manifest.started) for name, s in sorted(services.items())}
    report["connections"] = _connections(services, manifest.proxies, proxied)
    report["critical_path"] = _critical_path(services)
    report["thresholds"] = _thresholds(services, report["services"])
    every = [*(e for s in services.values() for e in s.events), *others]
    report["faults"] = sorted((_event(e) for e in every if e.get("what") in ("fault", "fault_undone")),
                              key=lambda e: e["time"])
    failed = [t for t in report["thresholds"] if not t["passed"]]
    run["ok"] = not failed
    if failed:
        report["failure"] = _failure(services, others, failed)
    return report


def _fold_sample(s: _Service, t: float, entry: Mapping[str, Any]) -> None:
    s.status = entry.get("status", s.status)
    if "rss" in entry:
        s.rss.append((t, int(entry["rss"])))
        s.cpu.append((t, float(entry["cpu"])))
        s.procs = max(s.procs, int(entry.get("procs", 0)))
        if s.watched.max_memory is not None and entry["rss"] > s.watched.max_memory and \
                not any(e["what"] == "memory" for e in s.events):
            s.events.append({"t": t, "kind": "event", "service": s.watched.name, "what": "memory",
                             "detail": f"memory {_mib(entry['rss'])} over the limit {_mib(s.watched.max_memory)}"})
    if "probe" in entry and not entry.get("during_fault"):  # a fault cigen verify injected is not the service's
        ok, ms = entry["probe"]
        s.probes.append((bool(ok), float(ms)))
    s.listen.update(entry.get("listen", ()))
    s.reach.update(entry.get("reach", ()))


def _service(s: _Service, started: float) -> dict[str, Any]:
    w = s.watched
    rss = [v for _, v in s.rss]
    cpu = [v for _, v in s.cpu]
    failures = sum(1 for ok, _ in s.probes if not ok)
    latencies = sorted(ms for ok, ms in s.probes if ok)
    # Sorted: an event carries the time it happened (PM2's stamp, a log line's), which may precede a sample.
    events = sorted(s.events, key=lambda e: e["t"])
    exits = [e for e in events if e["what"] == "exit"]
    hits = [e for e in s.events if e["what"] == "log_hit"]
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit["rule"]] = counts.get(hit["rule"], 0) + 1
    data: dict[str, Any] = {
        "status": s.status,
        "memory": {"mean": int(sum(rss) / len(rss)) if rss else None, "max": max(rss) if rss else None},
        "cpu": {"mean": round(sum(cpu) / len(cpu), 1) if cpu else None, "max": max(cpu) if cpu else None},
        "processes": s.procs,
        # A restart or an exit a fault of `cigen verify` caused is expected: the fault itself is in the timeline.
        "restarts": sum(int(e.get("count", 1)) for e in s.events
                        if e["what"] == "restart" and not e.get("during_fault")),
        "exits": [{"time": e["t"], "code": e.get("code"), "expected": bool(e.get("manually") or e.get("during_fault")),
                   "during_fault": bool(e.get("during_fault"))} for e in exits],
        "transitions": [{"time": e["t"], "status": e["status"]} for e in events
                        if e["what"] == "status"][-TRANSITIONS_KEPT:],
        "health": {
            "probes": len(s.probes), "failures": failures,
            "failure_rate": round(failures / len(s.probes), 4) if s.probes else None,
            "latency_ms": {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95)},
        },
        "startup": _startup(w),
        "log_hits": [{"rule": h["rule"], "file": h["file"], "line": h["line"], "time": h["t"], "text": h["text"]}
                     for h in hits if "text" in h],
        "log_hit_counts": dict(sorted(counts.items())),
        "listening": sorted(s.listen | ({w.port} if w.port else set())),
        "depends_on": list(w.depends_on),
        "series": _series(s, started),
    }
    return data


def _startup(w: Watched) -> dict[str, Any] | None:
    st = w.startup
    if st is None:
        return None
    return {"requested": st.requested, "launched": st.launched, "healthy": st.healthy,
            "spawn_to_healthy": round(st.healthy - st.launched, 3) if st.healthy and st.launched else None,
            "probes": st.probes, "probe_failures": st.failures, "probe_gap": st.probe_gap}


def _series(s: _Service, started: float) -> list[list[float]]:
    """[seconds into the run, memory MiB, CPU %] at most SERIES_POINTS times: each the bucket's maximum."""
    if not s.rss:
        return []
    size = math.ceil(len(s.rss) / SERIES_POINTS)
    points = []
    for i in range(0, len(s.rss), size):
        chunk_rss, chunk_cpu = s.rss[i:i + size], s.cpu[i:i + size]
        points.append([round(chunk_rss[-1][0] - started, 1), round(max(v for _, v in chunk_rss) / 1048576, 1),
                       round(max(v for _, v in chunk_cpu), 1)])
    return points


def _percentile(values: list[float], p: int) -> float | None:
    """Nearest rank, as Prometheus and most load tools report a percentile of samples."""
    if not values:
        return None
    return round(values[max(0, math.ceil(p / 100 * len(values)) - 1)], 1)


def _proxied(counts: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The edges a proxy's count of requests proves: the proxy of a service only one caller refers to passed
    a request, so that caller made it. (A proxy shared by callers cannot say whose it passed: the socket table
    does, for the connections it sees.)"""
    return {(proxy["callers"][0], target) for target, proxy in counts.items()
            if len(proxy["callers"]) == 1 and proxy["requests"] > 0}


def _connections(services: dict[str, _Service], proxies: Mapping[int, str],
                 proxied: set[tuple[str, str]]) -> list[dict[str, Any]]:
    owner = dict(proxies)
    for name, s in services.items():
        for port in s.listen | ({s.watched.port} if s.watched.port else set()):
            owner.setdefault(port, name)
    observed = {(name, owner[p]) for name, s in services.items() for p in s.reach if p in owner and owner[p] != name}
    observed |= {(source, target) for source, target in proxied if source in services and target in services}
    declared = {(name, dep) for name, s in services.items() for dep in s.watched.depends_on if dep in services}
    found = []
    for source, target in sorted(declared | observed):
        found.append({"from": source, "to": target, "declared": (source, target) in declared,
                      "observed": (source, target) in observed, "reachable": _reachable(services[target])})
    return found


def _reachable(s: _Service) -> bool:
    """It answered: a probe of the sampler passed, or, before any, its start-up gate did."""
    if s.probes:
        return any(ok for ok, _ in s.probes)
    startup = s.watched.startup
    return s.status == "online" or bool(startup and startup.healthy)


def _critical_path(services: dict[str, _Service]) -> dict[str, Any] | None:
    """The chain of start-ups that decided when the last service was healthy: from the last one back through
    the dependency that became healthy last (its start waited for that one)."""
    healthy = {n: s.watched.startup for n, s in services.items()
               if s.watched.startup is not None and s.watched.startup.healthy is not None}
    if not healthy:
        return None
    path = [max(healthy, key=lambda n: (healthy[n].healthy or 0.0, n))]
    while True:
        deps = [d for d in services[path[-1]].watched.depends_on if d in healthy]
        if not deps:
            break
        path.append(max(deps, key=lambda d: (healthy[d].healthy or 0.0, d)))
    path.reverse()
    first = min(st.requested for st in healthy.values())
    end = healthy[path[-1]].healthy or first
    steps = [{"service": n, "started": round(healthy[n].requested - first, 3),
              "healthy": round((healthy[n].healthy or first) - first, 3), "probe_gap": healthy[n].probe_gap}
             for n in path]
    return {"services": path, "seconds": round(end - first, 3),
            "probe_wait": round(sum(healthy[n].probe_gap for n in path), 3), "steps": steps}


def _thresholds(services: dict[str, _Service], reports: dict[str, Any]) -> list[dict[str, Any]]:
    found = []

    def check(rule: str, service: str, value: float | int | None, limit: float | int | None) -> None:
        if limit is None or value is None:
            return
        found.append({"rule": rule, "service": service, "value": value, "limit": limit, "passed": value <= limit})

    for name, s in sorted(services.items()):
        w, r = s.watched, reports[name]
        if any(e["what"] == "gate_failed" for e in s.events):
            check("healthy_at_start", name, 1, 0)
        check("max_memory", name, r["memory"]["max"], w.max_memory)
        check("max_restarts", name, r["restarts"], w.max_restarts)
        check("max_health_failure_rate", name, r["health"]["failure_rate"], w.max_health_failure_rate)
        if w.unexpected_exit:
            check("unexpected_exit", name, sum(1 for e in r["exits"] if not e["expected"]), 0)
        for rule in w.rules:
            check(f"log:{rule.name}", name, r["log_hit_counts"].get(rule.name, 0), rule.limit)
    return found


def _failure(services: dict[str, _Service], others: list[dict[str, Any]],
             failed: list[dict[str, Any]]) -> dict[str, Any]:
    """The merged timeline around the first failure, and the earliest error of the most upstream service."""
    failing = {t["service"] for t in failed}
    errors = [e for name, s in services.items() for e in s.events
              if e["what"] in ERRORS and not e.get("during_fault") and not (e["what"] == "exit" and e.get("manually"))]
    errors += [e for e in others if e.get("what") in ERRORS]
    related = [e for e in errors if e.get("service") in failing] or errors
    first = min((e["t"] for e in related), default=None)
    everything = sorted((e for s in services.values() for e in s.events), key=lambda e: e["t"])
    everything = sorted(everything + others, key=lambda e: e["t"])
    window = everything if first is None else \
        [e for e in everything if first - TIMELINE_WINDOW <= e["t"] <= first + TIMELINE_WINDOW]
    result: dict[str, Any] = {"first_failure": first, "failed": sorted(failing),
                              "timeline": [_event(e) for e in window[:TIMELINE_EVENTS]],
                              "timeline_left_out": max(0, len(window) - TIMELINE_EVENTS)}
    result["root_cause"] = _root_cause(services, errors)
    return result


def _root_cause(services: dict[str, _Service], errors: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The earliest error of a service none of whose dependencies (direct or not) had one: the most upstream."""
    erring = {e["service"] for e in errors if e.get("service") in services}
    if not erring:
        return None

    def upstream(name: str, seen: set[str]) -> set[str]:
        for dep in services[name].watched.depends_on:
            if dep in services and dep not in seen:
                seen.add(dep)
                upstream(dep, seen)
        return seen

    roots = [n for n in erring if not (upstream(n, set()) & erring)]
    earliest = min((e for e in errors if e.get("service") in roots), key=lambda e: (e["t"], e["service"]))
    return _event(earliest)


def _event(e: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in e.items() if k not in ("kind", "t")}
    return {"time": e["t"], **shown}


def _mib(size: float) -> str:
    return f"{size / 1048576:.1f} MiB"
