"""The run report under real PM2 tells a fault of `cigen verify` from a service failing: the exits a `stop` fault
causes are excused, however late the sampler reads PM2's events, and an exit outside any fault still fails the
run. The sampler is starved on purpose (SIGSTOP across `cigen verify`, continued seconds after the fault is
over), as a sampler on a loaded 2-core runner is: it then reads the fault's exits long after the fault."""

from __future__ import annotations

import json
import os
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from cigen.verify.faults import HISTORY
from testing.runtime import RuntimeRepo

pytestmark = pytest.mark.slow


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _report(repo: RuntimeRepo) -> tuple[int, dict[str, Any]]:
    done = repo.cigen("report", "--format", "json")
    assert done.code in (0, 1), done.stderr
    return done.code, dict(json.loads(done.stdout))


def _until(condition: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    pytest.fail(f"waited {timeout:.0f} s for {what}")


def _records(repo: RuntimeRepo) -> list[dict[str, Any]]:
    path = repo.root / ".cigen" / "logs" / "run" / "records.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_the_report_excuses_a_stop_faults_exits_read_late_and_fails_an_exit_outside_any_fault(
        tmp_path: Path) -> None:
    repo = RuntimeRepo(tmp_path / "repo", Path(tempfile.mkdtemp(prefix="cgf-", dir="/tmp")), _port)
    repo.root.mkdir()
    repo.add("db")
    repo.add("api", env={"DB_URL": "${url:db}"})
    repo.extra["monitor"] = {"interval": "250ms"}
    repo.extra["checks"] = {"db-down": {"kind": "resilience", "fault": {"stop": "db"},
                                        "request": {"service": "api"}, "expect": {"within": "2s", "status": 200}}}
    repo.write()
    try:
        assert (up := repo.cigen("up")).code == 0, up.stderr
        _until(lambda: any(r.get("what") == "watched" and r["service"] == "db" for r in _records(repo)),
               "the sampler's first look at db")
        sampler = psutil.Process(next(r["pid"] for r in _records(repo) if r["kind"] == "start"))

        sampler.send_signal(signal.SIGSTOP)
        try:
            verified = repo.cigen("verify", "db-down")
            assert verified.code == 0, verified.stdout + verified.stderr
            history = [json.loads(line) for line in (repo.home / HISTORY).read_text().splitlines()]
            assert [(f["kind"], f["service"]) for f in history] == [("stop", "db")]
            fault = history[0]
            assert fault["applied_at"] < fault["undone_at"] <= fault["recovered_at"] < time.time()
            # Starved past the fault: its exits are read seconds after it was over (the old grace was interval + 1 s).
            _until(lambda: time.time() > fault["recovered_at"] + 2, "two seconds after the fault")
            assert sampler.status() == psutil.STATUS_STOPPED
        finally:
            sampler.send_signal(signal.SIGCONT)

        code, report = _until(lambda: (r := _report(repo))[1]["services"]["db"]["exits"] and r,
                              "the stop fault's exits in the report")
        exits = report["services"]["db"]["exits"]
        assert exits and all(e["expected"] and e["during_fault"] for e in exits), exits
        assert all(fault["applied_at"] <= e["time"] <= fault["undone_at"] for e in exits), (exits, fault)
        assert code == 0, [t for t in report["thresholds"] if not t["passed"]]
        assert report["services"]["db"]["restarts"] == 0
        assert [f["what"] for f in report["faults"]] == ["fault", "fault_undone"]

        # The same service killed outside any fault: PM2 starts it again, and the run fails on it.
        killed = repo.pids("db")[-1]
        os.kill(killed, signal.SIGKILL)
        code, report = _until(lambda: (r := _report(repo))[1]["services"]["db"]["exits"][len(exits):] and r,
                              "the killed db's exit in the report")
        outside = report["services"]["db"]["exits"][len(exits):]
        assert [(e["expected"], e["during_fault"]) for e in outside] == [(False, False)]
        assert outside[0]["time"] > fault["recovered_at"]
        assert code == 1
        failed = {(t["rule"], t["service"]): t["value"] for t in report["thresholds"] if not t["passed"]}
        assert failed.get(("unexpected_exit", "db")) == 1, failed
        assert ("unexpected_exit", "api") not in failed and report["failure"]["root_cause"]["service"] == "db"

        assert (down := repo.cigen("down")).code == 0, down.stderr
        repo.assert_nothing_running()
        assert not psutil.pid_exists(sampler.pid) or sampler.status() == psutil.STATUS_ZOMBIE
    finally:
        repo.teardown()
