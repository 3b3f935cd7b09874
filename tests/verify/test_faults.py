"""Each fault applied to a real stack under real PM2 and undone: after the block, after an exception, after
SIGINT to ``cigen verify`` in the middle of a resilience check, after SIGTERM to a process using
:func:`injected`, and, when that process was killed outright, by the next ``cigen up`` or ``cigen verify``.
The state is read from the processes themselves (by PID: gone, ``T`` for paused, running) and from what a
caller gets through the proxy (the latency, the status)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import psutil
import pytest

from cigen.app.workspace import load
from cigen.config.faults import FaultConfig
from cigen.errors import InputError
from cigen.runtime.pm2 import alive, pm2_home
from cigen.runtime.proxies import proxy_table
from cigen.verify.faults import HISTORY, RECORDS, Applied, injected, undo_leftovers
from cigen.verify.proxy_control import Mode, switch
from cigen.verify.stack import Stack, attach
from testing.runtime import RuntimeRepo
from tests.verify.conftest import started_repo

pytestmark = pytest.mark.slow


def _build(repo: RuntimeRepo) -> None:
    repo.add("recommend")
    repo.add("api", env={"RECOMMEND_URL": "${url:recommend}"})
    repo.extra["checks"] = {
        "answers": {"kind": "contract", "request": {"service": "recommend", "path": "/"}, "expect": {"status": 200}},
        # Under the pause nothing answers for 30 s: long enough to interrupt cigen verify in the middle.
        "hangs": {"kind": "resilience", "fault": {"pause": "recommend"}, "request": {"service": "recommend"},
                  "expect": {"within": "30s", "status": 200}},
    }


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeRepo]:
    with started_repo(tmp_path_factory.mktemp("faults"), _build) as started:
        yield started


@pytest.fixture(scope="module")
def attached(repo: RuntimeRepo) -> Stack:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CIGEN_PM2_HOME", str(repo.home))
        config, workspace = load(repo.root)
        return attach(repo.root, config, workspace, ["api", "recommend"])


@pytest.fixture
def stack(repo: RuntimeRepo, attached: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """The stack, with this project's PM2 home where cigen looks for it (faults reach PM2 through it)."""
    monkeypatch.setenv("CIGEN_PM2_HOME", str(repo.home))
    return attached


def fault(**written: object) -> FaultConfig:
    return FaultConfig.model_validate(written)


def get(port: int, timeout: float = 10) -> tuple[int, bytes, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/")
        answer = connection.getresponse()
        return answer.status, answer.read(), time.monotonic() - started
    finally:
        connection.close()


def tree(pid: int) -> list[psutil.Process]:
    top = psutil.Process(pid)
    return [top, *top.children(recursive=True)]


def paused(pid: int) -> bool:
    return all(p.status() == psutil.STATUS_STOPPED for p in tree(pid))


def running(pid: int) -> bool:
    return all(p.status() not in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE) for p in tree(pid))


def records(repo: RuntimeRepo) -> str:
    path = pm2_home(repo.root) / RECORDS
    return path.read_text().strip() if path.exists() else "[]"


def assert_as_before(repo: RuntimeRepo, stack: Stack) -> None:
    """Nothing left paused, stopped or proxied, nothing recorded: both services answer, through the proxy too."""
    for name in ("api", "recommend"):
        assert running(repo.pids(name)[-1]), name
        assert get(repo.ports[name])[:2] == (200, f"hello from {name}".encode())
    assert get(proxy_table(repo.root)["recommend"].port)[:2] == (200, b"hello from recommend")
    assert switch(proxy_table(repo.root)["recommend"].control).mode == Mode()
    assert records(repo) == "[]"


def test_stop_stops_the_service_through_pm2_and_starts_it_again(repo: RuntimeRepo, stack: Stack) -> None:
    before = repo.pids("recommend")[-1]
    with injected(fault(stop="recommend"), stack):
        assert not alive(before)
        assert [row.status for row in stack.status(["recommend"])] == ["stopped"]
        assert "recommend" in records(repo)
    after = repo.pids("recommend")[-1]
    assert after != before and alive(after)
    assert_as_before(repo, stack)


def test_pause_stops_the_whole_process_tree_and_continues_it(repo: RuntimeRepo, stack: Stack) -> None:
    pid = repo.pids("recommend")[-1]
    with injected(fault(pause="recommend"), stack):
        assert paused(pid)
        with pytest.raises(TimeoutError):  # the port accepts, nothing answers
            get(repo.ports["recommend"], timeout=0.5)
    assert repo.pids("recommend")[-1] == pid  # the same process, continued
    assert_as_before(repo, stack)


def test_delay_adds_latency_on_the_edge(repo: RuntimeRepo, stack: Stack) -> None:
    port = proxy_table(repo.root)["recommend"].port
    with injected(fault(delay={"service": "recommend", "by": "700ms"}), stack):
        status, body, took = get(port)
        assert (status, body) == (200, b"hello from recommend") and took >= 0.7
        assert get(repo.ports["recommend"])[2] < 0.7  # the service itself is untouched
    assert get(port)[2] < 0.7
    assert_as_before(repo, stack)


