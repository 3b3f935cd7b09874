"""The run's report, from real services under real PM2: one stack, started once for the module, watched by the
sampler `cigen up` starts, and read through `cigen report`, `cigen monitor` and `cigen status`.

The services: ``leaky`` grows by 80 MB; ``worker`` forks a child that holds 80 MB; ``thrower`` logs an uncaught
exception after it is healthy; ``flaky`` exits with code 7 when told and PM2 restarts it; ``api`` holds
connections to ``db`` (declared) and ``cache`` (not declared); ``caller`` makes one short HTTP call a second to
``ledger`` through ``${url:ledger}`` (cigen's proxy), and ``idler`` refers to ``vault`` the same way but never
calls it; ``chatty`` writes a line every 20 ms while
pm2-logrotate rotates its log at 1 KB. Figures are asserted with margins that hold on a loaded 2-core machine.
"""

from __future__ import annotations

import json
import re
from collections import Counter
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cigen.runtime.processes import alive
from testing.runtime import RuntimeRepo

pytestmark = pytest.mark.slow

MB = 1024 * 1024


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Run:
    repo: RuntimeRepo
    up: Any
    status: dict[str, Any]
    monitor_code: int
    monitor: dict[str, Any]
    monitor_stderr: str
    final: dict[str, Any]
    final_code: int
    markdown: str
    records: list[dict[str, Any]]
    sampler_pid: int


def _report(repo: RuntimeRepo) -> dict[str, Any]:
    result = repo.cigen("report", "--format", "json")
    assert result.code in (0, 1), result.stderr
    return dict(json.loads(result.stdout))


