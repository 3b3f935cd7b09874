"""Real services as child processes for the example tests: start, wait for health, stop.

subprocess.Popen is used directly (not cigen.adapters.proc.run, which waits for exit):
these processes must outlive the call that starts them. Each runs in its own
session so that stopping it reaches every process its start command spawned
(``npm run start`` -> sh -> node), and its output goes to a log file that a
failure message quotes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """The status and body of GET ``url``; an HTTP error status is an answer, not an exception."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Service:
    """One started service: its process group, its log and its address."""

    def __init__(self, name: str, argv: Sequence[str], *, cwd: Path, port: int, env: Mapping[str, str], logs: Path):
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env={**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def health(self) -> tuple[int, str]:
        return http_get(f"{self.url}/health", timeout=1.0)

    def wait_healthy(self, deadline: float = 20.0) -> None:
        """Return once /health answers 200; fail at once if the process exits, else at the deadline."""
        last = "no answer yet"
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode} before it was healthy:\n{self.output()}")
            try:
                status, body = self.health()
                if status == 200:
                    return
                last = f"HTTP {status}: {body[:200]}"
            except OSError as error:
                last = str(error)
            time.sleep(0.05)
        pytest.fail(f"{self.name} was not healthy after {deadline} s (last: {last}):\n{self.output()}")

    def stop(self, grace: float = 10.0) -> int:
        """SIGTERM the whole process group, SIGKILL what is left after ``grace`` s; the exit code."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # The leader may exit before its children: make sure nothing of the group remains.
        _signal_group(self.process.pid, signal.SIGKILL)
        return self.process.returncode


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def group_alive(pgid: int) -> bool:
    """Whether any process of the process group ``pgid`` still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Services:
    """Start services for one test and stop every one of them afterwards, last started first."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[Service] = []

    def start(self, name: str, argv: Sequence[str], *, cwd: Path, port: int, env: Mapping[str, str] | None = None) -> Service:
        service = Service(name, argv, cwd=cwd, port=port, env=env or {}, logs=self.logs)
        self.started.append(service)
        return service

    def stop_all(self) -> None:
        for service in reversed(self.started):
            service.stop()