def test_error_answers_the_status_on_the_edge(repo: RuntimeRepo, stack: Stack) -> None:
    port = proxy_table(repo.root)["recommend"].port
    with injected(fault(error={"service": "recommend", "status": 502}), stack):
        assert get(port)[0] == 502
    assert_as_before(repo, stack)


def test_an_exception_in_the_block_still_undoes_the_fault(repo: RuntimeRepo, stack: Stack) -> None:
    pid = repo.pids("recommend")[-1]
    with pytest.raises(RuntimeError, match="the check failed"), injected(fault(pause="recommend"), stack):
        assert paused(pid)
        raise RuntimeError("the check failed")
    assert_as_before(repo, stack)


def test_a_delay_on_a_service_no_one_refers_to_is_refused(stack: Stack) -> None:
    with pytest.raises(InputError, match=r"no service reaches api through \$\{url:api\}"), \
            injected(fault(delay={"service": "api", "by": "1s"}), stack):
        pass


APPLY = textwrap.dedent("""
    import sys, time
    from cigen.app.workspace import load
    from cigen.config.faults import FaultConfig
    from cigen.verify.faults import injected
    from cigen.verify.stack import attach
    from pathlib import Path
    import json
    root = Path(sys.argv[1])
    config, workspace = load(root)
    with injected(FaultConfig.model_validate(json.loads(sys.argv[2])), attach(root, config, workspace)):
        print("applied", flush=True)
        time.sleep(60)
""")


def apply_in_a_process(repo: RuntimeRepo, written: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", APPLY, str(repo.root), written], env=repo.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "applied\n", process.communicate()
    return process


def test_sigterm_to_a_process_that_applied_a_fault_undoes_it(repo: RuntimeRepo, stack: Stack) -> None:
    # The pytest plugin's use: injected() in a test process, which a CI runner cancels with SIGTERM.
    process = apply_in_a_process(repo, '{"error": {"service": "recommend", "status": 503}}')
    assert get(proxy_table(repo.root)["recommend"].port)[0] == 503
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "KeyboardInterrupt" in stderr
    assert_as_before(repo, stack)


def test_sigint_to_cigen_verify_in_the_middle_of_a_fault_undoes_it(repo: RuntimeRepo, stack: Stack) -> None:
    pid = repo.pids("recommend")[-1]
    process = repo.popen("verify", "hangs")
    try:
        deadline = time.monotonic() + 60
        while not paused(pid):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert stderr.endswith("cigen: interrupted: faults undone\n")
    assert repo.pids("recommend")[-1] == pid
    assert_as_before(repo, stack)


@pytest.mark.parametrize("command", ["up", "verify"])
def test_a_fault_left_by_a_killed_process_is_undone_by_the_next_command(repo: RuntimeRepo, stack: Stack,
                                                                        command: str) -> None:
    process = apply_in_a_process(repo, '{"pause": "recommend"}')
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    pid = repo.pids("recommend")[-1]
    assert paused(pid) and "pause recommend" in records(repo)
    done = repo.cigen(*(["verify", "answers"] if command == "verify" else ["up"]))
    assert done.code == 0, done.stdout + done.stderr
    assert (f"warning: undid the fault pause recommend, left by a cigen (pid {process.pid}) that ended before "
            "undoing it") in done.stderr
    assert repo.pids("recommend")[-1] == pid  # continued, not replaced
    assert_as_before(repo, stack)


def test_down_continues_a_paused_leftover_before_stopping_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    # A paused process takes SIGINT only once continued: without the undo, down would wait out kill_timeout.
    with started_repo(tmp_path_factory.mktemp("down"), lambda repo: repo.add("recommend", kill_timeout="20s")) as repo:
        process = apply_in_a_process(repo, '{"pause": "recommend"}')
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert paused(repo.pids("recommend")[-1])
        started = time.monotonic()
        done = repo.cigen("down")
        assert done.code == 0, done.stderr
        assert "warning: undid the fault pause recommend" in done.stderr
        assert time.monotonic() - started < 15
        repo.assert_nothing_running()


def test_a_fault_undone_by_a_process_killed_while_the_services_recovered_is_only_moved_to_the_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its owner undid it (undone_at) and was killed waiting for the services to be healthy again: the next command
    # has nothing to undo, and the run's sampler gets the fault's span from the history.
    home = tmp_path / "pm2"
    home.mkdir()
    monkeypatch.setenv("CIGEN_PM2_HOME", str(home))
    owner = subprocess.Popen([sys.executable, "-c", ""])
    owner.wait()
    left = Applied(id="f1", kind="stop", service="recommend", what="stop recommend", owner=owner.pid,
                   owner_started=1.0, applied_at=time.time() - 5, undone_at=time.time() - 2)
    (home / RECORDS).write_text(json.dumps([asdict(left)]))

    assert undo_leftovers(tmp_path / "repo") == []

    assert json.loads((home / RECORDS).read_text()) == []
    [line] = [json.loads(text) for text in (home / HISTORY).read_text().splitlines()]
    assert (line["id"], line["undone_at"]) == ("f1", left.undone_at) and line["recovered_at"] > left.undone_at
