"""Fixture monorepos of real services run under real PM2, each with its own PM2_HOME.

A :class:`RuntimeRepo` is an npm-workspaces monorepo in tmp whose services are
the tiny HTTP servers of ``testing/servers`` (Node, or Python); it writes their
cigen.yaml, runs the ``cigen`` CLI against it (in the test's process, through
:mod:`testing.cli`; :meth:`RuntimeRepo.popen` starts a real process for a test
that signals it), and :meth:`RuntimeRepo.teardown`
stops the project's PM2 daemon and kills any service PID still alive, so that a
failing test never leaves a process behind. Tests assert the clean state
themselves with :meth:`RuntimeRepo.assert_nothing_running`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from testing.cli import run_cigen, start_cigen_process

SERVERS = Path(__file__).resolve().parent / "servers"
# Fast gates for tests: probe every 50 ms, give up after 10 s.
FAST_HEALTH = {"interval": "50ms", "timeout": "500ms", "deadline": "10s"}


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


class RuntimeRepo:
    def __init__(self, root: Path, home: Path, port: Callable[[], int]) -> None:
        self.root, self.home, self._port = root, home, port
        self.services: dict[str, dict[str, Any]] = {}
        self.extra: dict[str, Any] = {}
        self.ports: dict[str, int] = {}

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CIGEN_PM2_HOME": str(self.home), "PYTHONUNBUFFERED": "1"}

    def add(self, name: str, *, python: bool = False, env: dict[str, Any] | None = None,
            depends_on: list[str] | None = None, health: dict[str, Any] | None = None,
            start: str | None = None, script: str | None = None, **config: Any) -> int:
        """A service on a free port; ``health`` is merged over an HTTP /health check with fast timings.
        ``script``: another Node server of ``testing/servers`` than server.js (monitored.js)."""
        port = self._port()
        self.ports[name] = port
        folder = self.root / "services" / name
        folder.mkdir(parents=True)
        script = script or ("server.py" if python else "server.js")
        shutil.copy(SERVERS / script, folder / script)
        manifest = {"name": name, "version": "1.0.0", "private": True,
                    "scripts": {"start": f"{'python3' if python else 'node'} {script}"}}
        (folder / "package.json").write_text(json.dumps(manifest, indent=2))
        entry: dict[str, Any] = {"port": port, "env": {"NAME": name, **(env or {})},
                                 "health": {"http": "/health", **FAST_HEALTH, **(health or {})}, **config}
        if start is not None or not python:
            entry["start"] = start or f"node {script}"
        else:
            entry["start"] = f"{sys.executable} {script}"
        if depends_on:
            entry["depends_on"] = depends_on
        self.services[name] = entry
        return port

    def write(self) -> RuntimeRepo:
        (self.root / "package.json").write_text(json.dumps(
            {"name": "fixture-monorepo", "private": True, "workspaces": ["services/*"]}, indent=2))
        (self.root / "cigen.yaml").write_text(yaml.safe_dump({"services": self.services, **self.extra},
                                                             sort_keys=True))
        return self

    def cigen(self, *args: str, timeout: float = 90) -> Result:
        """``cigen ARGS --root ROOT`` with this project's PM2_HOME, run in this process (testing.cli)."""
        done = run_cigen(*args, "--root", str(self.root), env=self.env, timeout=timeout)
        return Result(done.exit_code, done.stdout, done.stderr)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """The same as a real process in a session of its own, for a test that signals it."""
        return start_cigen_process(*args, "--root", str(self.root), env=self.env)

    def pids(self, name: str) -> list[int]:
        """Every PID the service ``name`` ever had (it appends its PID at each start)."""
        path = self.root / "services" / name / "pids" / f"{name}.pid"
        return [int(line) for line in path.read_text().split()] if path.exists() else []

    def all_pids(self) -> list[int]:
        return [pid for name in self.services for pid in self.pids(name)]

    def daemon_pid(self) -> int | None:
        from cigen.runtime.pm2 import daemon_pid

        return daemon_pid(self.home)

    def running(self) -> list[int]:
        from cigen.runtime.pm2 import alive

        return [pid for pid in self.all_pids() if alive(pid)]

    def assert_nothing_running(self) -> None:
        from cigen.runtime.pm2 import orphans

        assert self.running() == [], f"service processes still alive: {self.running()}"
        assert self.daemon_pid() is None, "the PM2 daemon is still running"
        assert orphans(self.home) == set()

    def teardown(self) -> None:
        from cigen.runtime.daemon import kill_daemon
        from cigen.runtime.pm2 import alive

        previous = os.environ.get("CIGEN_PM2_HOME")
        os.environ["CIGEN_PM2_HOME"] = str(self.home)
        try:
            kill_daemon(self.root, grace=3.0)
        except Exception:  # noqa: BLE001 - teardown must go on and kill by PID
            pid = self.daemon_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)
        finally:
            if previous is None:
                os.environ.pop("CIGEN_PM2_HOME", None)
            else:
                os.environ["CIGEN_PM2_HOME"] = previous
        for pid in self.all_pids():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.home, ignore_errors=True)


def progress_lines(stderr: str) -> list[tuple[str, str]]:
    """(service, what) for each progress line ``name  what...`` that ``cigen up`` printed."""
    found = []
    for line in stderr.splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2 and not line.startswith("cigen:"):
            found.append((parts[0], parts[1]))
    return found
