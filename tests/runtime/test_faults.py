"""The runtime when things go wrong around it, with real PM2: a daemon killed during `cigen up`, two `up` at
once, pm2 gone before `down`, pid files naming processes that are not the project's, Ctrl-C at awkward moments.

Each test asserts by PID that nothing of the project is left and that a bystander (a process with the
project's PM2_HOME in its environment, the closest a stranger can look to PM2's) was not touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from cigen.runtime import processes
from testing.cli import run_cigen
from testing.runtime import RuntimeRepo, progress_lines

pytestmark = pytest.mark.slow


@pytest.fixture
def bystander(runtime_repo: RuntimeRepo) -> Iterator[subprocess.Popen[bytes]]:
    """A process that must survive whatever the test does to the project."""
    proc = subprocess.Popen(["sleep", "120"], env={**os.environ, "PM2_HOME": str(runtime_repo.home)},
                            start_new_session=True)
    yield proc
    alive = processes.alive(proc.pid)
    proc.kill()
    proc.wait()
    assert alive, "cigen signalled a process that is not the project's"


def _wait_for(what: Callable[[], object], timeout: float = 20.0, every: float = 0.005) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what}")


def _daemon_process(home: Path) -> Callable[[], int | None]:
    """The PID of the PM2 daemon of ``home`` as soon as its process exists (before it writes pm2.pid)."""
    def find() -> int | None:
        for proc in psutil.process_iter(["cmdline"]):
            command = " ".join(proc.info["cmdline"] or [])
            if "God Daemon" in command or command.endswith("pm2/lib/Daemon.js"):
                try:
                    if proc.environ().get("PM2_HOME") == str(home):
                        return proc.pid
                except psutil.Error:
                    continue
        return None
    return find


def _nothing_of_the_project_runs(repo: RuntimeRepo, daemon: int | None = None) -> None:
    if daemon is not None:
        _wait_for(lambda: not processes.alive(daemon), timeout=5)
    repo.assert_nothing_running()
    assert _daemon_process(repo.home)() is None


def test_down_leaves_alone_a_process_that_got_the_pid_of_the_dead_daemon(
        runtime_repo: RuntimeRepo, bystander: subprocess.Popen[bytes]) -> None:
    # The repro: up; kill -9 the daemon and its services; a sleep now holds a PID the files name.
    runtime_repo.add("db")
    runtime_repo.write()
    assert runtime_repo.cigen("up").code == 0
    daemon = runtime_repo.daemon_pid()
    assert daemon is not None
    for pid in [daemon, *runtime_repo.all_pids()]:
        os.kill(pid, signal.SIGKILL)
    _wait_for(lambda: not runtime_repo.running() and not processes.alive(daemon))
    stranger = subprocess.Popen(["sh", "-c", "sleep 120 & sleep 120; wait"], start_new_session=True)
    try:
        tree = {stranger.pid} | _wait_for(lambda: processes.descendants({stranger.pid}))  # type: ignore[operator]
        (runtime_repo.home / "pm2.pid").write_text(str(stranger.pid))
        (next((runtime_repo.home / "pids").glob("db-*.pid"))).write_text(str(stranger.pid))

        result = runtime_repo.cigen("down")

        assert all(processes.alive(pid) for pid in tree)
        assert (result.code, result.stdout) == (0, "nothing was running\n")
        assert f"names pid {stranger.pid}, which is not this project's PM2 daemon (it has no PM2_HOME): left it alone" \
            in result.stderr
    finally:
        os.killpg(stranger.pid, signal.SIGKILL)
        stranger.wait()


def test_down_without_pm2_stops_the_daemon_and_every_service_by_pid(
        runtime_repo: RuntimeRepo, bystander: subprocess.Popen[bytes]) -> None:
    runtime_repo.add("db")
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.write()
    assert runtime_repo.cigen("up").code == 0
    daemon, services = runtime_repo.daemon_pid(), runtime_repo.all_pids()
    assert daemon is not None and len(services) == 2

    # As if node_modules/.bin/pm2 had been removed after `up`: cigen finds no pm2 anywhere.
    result = run_cigen("down", "--root", runtime_repo.root, env={**runtime_repo.env, "CIGEN_PM2": "/nonexistent/pm2"})

    assert result.exit_code == 0, result
    assert result.stdout == ("stopped api, db and the PM2 daemon by PID: pm2 was not found "
                             "(looked at $CIGEN_PM2, node_modules/.bin/pm2 and PATH)\n")
    assert not any(processes.alive(pid) for pid in [daemon, *services])
    assert not runtime_repo.home.exists()
    _nothing_of_the_project_runs(runtime_repo)


@pytest.mark.parametrize("point", ["its process appears", "db's process starts", "api starts, db healthy"])
def test_the_daemon_killed_during_up_fails_it_at_once_and_what_it_started_is_stopped_by_pid(
        runtime_repo: RuntimeRepo, bystander: subprocess.Popen[bytes], point: str) -> None:
    runtime_repo.add("db", env={"DELAY_MS": 300})
    runtime_repo.add("api", env={"DELAY_MS": 30000}, depends_on=["db"], health={"deadline": "60s"})
    runtime_repo.write()
    started = time.monotonic()
    up = runtime_repo.popen("up")
    try:
        daemon = _wait_for(_daemon_process(runtime_repo.home))
        if point != "its process appears":
            _wait_for(lambda: runtime_repo.pids("db") if point.startswith("db") else runtime_repo.pids("api"))
        os.kill(daemon, signal.SIGKILL)  # type: ignore[arg-type]
        _, stderr = up.communicate(timeout=30)
    finally:
        if up.poll() is None:
            up.kill()

    assert time.monotonic() - started < 10  # was 156 s: every request waited for a daemon that was gone
    assert up.returncode == 3, stderr
    error = stderr.splitlines()[-1]
    assert error.startswith(f"cigen: error: the PM2 daemon (pid {daemon}) died ")
    if point == "its process appears":  # PM2's client would have waited for it for ever
        assert "died while it started (killed by SIGKILL)" in error or "before it started any service" in error
    else:
        ran = ["api", "db"] if point.startswith("api") else ["db"]  # stopped last started first
        assert f"died during cigen up; stopped what this run started, by PID: {', '.join(ran)} (" in error
        assert [line for line in progress_lines(stderr) if line[1] == "stopped: by PID"] == \
            [(name, "stopped: by PID") for name in ran]
    _nothing_of_the_project_runs(runtime_repo)


def test_two_ups_at_once_the_second_waits_for_the_first_then_finds_its_services_healthy(
        runtime_repo: RuntimeRepo, bystander: subprocess.Popen[bytes]) -> None:
    runtime_repo.add("db", env={"DELAY_MS": 200})
    runtime_repo.add("api", depends_on=["db"])
    runtime_repo.write()

    ups = [runtime_repo.popen("up"), runtime_repo.popen("up")]
    outputs = [up.communicate(timeout=60) for up in ups]

    assert [up.returncode for up in ups] == [0, 0], outputs
    waited = [i for i, (_, err) in enumerate(outputs) if "cigen: waiting for cigen up" in err]
    assert len(waited) == 1
    first = ups[1 - waited[0]]
    assert f"cigen: waiting for cigen up (pid {first.pid}) to finish in this project" in outputs[waited[0]][1]
    assert "2 services healthy; 0 started, 2 already running" in outputs[waited[0]][0]
    assert [len(runtime_repo.pids(name)) for name in ("db", "api")] == [1, 1]  # each started once, by the first
    assert runtime_repo.cigen("down").code == 0
    _nothing_of_the_project_runs(runtime_repo)


@pytest.mark.parametrize("point", ["while cigen imports", "its daemon's process appears", "pm2.pid appears"])
def test_ctrl_c_while_up_starts_says_interrupted_and_leaves_no_daemon(
        runtime_repo: RuntimeRepo, bystander: subprocess.Popen[bytes], point: str) -> None:
    runtime_repo.add("db")
    runtime_repo.write()
    if point == "while cigen imports":
        # -X importtime reports each import as it ends: after typer's, cigen is still importing its commands.
        up = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "cigen", "up", "--root", str(runtime_repo.root)],
                              env=runtime_repo.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                              start_new_session=True)
        assert up.stderr is not None
        for line in iter(up.stderr.readline, b""):  # unbuffered: each line as it is written
            if line.rstrip().endswith(b" typer._click.core"):
                break
        else:
            pytest.fail("cigen never imported typer")
    else:
        up = runtime_repo.popen("up")
        if point == "pm2.pid appears":
            _wait_for(lambda: (runtime_repo.home / "pm2.pid").exists())
        else:
            _wait_for(_daemon_process(runtime_repo.home))
    try:
        os.killpg(up.pid, signal.SIGINT)
        _, err = up.communicate(timeout=30)
    finally:
        if up.poll() is None:
            up.kill()
    stderr = err if isinstance(err, str) else err.decode()

    assert up.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1].startswith("cigen: interrupted")
    time.sleep(0.5)  # a daemon spawned in the background would have written its pid file by now
    _nothing_of_the_project_runs(runtime_repo)
