"""`cigen up` against real PM2 and real services: the order it starts them in, and each way a gate fails.

Every test runs the real CLI, reads what a person would read (progress on
stderr, the report on stdout, the exit code) and ends with nothing running.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from testing.runtime import RuntimeRepo, progress_lines

pytestmark = pytest.mark.slow


def _events(stderr: str) -> list[str]:
    return [f"{name} {what.split(':')[0].split(' after')[0]}" for name, what in progress_lines(stderr)]


def test_a_diamond_starts_each_service_as_soon_as_its_own_dependencies_are_healthy(runtime_repo: RuntimeRepo) -> None:
    # db <- (slow, fast) <- api: fast becomes healthy long before slow, api waits for both.
    runtime_repo.add("db", env={"DELAY_MS": 200})
    runtime_repo.add("slow", env={"DELAY_MS": 900}, depends_on=["db"])
    runtime_repo.add("fast", python=True, env={"DELAY_MS": 50}, depends_on=["db"])
    runtime_repo.add("api", env={"DELAY_MS": 100}, depends_on=["fast", "slow"])
    runtime_repo.write()

    result = runtime_repo.cigen("up")

    assert result.code == 0, result.stderr + result.stdout
    assert "4 services healthy" in result.stdout
    events = _events(result.stderr)
    assert events[:2] == ["db starting", "db healthy"]
    # Both branches start the moment db is healthy, before either is healthy (concurrently).
    assert set(events[2:4]) == {"slow starting", "fast starting"}
    assert events.index("fast healthy") < events.index("slow healthy")
    # api starts only once its slowest dependency is healthy.
    assert events.index("api starting") > events.index("slow healthy")
    assert events[-1] == "api healthy"

    assert runtime_repo.cigen("down").code == 0
    runtime_repo.assert_nothing_running()


def test_json_output_lists_every_service_with_its_state_and_time_to_healthy(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.write()

    result = runtime_repo.cigen("up", "--json")

    assert result.code == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["failure"] is None and data["logs"] == ".cigen/logs"
    assert [(s["name"], s["state"], s["started"]) for s in data["services"]] == [
        ("db", "healthy", True), ("api", "healthy", True)]
    assert all(s["healthy_after"] > 0 for s in data["services"])
    runtime_repo.cigen("down")
    runtime_repo.assert_nothing_running()


def test_a_service_that_crashes_at_start_fails_its_gate_at_once_with_its_stderr(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db", env={"CRASH_AT_START": 1}, health={"deadline": "60s"})
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.add("web", depends_on=["api"])
    runtime_repo.write()

    started = time.monotonic()
    result = runtime_repo.cigen("up")

    assert time.monotonic() - started < 15, "failed at the deadline, not when the process exited"
    assert result.code == 1
    assert "db failed: exited with code 1 before it became healthy" in result.stdout
    assert "Error: cannot connect to the database at db:5432" in result.stdout  # its stderr, in the report
    assert "never started (they depend on db): api, web" in result.stdout
    assert "stopped what this run started: db" in result.stdout
    runtime_repo.assert_nothing_running()


def test_a_crash_loop_with_restart_backoff_fails_at_the_first_exit_not_at_the_deadline(runtime_repo: RuntimeRepo) -> None:
    # Up for 300 ms, then exit 3, over and over: with backoff PM2 shows it "online" or "waiting restart".
    runtime_repo.add("worker", env={"EXIT_AFTER_MS": 300, "EXIT_CODE": 3, "HEALTH": "503"},
                     health={"deadline": "60s"}, restart={"backoff": "100ms", "max_restarts": 50})
    runtime_repo.write()

    started = time.monotonic()
    result = runtime_repo.cigen("up", "--json")

    assert time.monotonic() - started < 15
    assert result.code == 1
    failure = json.loads(result.stdout)["failure"]
    assert failure["service"] == "worker"
    assert failure["reason"] == "exited with code 3 before it became healthy"
    # The last probe before the exit got a 503, or caught the process dying.
    assert failure["last_error"] in ("HTTP 503: database not ready", "connection reset by the service",
                                     "connection refused")
    assert failure["exit_code"] == 3
    assert "worker: fatal: lost the connection, exiting" in "\n".join(failure["stderr"])
    runtime_repo.assert_nothing_running()


def test_a_health_endpoint_that_hangs_fails_at_the_deadline_with_the_probe_timeout(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("api", env={"HEALTH": "hang"}, health={"timeout": "300ms", "deadline": "1500ms"})
    runtime_repo.write()

    started = time.monotonic()
    result = runtime_repo.cigen("up")
    took = time.monotonic() - started

    assert result.code == 1
    assert "api failed: not healthy within its 1.5 s deadline" in result.stdout
    assert "last error: timed out after 0.3 s" in result.stdout
    assert "pm2:        online, 0 restarts" in result.stdout
    assert 1.5 <= took < 12
    runtime_repo.assert_nothing_running()


def test_a_service_that_never_binds_its_port_fails_with_connection_refused(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("api", env={"NO_BIND": 1}, health={"deadline": "1s"})
    runtime_repo.write()

    result = runtime_repo.cigen("up")

    assert result.code == 1
    assert "api failed: not healthy within its 1 s deadline" in result.stdout
    assert f"probe:      http GET http://127.0.0.1:{runtime_repo.ports['api']}/health" in result.stdout
    assert "last error: connection refused" in result.stdout
    runtime_repo.assert_nothing_running()


def test_a_port_already_in_use_fails_before_starting_even_when_the_squatter_would_pass_the_probe(
    runtime_repo: RuntimeRepo,
) -> None:
    port = runtime_repo.add("api")
    runtime_repo.write()
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()  # a TCP probe of it would succeed: the pre-check must catch it
    try:
        result = runtime_repo.cigen("up", "--json")
    finally:
        squatter.close()

    assert result.code == 1
    data = json.loads(result.stdout)
    assert data["failure"]["reason"] == f"port {port} is already in use by another process"
    assert data["services"][0]["started"] is False
    assert runtime_repo.pids("api") == []  # never launched
    runtime_repo.assert_nothing_running()


def test_a_dependency_that_dies_while_a_dependent_waits_fails_the_run_at_once(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db", env={"EXIT_AFTER_MS": 2000})
    runtime_repo.add("api", env={"DELAY_MS": 8000}, depends_on=["db"], health={"deadline": "30s"})
    runtime_repo.write()

    started = time.monotonic()
    result = runtime_repo.cigen("up")

    assert time.monotonic() - started < 10
    assert result.code == 1
    assert "db failed: exited with code 1 after it became healthy while api was starting" in result.stdout
    assert "still starting when the run stopped: api" in result.stdout
    assert "stopped what this run started: db, api" in result.stdout
    runtime_repo.assert_nothing_running()


def test_keep_leaves_a_failed_run_running_for_inspection_until_down(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", env={"HEALTH": "503"}, depends_on=["db"], health={"deadline": "1s"})
    runtime_repo.write()

    result = runtime_repo.cigen("up", "--keep")

    assert result.code == 1
    assert "left running (--keep): db, api; `cigen down` stops them" in result.stdout
    assert len(runtime_repo.running()) == 2
    down = runtime_repo.cigen("down")
    assert down.stdout.strip() == "stopped api, db and the PM2 daemon"
    runtime_repo.assert_nothing_running()


def test_a_port_conflict_report_shows_no_log_lines_of_earlier_runs(runtime_repo: RuntimeRepo) -> None:
    port = runtime_repo.add("api")
    runtime_repo.write()
    logs = runtime_repo.root / ".cigen" / "logs"
    logs.mkdir(parents=True)
    (logs / "api.out.log").write_text("api: listening (an earlier run)\n")
    (logs / "api.err.log").write_text("api: fatal: lost the connection (an earlier run)\n")
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    try:
        result = runtime_repo.cigen("up")
    finally:
        squatter.close()

    assert result.code == 1
    assert f"api failed: port {port} is already in use by another process" in result.stdout
    assert "earlier run" not in result.stdout
    assert "--- stdout: nothing (.cigen/logs/api.out.log) ---" in result.stdout
    assert "--- stderr: nothing (.cigen/logs/api.err.log) ---" in result.stdout
    runtime_repo.assert_nothing_running()
