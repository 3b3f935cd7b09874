"""The PM2 client: which pm2, which PM2_HOME, one daemon per project spawned once (daemon), and liveness by PID."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from cigen.errors import ToolError
from cigen.runtime import daemon, pm2, processes
from testing.paths import NODE_BIN


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("CIGEN_PM2", "CIGEN_PM2_HOME", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_each_project_gets_its_own_short_stable_private_pm2_home(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    deep = tmp_path / ("very-long-folder-name-" * 6) / "repo"
    a, again, b = pm2.pm2_home(deep), pm2.pm2_home(deep), pm2.pm2_home(tmp_path / "other")
    assert a == again != b
    assert a.parent == tmp_path / "cigen" and len(a.name) == 12
    assert len(os.fsencode(a / "interactor.sock")) <= 107
    assert (tmp_path / "cigen").stat().st_mode & 0o777 == 0o700


def test_without_xdg_runtime_dir_the_home_is_under_a_private_tmp_folder(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = pm2.pm2_home(tmp_path)
    assert home.parent.name == f"cigen-{os.getuid()}"
    assert home.parent.stat().st_mode & 0o077 == 0


def test_a_base_folder_that_is_a_symlink_is_refused(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "cigen").symlink_to(tmp_path / "elsewhere")
    clean_env.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    with pytest.raises(ToolError, match="is not a private folder of this user"):
        pm2.pm2_home(tmp_path / "repo")


def test_cigen_pm2_home_overrides_and_a_too_long_one_is_refused(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CIGEN_PM2_HOME", "/tmp/mine")
    assert pm2.pm2_home(tmp_path) == Path("/tmp/mine")
    clean_env.setenv("CIGEN_PM2_HOME", "/tmp/" + "x" * 100)
    with pytest.raises(ToolError, match="too long for PM2's unix sockets") as info:
        pm2.pm2_home(tmp_path)
    assert "CIGEN_PM2_HOME" in str(info.value.hint)


def test_pm2_is_found_in_the_projects_node_modules_first(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pm2").symlink_to(NODE_BIN / "pm2")
    found = pm2.find_pm2(tmp_path)
    assert found.executable == bin_dir / "pm2"
    assert found.version == json.loads((NODE_BIN.parent / "pm2" / "package.json").read_text())["version"]
    assert found.package == (NODE_BIN.parent / "pm2").resolve()


def test_pm2_is_found_on_path_or_through_cigen_pm2(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    assert pm2.find_pm2(tmp_path).executable == NODE_BIN / "pm2"  # the suite puts tools/node first on PATH
    clean_env.setenv("CIGEN_PM2", str(NODE_BIN / "pm2"))
    assert pm2.find_pm2(tmp_path).version == pm2.PM2_VERSION


def test_a_missing_pm2_says_how_to_install_the_pinned_one(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CIGEN_PM2", str(tmp_path / "nope"))
    with pytest.raises(ToolError, match="pm2 was not found") as info:
        pm2.find_pm2(tmp_path)
    assert f"pm2@{pm2.PM2_VERSION}" in str(info.value.hint)


def test_an_old_pm2_is_refused(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    package = tmp_path / "node_modules" / "pm2"
    (package / "bin").mkdir(parents=True)
    (package / "package.json").write_text('{"name": "pm2", "version": "4.5.6"}')
    (package / "bin" / "pm2").write_text("")
    clean_env.setenv("CIGEN_PM2", str(package / "bin" / "pm2"))
    with pytest.raises(ToolError, match="pm2 4.5.6 .* is too old"):
        pm2.find_pm2(tmp_path)


def test_alive_tells_running_exited_and_zombie_processes_apart() -> None:
    proc = subprocess.Popen(["sleep", "30"])
    try:
        assert pm2.alive(proc.pid)
        proc.kill()
        for _ in range(200):  # unreaped, it is a zombie: already not alive
            if not pm2.alive(proc.pid):
                break
            threading.Event().wait(0.01)
        assert not pm2.alive(proc.pid)
        assert Path(f"/proc/{proc.pid}").exists()  # the zombie is still there: alive() saw through it
    finally:
        proc.wait()
    assert not pm2.alive(proc.pid)


def test_descendants_finds_children_of_children() -> None:
    proc = subprocess.Popen(["sh", "-c", "sleep 30 & sleep 30 & wait"])
    try:
        for _ in range(100):
            found = processes.descendants({proc.pid})
            if len(found) == 2:
                break
            threading.Event().wait(0.02)
        assert len(found) == 2
    finally:
        for pid in processes.descendants({proc.pid}):
            os.kill(pid, 9)
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_two_commands_connecting_at_once_spawn_one_daemon(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    home = Path(f"/tmp/cgt-spawn-{os.getpid()}")
    clean_env.setenv("CIGEN_PM2_HOME", str(home))
    spawned: list[bool] = []
    barrier = threading.Barrier(3)

    def connect() -> None:
        barrier.wait()
        with daemon.session(tmp_path, spawn=True) as s:
            spawned.append(s.spawned)

    threads = [threading.Thread(target=connect) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(spawned) == [False, False, True]
        assert pm2.daemon_pid(home) is not None
    finally:
        daemon.kill_daemon(tmp_path)
    assert pm2.daemon_pid(home) is None and not home.exists()


def test_a_session_without_spawn_does_not_start_a_daemon(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    home = tmp_path / "h"
    clean_env.setenv("CIGEN_PM2_HOME", str(home))
    with daemon.session(tmp_path, spawn=False) as s:
        assert (s.bridge, s.list()) == (None, [])
    assert pm2.daemon_pid(home) is None and not home.exists()