def _wait(repo: RuntimeRepo, ready: Callable[[dict[str, Any]], bool], what: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready(_report(repo)):
            return
        time.sleep(0.25)
    pytest.fail(f"the report never showed {what}: {json.dumps(_report(repo), indent=1)[:4000]}")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("monitored") / "repo"
    root.mkdir()
    repo = RuntimeRepo(root, Path(tempfile.mkdtemp(prefix="cgm-", dir="/tmp")), _port)
    trigger = root / "exit-now"
    db = repo.add("db", script="monitored.js")
    cache = repo.add("cache", script="monitored.js")
    repo.add("api", script="monitored.js", depends_on=["db"], env={"CONNECT_PORTS": f"{db},{cache}"})
    repo.add("ledger", script="monitored.js")
    repo.add("caller", script="monitored.js", env={"CALL_URL": "${url:ledger}/"})
    repo.add("vault", script="monitored.js")
    repo.add("idler", script="monitored.js", env={"VAULT_URL": "${url:vault}"})
    repo.add("leaky", script="monitored.js", env={"GROW_MB": 80, "GROW_EVERY_MS": 150},
             monitor={"max_memory": "90M"})
    repo.add("worker", script="monitored.js", env={"CHILD_MB": 80})
    repo.add("thrower", script="monitored.js", env={"THROW_AFTER_MS": 1000})
    repo.add("flaky", script="monitored.js", env={"EXIT_ON_FILE": str(trigger)})
    repo.add("chatty", script="monitored.js", env={"CHATTY_MS": 20}, monitor={"ignore": ["^FATAL ignored"]})
    repo.extra["monitor"] = {"interval": "250ms", "probe_every": "250ms", "quoted_hits": 1000}
    repo.extra["runtime"] = {"log_rotation": {"max_size": "1K", "check_every": 1, "retain": 100}}
    repo.write()
    try:
        up = repo.cigen("up", "--json", timeout=300)
        assert up.code == 0, up.stderr
        _wait(repo, lambda r: (r["services"]["leaky"]["memory"]["max"] or 0) > 110 * MB
              and r["services"]["thrower"]["log_hit_counts"]
              and any(c["observed"] for c in r["connections"] if c["from"] == "api")
              and any(c["observed"] for c in r["connections"] if c["from"] == "caller")
              and len(list((root / ".cigen" / "logs").glob("chatty.out__*.log"))) >= 2,
              "leaky grown, the thrower's exception, api's connections and two rotations")
        trigger.touch()
        _wait(repo, lambda r: r["services"]["flaky"]["restarts"] == 1 and r["services"]["flaky"]["status"] == "online",
              "flaky's restart")
        status = {row["name"]: row for row in json.loads(repo.cigen("status", "--json").stdout)}
        watched = repo.cigen("monitor", "--duration", "4s", "--json")
        down = repo.cigen("down")
        assert down.code == 0, down.stderr
        final = repo.cigen("report", "--format", "json")
        folder = root / ".cigen" / "logs" / "run"
        records = [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]
        yield Run(repo, json.loads(up.stdout), status, watched.code, json.loads(watched.stdout), watched.stderr,
                  json.loads(final.stdout), final.code, repo.cigen("report").stdout, records,
                  next(r["pid"] for r in records if r["kind"] == "start"))
    finally:
        repo.teardown()


def test_the_report_keeps_the_schema_1_contract(run: Run) -> None:
    report = run.final
    assert report["schema"] == 1
    for service in report["services"].values():
        assert set(service["memory"]) >= {"mean", "max"} and set(service["cpu"]) >= {"mean", "max"}
        assert isinstance(service["restarts"], int) and isinstance(service["log_hits"], list)
    for hit in (h for s in report["services"].values() for h in s["log_hits"]):
        assert set(hit) >= {"rule", "file", "line", "time", "text"}
    assert all(set(c) >= {"from", "to", "declared", "observed"} for c in report["connections"])
    assert all(set(t) >= {"rule", "service", "value", "limit", "passed"} for t in report["thresholds"])
    assert report["run"]["sampler"] == "stopped" and report["run"]["samples"] >= 10


def test_memory_that_grows_is_measured_and_fails_its_limit(run: Run) -> None:
    leaky = run.final["services"]["leaky"]
    series = [point[1] for point in leaky["series"]]
    assert leaky["memory"]["max"] >= 110 * MB  # ~40 MB of Node and 80 MB it allocated
    assert series[-1] - series[0] >= 10  # MiB grown while it was watched (it started growing before)
    assert leaky["memory"]["mean"] < leaky["memory"]["max"]
    verdict = _threshold(run.final, "leaky", "max_memory")
    assert (verdict["limit"], verdict["passed"]) == (90 * MB, False)
    assert verdict["value"] == leaky["memory"]["max"]


def test_the_memory_of_a_forked_child_counts_in_its_service(run: Run) -> None:
    worker = run.final["services"]["worker"]
    assert worker["processes"] == 2
    assert worker["memory"]["max"] >= 100 * MB  # the child's 80 MB and the parent's own
    tree = run.status["worker"]["processes"]
    assert [n["depth"] for n in tree] == [0, 1]
    assert tree[1]["memory"] >= 80 * MB
    assert run.status["worker"]["memory"] == sum(n["memory"] for n in tree)


def test_an_uncaught_exception_after_healthy_is_a_log_hit_naming_file_line_time_and_text(run: Run) -> None:
    thrower = run.final["services"]["thrower"]
    hit = thrower["log_hits"][0]
    assert hit["rule"] == "node-uncaught-exception"
    assert hit["file"].endswith(".cigen/logs/thrower.err.log")
    lines = Path(hit["file"]).read_text().splitlines()
    assert "uncaughtException: Error: boom: the cache went away" in lines[hit["line"] - 1]
    assert hit["text"] == "uncaughtException: Error: boom: the cache went away"
    healthy = thrower["startup"]["healthy"]
    assert healthy < hit["time"] < healthy + 30
    assert not _threshold(run.final, "thrower", "log:node-uncaught-exception")["passed"]
    assert _threshold(run.final, "thrower", "max_restarts")["passed"]  # it lived on


def test_an_exit_after_healthy_and_the_restart_fail_the_run(run: Run) -> None:
    flaky = run.final["services"]["flaky"]
    assert flaky["restarts"] == 1
    assert [(e["code"], e["expected"]) for e in flaky["exits"]] == [(7, False)]
    statuses = [t["status"] for t in flaky["transitions"]]
    assert statuses[0] == "online" and "online" in statuses[1:] and len(statuses) >= 3
    assert not _threshold(run.final, "flaky", "max_restarts")["passed"]
    assert not _threshold(run.final, "flaky", "unexpected_exit")["passed"]
    assert run.final_code == 1 and not run.final["run"]["ok"]


def test_connections_declared_and_undeclared_are_seen_in_the_socket_table(run: Run) -> None:
    by_pair = {(c["from"], c["to"]): c for c in run.final["connections"]}
    assert by_pair["api", "db"] == {"from": "api", "to": "db", "declared": True, "observed": True, "reachable": True}
    assert by_pair["api", "cache"] == {"from": "api", "to": "cache", "declared": False, "observed": True,
                                       "reachable": True}
    assert "api → cache" in run.markdown  # listed as undeclared


def test_short_calls_through_the_url_proxy_are_observed_and_an_edge_never_used_is_not(run: Run) -> None:
    by_pair = {(c["from"], c["to"]): c for c in run.final["connections"]}
    # caller's connections last a few milliseconds a second: the socket table, read every few seconds, misses
    # them; the proxy in front of ledger counts each one.
    assert by_pair["caller", "ledger"] == {"from": "caller", "to": "ledger", "declared": True, "observed": True,
                                           "reachable": True}
    assert by_pair["idler", "vault"] == {"from": "idler", "to": "vault", "declared": True, "observed": False,
                                         "reachable": True}  # cigen up's gate probed vault's proxy: no call
    counts = [r["proxied"] for r in run.records if r["kind"] == "sample" and "proxied" in r]
    assert counts[-1]["vault"] == {"callers": ["idler"], "requests": 0}
    assert counts[-1]["ledger"]["requests"] >= 3


def test_health_and_start_up_figures(run: Run) -> None:
    db = run.final["services"]["db"]
    assert db["health"]["probes"] >= 10 and db["health"]["failures"] == 0
    assert 0 < db["health"]["latency_ms"]["p50"] <= db["health"]["latency_ms"]["p95"] < 2000
    startup = db["startup"]
    assert startup["requested"] <= startup["launched"] < startup["healthy"]
    assert 0 < startup["spawn_to_healthy"] < 30
    path = run.final["critical_path"]
    assert path["services"][-1] in run.final["services"] and path["seconds"] > 0
    api = path["services"].index("api") if "api" in path["services"] else None
    assert api is None or path["services"][api - 1] == "db"  # api waited for db


def test_a_rotated_log_neither_loses_nor_repeats_a_line(run: Run) -> None:
    logs = run.repo.root / ".cigen" / "logs"
    rotated = sorted(logs.glob("chatty.out__*.log"))
    assert len(rotated) >= 2
    hits = [r for r in run.records if r.get("what") == "log_hit" and r["service"] == "chatty"]
    assert {h["rule"] for h in hits} == {"fatal"}  # never an ignored line
    numbers = [int(re.fullmatch(r"FATAL (\d+)", h["text"])[1]) for h in hits]  # type: ignore[index]
    on_disk = Counter(int(m[1]) for path in [logs / "chatty.out.log", *rotated]
                      for m in re.finditer(r"FATAL (\d+)\n", path.read_text()))
    # Nothing lost: each FATAL line the files hold, up to the last one read, was read as often as they hold it
    # (twice when pm2-logrotate's copies overlap, as they do when a copy outlasts its check interval on a
    # loaded machine). Nothing repeated: no line was read more often than that, or than once for a line the
    # files no longer hold (written between pm2-logrotate's copy and its truncate, which drops it).
    read = Counter(numbers)
    assert all(read[n] >= k for n, k in on_disk.items() if n <= max(numbers)), (read, on_disk)
    assert all(k <= max(1, on_disk[n]) for n, k in read.items()), (read, on_disk)
    assert numbers[0] == min(on_disk)  # from the first line of the run
    assert sum(1 for h in hits if "chatty.out__" in h["file"]) >= 1  # some were read from a rotated copy
    assert "FATAL ignored" not in json.dumps(run.final["services"]["chatty"]["log_hits"])


def test_the_markdown_report_has_tables_charts_the_matrix_and_the_first_failure(run: Run) -> None:
    text = run.markdown
    assert text.startswith("## cigen run report: FAILED")
    assert "| leaky | max_memory |" in text
    assert text.count("xychart-beta") == 2 * len(run.final["services"])
    assert "| from \\ to |" in text
    assert "### What went wrong first" in text and "Timeline around the first failure" in text
    cause = run.final["failure"]["root_cause"]
    # The earliest error of a service upstream of no other failing one; db and cache never fail.
    assert cause["service"] not in ("db", "cache", "api")


def test_monitor_watches_for_a_while_with_a_live_line_per_service_then_reports(run: Run) -> None:
    assert run.monitor_code == 1  # leaky is over its memory limit
    assert run.monitor["schema"] == 1 and run.monitor["run"]["samples"] >= 1  # a tick is slow on a loaded machine
    assert set(run.monitor["services"]) == set(run.final["services"])
    lines = [line for line in run.monitor_stderr.splitlines() if line.startswith("worker ")]
    assert len(lines) == run.monitor["run"]["samples"] and "procs 2" in lines[-1]


def test_cigen_up_started_the_sampler_and_down_left_nothing_running(run: Run) -> None:
    assert run.sampler_pid > 0 and not alive(run.sampler_pid)
    assert run.records[-1]["kind"] == "end"  # down stopped it first: it wrote its end
    run.repo.assert_nothing_running()


def _threshold(report: dict[str, Any], service: str, rule: str) -> dict[str, Any]:
    found = [t for t in report["thresholds"] if t["service"] == service and t["rule"] == rule]
    assert len(found) == 1, report["thresholds"]
    return dict(found[0])
