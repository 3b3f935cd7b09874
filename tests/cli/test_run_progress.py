"""``cigen run``'s live status area: drawn on a terminal (a pseudo-terminal here), never in a pipe."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from cigen.cli.run_output import LivePrinter
from cigen.executor.runner import ServiceResult, TaskResult
from cigen.executor.work import Command, Step, Work
from testing.cli import run_cigen
from testing.npm_monorepo import Package, npm_monorepo, record

ESC = "\x1b["


def on_a_terminal(root: Path, *args: str) -> tuple[int, str]:
    """Run cigen as a process whose stdout and stderr are a pseudo-terminal; its exit code and all it wrote."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "cigen", *args], cwd=root, stdin=subprocess.DEVNULL,
                               stdout=terminal, stderr=terminal, env={**os.environ, "TERM": "xterm"})
    os.close(terminal)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            data = os.read(controller, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(controller)
    return process.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_shows_the_status_area_under_the_prefixed_output(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {
        "slow": Package({"build": record("build", 1.0)}),
        "after": Package({"build": record("build")}, ["slow"]),
    })
    code, screen = on_a_terminal(root, "run", "build", "-j", "2")
    assert code == 0, screen
    assert "slow:build: build of slow says hello" in screen
    assert "1 running, 0 done, 0 failed, 1 waiting" in screen  # slow runs, after waits for it
    assert "   slow:build  " in screen  # the running task with its clock
    assert "0 running, 2 done, 0 failed, 0 waiting" in screen
    assert f"{ESC}J" in screen  # the area is erased before output scrolls above it
    assert "ok: 2 passed" in screen.replace("\r", "")


def test_no_progress_on_a_terminal_and_any_pipe_give_plain_lines(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": record("build")})})
    code, screen = on_a_terminal(root, "run", "build", "--no-progress")
    assert code == 0 and ESC not in screen and "a:build: build of a says hello" in screen
    piped = run_cigen("run", "build", "--root", str(root), cwd=root)
    assert piped.exit_code == 0 and ESC not in piped.stdout and "running," not in piped.stdout


def test_the_area_counts_each_kind_of_end_and_never_wraps() -> None:
    now = [100.0]
    stream = io.StringIO()
    columns = [30]
    printer = LivePrinter(stream, clock=lambda: now[0], columns=lambda: columns[0])
    build = Step("build", (Command(("true",)),))
    works = {name: Work(name, name, name, Path("."), (build,), ("build",)) for name in ("a", "b", "c", "d")}
    printer.run_started(works)
    printer.task_started(works["a"], build)
    now[0] += 2.5
    printer.tick()
    assert stream.getvalue().splitlines()[-1] == "   a:build  2.5 s"
    printer.task_finished(works["a"], TaskResult("build", "failed", 2.5, 1))
    printer.service_finished(ServiceResult("a", "a", "a", "failed", None, ()))
    printer.not_run(ServiceResult("b", "b", "b", "not run", "depends on a", ()))
    printer.service_finished(ServiceResult("b", "b", "b", "not run", "depends on a", ()))
    printer.service_finished(ServiceResult("c", "c", "c", "skipped", None, ()))
    area = stream.getvalue().rsplit(f"{ESC}J", 1)[1]  # what is on screen after the last erase
    assert area == "── 0 running, 1 done, 1 faile\n"  # cut to the width: no line wraps
    columns[0] = 200
    now[0] += 1
    printer.tick()
    area = stream.getvalue().rsplit(f"{ESC}J", 1)[1]
    assert area == "── 0 running, 1 done, 1 failed, 1 not run, 1 waiting · 3.5 s\n"
