"""The life of a run: interrupting `up`, running it again, `down`, `status` and `logs`, with real PM2."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import yaml

from testing.runtime import RuntimeRepo, progress_lines

pytestmark = pytest.mark.slow


def _wait_for_line(proc, text: str, timeout: float = 20.0) -> list[str]:
    """Read ``proc``'s stderr until a line contains ``text``; the lines read."""
    seen = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    pytest.fail(f"never printed {text!r}; got: {''.join(seen)}")


@pytest.mark.parametrize("how", ["SIGTERM to cigen", "SIGINT to its process group (Ctrl-C)"])
def test_interrupting_up_stops_what_it_started_and_the_daemon_it_spawned(runtime_repo: RuntimeRepo, how: str) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", env={"DELAY_MS": 30000}, depends_on=["db"], health={"deadline": "60s"})
    runtime_repo.write()
    proc = runtime_repo.popen("up")
    try:
        _wait_for_line(proc, "api  starting")
        # api's process is up (and waiting to listen) once PM2 has its pid; under load that takes a moment
        deadline = time.monotonic() + 15
        while len(runtime_repo.running()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(runtime_repo.running()) == 2
        if how.startswith("SIGTERM"):
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "cigen: interrupted" in stderr
    assert ("api", "stopped") in progress_lines(stderr) and ("db", "stopped") in progress_lines(stderr)
    runtime_repo.assert_nothing_running()


def test_down_stops_every_process_and_the_daemon_checked_by_pid(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", depends_on=["db"], instances=2, start="node server.js")
    runtime_repo.write()
    assert runtime_repo.cigen("up").code == 0
    daemon = runtime_repo.daemon_pid()
    # up gates on api's health, which its first instance gives; PM2 writes the second cluster worker's
    # pid file once that worker is online, a moment later on a loaded machine.
    deadline = time.monotonic() + 10
    while len(pids := runtime_repo.all_pids()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert daemon is not None and len(pids) == 3  # db, and api's two cluster instances

    result = runtime_repo.cigen("down")

    assert result.code == 0
    assert result.stdout.strip() == "stopped api, db and the PM2 daemon"
    from cigen.runtime.pm2 import alive

    assert not alive(daemon)
    assert [p for p in pids if alive(p)] == []
    assert not runtime_repo.home.exists()  # the PM2_HOME is removed too
    runtime_repo.assert_nothing_running()


def test_down_with_nothing_running_says_so_and_succeeds(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.write()

    result = runtime_repo.cigen("down")

    assert (result.code, result.stdout.strip()) == (0, "nothing was running")


def test_up_again_adopts_healthy_services_without_restarting_them(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.write()
    assert runtime_repo.cigen("up").code == 0
    first = {name: runtime_repo.pids(name) for name in ("db", "api")}

    again = runtime_repo.cigen("up")

    assert again.code == 0
    assert ("db", "already running and healthy") in progress_lines(again.stderr)
    assert "2 services healthy; 0 started, 2 already running" in again.stdout
    assert {name: runtime_repo.pids(name) for name in ("db", "api")} == first  # no new process
    runtime_repo.cigen("down")
    runtime_repo.assert_nothing_running()


def test_up_replaces_a_running_service_whose_definition_changed_and_keeps_the_rest(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.write()
    assert runtime_repo.cigen("up").code == 0
    db_pids = runtime_repo.pids("db")
    runtime_repo.services["api"]["env"]["LOG_LEVEL"] = "debug"
    runtime_repo.write()

    result = runtime_repo.cigen("up")

    assert result.code == 0
    lines = progress_lines(result.stderr)
    assert ("db", "already running and healthy") in lines
    assert ("api", "replacing: its definition changed") in lines
    assert runtime_repo.pids("db") == db_pids
    assert len(runtime_repo.pids("api")) == 2 and len(runtime_repo.running()) == 2
    runtime_repo.cigen("down")
    runtime_repo.assert_nothing_running()


def test_up_of_one_service_starts_only_it_and_its_dependencies(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.add("admin", depends_on=["db"])
    runtime_repo.write()

    result = runtime_repo.cigen("up", "api")

    assert result.code == 0
    assert {name for name, _ in progress_lines(result.stderr)} == {"db", "api"}
    assert runtime_repo.pids("admin") == []
    runtime_repo.cigen("down")
    runtime_repo.assert_nothing_running()


def test_a_member_without_start_in_cigen_yaml_starts_through_its_package_manager(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    del runtime_repo.services["db"]["start"]  # so: `npm run start`, the package.json script
    runtime_repo.write()

    result = runtime_repo.cigen("up")

    assert result.code == 0, result.stdout
    out_log = (runtime_repo.root / ".cigen" / "logs" / "db.out.log").read_text()
    assert "> db@1.0.0 start" in out_log and "db: listening on" in out_log
    runtime_repo.cigen("down")
    runtime_repo.assert_nothing_running()


def test_status_shows_each_service_state_pid_restarts_and_live_health(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.add("admin")
    runtime_repo.write()
    assert runtime_repo.cigen("up", "api").code == 0

    table = runtime_repo.cigen("status")
    rows = json.loads(runtime_repo.cigen("status", "--json").stdout)

    assert table.code == 1  # admin is configured and not running: not everything is up
    assert runtime_repo.cigen("status", "api", "db").code == 0
    assert table.stdout.splitlines()[0].split() == ["NAME", "STATUS", "PID", "UPTIME", "RESTARTS", "CPU", "MEMORY",
                                                    "HEALTH"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["api"]["status"] == "online" and by_name["api"]["health"] == "healthy"
    assert by_name["api"]["pid"] == runtime_repo.pids("api")[-1]
    assert by_name["api"]["restarts"] == 0 and by_name["api"]["memory"] > 0
    assert by_name["admin"]["status"] == "not running" and by_name["admin"]["health"] == "-"
    runtime_repo.cigen("down")
    runtime_repo.assert_nothing_running()


def test_status_without_a_daemon_starts_none(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.write()

    rows = json.loads(runtime_repo.cigen("status", "--json").stdout)

    assert [(r["name"], r["status"]) for r in rows] == [("db", "not running")]
    assert runtime_repo.daemon_pid() is None


def test_logs_prints_the_last_lines_of_stdout_and_stderr_and_outlives_down(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.write()
    assert runtime_repo.cigen("up").code == 0
    runtime_repo.cigen("down")

    result = runtime_repo.cigen("logs", "db", "--lines", "1")

    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "==> .cigen/logs/db.out.log (stdout) <=="
    assert lines[1].endswith(f"db: listening on {runtime_repo.ports['db']}")
    assert lines[1][:4].isdigit() and "T" in lines[1][:11]  # ISO timestamps from log_date_format
    assert lines[2] == "==> .cigen/logs/db.err.log (stderr) <=="


def test_logs_of_an_unknown_service_suggests_the_closest_name(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("database")
    runtime_repo.write()

    result = runtime_repo.cigen("logs", "databse")

    assert result.code == 2
    assert "no service is named 'databse' (did you mean 'database'?)" in result.stderr


def test_bad_services_config_is_one_line_with_the_key_and_exit_2(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db", health={"interval": "fast"})
    runtime_repo.write()

    result = runtime_repo.cigen("up")

    assert result.code == 2
    assert result.stderr.count("\n") == 1
    assert "services.db.health.interval" in result.stderr
    assert "expected a duration such as 250ms, 2s, 1m30s or a number of seconds" in result.stderr
    line = yaml.safe_load((runtime_repo.root / "cigen.yaml").read_text())
    assert line["services"]["db"]["health"]["interval"] == "fast"  # nothing the user wrote was touched


def test_log_rotation_installs_pm2_logrotate_once_with_the_configured_settings(runtime_repo: RuntimeRepo) -> None:
    # pm2 fetches the module from the npm registry (a package registry: the one network access allowed).
    runtime_repo.add("db")
    runtime_repo.extra["runtime"] = {"log_rotation": {"max_size": "1M", "retain": 3, "compress": True}}
    runtime_repo.write()

    first = runtime_repo.cigen("up", timeout=300)

    assert first.code == 0, first.stderr
    assert ("pm2-logrotate", "installing: log rotation, from the npm registry") in progress_lines(first.stderr)
    conf = json.loads((runtime_repo.home / "module_conf.json").read_text())["pm2-logrotate"]
    assert (conf["max_size"], conf["retain"], conf["compress"]) == ("1M", "3", "true")
    from cigen.runtime.daemon import session
    from cigen.runtime.pm2 import alive

    os.environ["CIGEN_PM2_HOME"] = str(runtime_repo.home)
    try:
        with session(runtime_repo.root, spawn=False) as s:
            module = [p for p in s.list(modules=True) if p.module]
    finally:
        del os.environ["CIGEN_PM2_HOME"]
    assert [(p.name, p.status) for p in module] == [("pm2-logrotate", "online")]
    assert [r["name"] for r in json.loads(runtime_repo.cigen("status", "--json").stdout)] == ["db"]

    again = runtime_repo.cigen("up")
    assert "installing" not in again.stderr

    assert runtime_repo.cigen("down").stdout.strip() == "stopped db and the PM2 daemon"
    assert not alive(module[0].pid)
    runtime_repo.assert_nothing_running()


def test_logs_follow_prints_new_lines_until_ctrl_c(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.write()
    logs = runtime_repo.root / ".cigen" / "logs"
    logs.mkdir(parents=True)
    (logs / "db.out.log").write_text("old line\n")
    proc = runtime_repo.popen("logs", "db", "--follow")
    try:
        assert proc.stdout.readline() == "==> .cigen/logs/db.out.log (stdout) <==\n"
        assert proc.stdout.readline() == "old line\n"
        assert proc.stdout.readline() == "==> .cigen/logs/db.err.log (stderr): no log yet <==\n"
        time.sleep(0.5)  # following now
        with open(logs / "db.err.log", "a") as err:
            err.write("new error line\n")
        assert proc.stdout.readline() == "new error line\n"
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_processes_left_by_a_daemon_that_died_make_up_refuse_and_down_stops_them(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.write()
    assert runtime_repo.cigen("up").code == 0
    daemon = runtime_repo.daemon_pid()
    assert daemon is not None
    os.kill(daemon, signal.SIGKILL)  # the daemon dies (OOM killer, kill -9): its services keep running
    time.sleep(0.3)
    left = sorted(runtime_repo.running())
    assert len(left) == 2

    again = runtime_repo.cigen("up")
    down = runtime_repo.cigen("down")

    assert again.code == 3
    assert (f"cigen: error: 2 processes of this project still run without their PM2 daemon "
            f"(pids {left[0]}, {left[1]}): it died (run `cigen down` to stop them)") in again.stderr
    assert down.stdout.strip() == (f"stopped 2 processes left by a PM2 daemon that had died "
                                   f"(pids {left[0]}, {left[1]})")
    runtime_repo.assert_nothing_running()
