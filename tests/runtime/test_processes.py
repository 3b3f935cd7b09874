"""Which PIDs are this project's: a pid file that names another process must never get it signalled.

No PM2 here: the processes are `sleep`s that a pid file names, some dressed as PM2's (its
PM2_HOME in their environment, its daemon's title as their command line), so that each check
(environment, start time, command line) is shown to be the one that keeps a process alive.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cigen.reporting import Recorder, reporting_to
from cigen.runtime import processes
from testing.cli import run_cigen

Start = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    (folder / "pids").mkdir(parents=True)
    return folder


@pytest.fixture
def start() -> Iterator[Start]:
    """Start a process tree (``sh`` with two ``sleep`` children) that the test expects to outlive cigen."""
    started: list[subprocess.Popen[bytes]] = []

    def run(*, env: dict[str, str] | None = None, title: str | None = None) -> subprocess.Popen[bytes]:
        # exec -a gives the shell the command line a PM2 daemon has; the sleeps are its children.
        script = f"exec -a {title!r} sh -c 'sleep 60 & sleep 60; wait'" if title else "sleep 60 & sleep 60; wait"
        proc = subprocess.Popen(["bash", "-c", script], env={**os.environ, **(env or {})}, start_new_session=True)
        started.append(proc)
        deadline = time.monotonic() + 5
        while len(processes.descendants({proc.pid})) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        return proc

    yield run
    for proc in started:
        os.killpg(proc.pid, 9)
        proc.wait()


def _tree(proc: subprocess.Popen[bytes]) -> set[int]:
    return {proc.pid} | processes.descendants({proc.pid})


def _written_before(path: Path, proc: subprocess.Popen[bytes], pid: int | None = None, *, ago: float = 0.0) -> None:
    path.write_text(f"{pid or proc.pid}\n")
    if ago:
        stamp = time.time() - ago
        os.utime(path, (stamp, stamp))


def test_down_leaves_alone_a_process_tree_whose_pid_pm2_pid_names_and_says_so(
        tmp_path: Path, home: Path, start: Start) -> None:
    # The repro without PM2: the daemon is gone and its PID now belongs to someone's sleep.
    stranger = start()
    tree = _tree(stranger)
    (home / "pm2.pid").write_text(str(stranger.pid))

    result = run_cigen("down", "--root", tmp_path, env={**os.environ, "CIGEN_PM2_HOME": str(home)})

    assert all(processes.alive(pid) for pid in tree)
    assert (result.exit_code, result.stdout) == (0, "nothing was running\n"), result
    assert result.stderr == (f"cigen: warning: {home}/pm2.pid names pid {stranger.pid}, which is not this project's "
                             f"PM2 daemon (it has no PM2_HOME): left it alone\n")


@pytest.mark.parametrize("case", ["started after the file was written", "another PM2_HOME"])
def test_a_pid_file_of_pm2s_that_names_another_process_leaves_it_alive(
        tmp_path: Path, home: Path, start: Start, case: str) -> None:
    if case == "another PM2_HOME":
        stranger = start(env={"PM2_HOME": str(tmp_path / "elsewhere")})
        _written_before(home / "pids" / "api-0.pid", stranger)
        why = f"its PM2_HOME is {tmp_path / 'elsewhere'}"
    else:  # this project's PM2_HOME, even: but the file is older than the process, so its PID was reused
        stranger = start(env={"PM2_HOME": str(home)})
        _written_before(home / "pids" / "api-0.pid", stranger, ago=3600)
        why = "it started after the file was written: its PID was reused"
    tree = _tree(stranger)

    result = run_cigen("down", "--root", tmp_path, env={**os.environ, "CIGEN_PM2_HOME": str(home)})

    assert all(processes.alive(pid) for pid in tree)
    assert (result.exit_code, result.stdout) == (0, "nothing was running\n"), result
    assert f"pids/api-0.pid names pid {stranger.pid}, which is not a process of this project's PM2 ({why})" in result.stderr


@pytest.mark.parametrize(("title", "env", "ours"), [
    ("PM2 v7.0.4: God Daemon (HOME)", {"PM2_HOME": "HOME"}, True),
    (f"{sys.executable} /x/node_modules/pm2/lib/Daemon.js", {"PM2_HOME": "HOME"}, True),  # before it sets its title
    ("My Daemon", {"PM2_HOME": "HOME", "PM2_DAEMON_TITLE": "My Daemon"}, True),
    (None, {"PM2_HOME": "HOME"}, False),  # this project's PM2_HOME, but not PM2's command line
    ("PM2 v7.0.4: God Daemon (HOME)", {"PM2_HOME": "OTHER"}, False),  # another project's daemon
    ("PM2 v7.0.4: God Daemon (HOME)", {}, False),
])
def test_the_daemon_is_known_by_its_pm2_home_and_its_command_line(
        home: Path, start: Start, title: str | None, env: dict[str, str], ours: bool) -> None:
    values = {"HOME": str(home), "OTHER": str(home.parent / "other")}
    proc = start(env={k: values.get(v, v) for k, v in env.items()},
                 title=title.replace("HOME", str(home)) if title else None)
    _written_before(home / "pm2.pid", proc)

    with reporting_to(Recorder()) as recorder:
        found = processes.daemon(home)

    assert found == (proc.pid if ours else None)
    assert len(recorder.warnings()) == (0 if ours else 1)


def test_a_pm2_pid_file_is_read_as_its_app_and_pm_id_and_only_live_pids_count(home: Path, start: Start) -> None:
    proc = start(env={"PM2_HOME": str(home)})
    _written_before(home / "pids" / "-shop-api-3.pid", proc)
    (home / "pids" / "db-0.pid").write_text("999999999\n")  # a PID no process has
    (home / "pids" / "notes.txt").write_text("not a pid file")

    assert processes.services(home) == [processes.Owned(proc.pid, "-shop-api", 3)]
    assert processes.file_name("@shop/api_v2") == "-shop-api-v2"  # as PM2 writes it
