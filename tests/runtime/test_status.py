"""`cigen status` says what is true of each service, and exits 0 only when every configured one is up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from cigen.runtime import processes
from testing.runtime import RuntimeRepo

pytestmark = pytest.mark.slow


def _rows(repo: RuntimeRepo, *names: str) -> tuple[int, dict[str, dict[str, object]]]:
    """`cigen status --json`'s exit code and rows by name."""
    result = repo.cigen("status", *names, "--json")
    return result.code, {row["name"]: row for row in json.loads(result.stdout)}


def test_status_shows_an_exited_service_with_its_code_then_orphans_and_exits_1_unless_all_are_up(
        runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("db")
    # Healthy at once, then ends by itself with code 3; PM2 must not start it again.
    runtime_repo.add("job", env={"EXIT_AFTER_MS": 1000, "EXIT_CODE": 3}, restart={"autorestart": False})
    runtime_repo.write()
    assert runtime_repo.cigen("up").code == 0
    job = runtime_repo.pids("job")[0]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (processes.alive(job) or _rows(runtime_repo)[1]["job"]["status"] != "exited"):
        time.sleep(0.05)

    code, rows = _rows(runtime_repo)
    table = runtime_repo.cigen("status")

    assert code == 1  # job is configured and not up
    assert (rows["job"]["status"], rows["job"]["exit_code"], rows["job"]["pid"]) == ("exited", 3, None)
    assert (rows["db"]["status"], rows["db"]["health"]) == ("online", "healthy")
    assert table.code == 1
    assert [line.split()[:4] for line in table.stdout.splitlines()[1:]][1] == ["job", "exited", "(code", "3)"]
    assert _rows(runtime_repo, "db")[0] == 0  # as `systemctl is-active db`: the one asked about is up

    daemon = runtime_repo.daemon_pid()
    assert daemon is not None
    os.kill(daemon, signal.SIGKILL)  # the daemon dies; db's process runs on, with nothing to restart it
    while processes.alive(daemon):
        time.sleep(0.01)

    code, rows = _rows(runtime_repo)

    assert code == 1
    assert (rows["db"]["status"], rows["db"]["pid"], rows["db"]["health"]) == \
        ("orphaned", runtime_repo.pids("db")[0], "healthy")
    assert rows["job"]["status"] == "not running"
    assert runtime_repo.cigen("down").stdout == \
        f"stopped 1 process left by a PM2 daemon that had died (pid {runtime_repo.pids('db')[0]})\n"
    runtime_repo.assert_nothing_running()


def test_status_of_an_unknown_service_is_bad_input(runtime_repo: RuntimeRepo) -> None:
    runtime_repo.add("database")
    runtime_repo.write()

    result = runtime_repo.cigen("status", "databse")

    assert result.code == 2
    assert result.stderr == "cigen: error: no service is named 'databse' (did you mean 'database'?)\n"


def test_orphans_are_told_by_their_pid_files_and_a_pm2_module_is_no_service(runtime_repo: RuntimeRepo) -> None:
    # No PM2: two processes that PM2's pid files name, with the project's PM2_HOME, and no daemon.
    runtime_repo.add("@shop/db")
    runtime_repo.write()
    pids = runtime_repo.home / "pids"
    pids.mkdir(parents=True)
    env = {**os.environ, "PM2_HOME": str(runtime_repo.home)}
    left = [subprocess.Popen(["sleep", "60"], env=env) for _ in range(2)]
    try:
        (pids / "-shop-db-0.pid").write_text(str(left[0].pid))  # PM2's file name for @shop/db
        (pids / "pm2-logrotate-1.pid").write_text(str(left[1].pid))

        code, rows = _rows(runtime_repo)
    finally:
        for proc in left:
            proc.kill()
            proc.wait()

    assert code == 1
    assert [(name, row["status"], row["pid"]) for name, row in rows.items()] == [("@shop/db", "orphaned", left[0].pid)]
