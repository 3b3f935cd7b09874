"""testing.cli: cigen run in the test's process gives what the real process gives, and leaves nothing changed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.cli import CliResult, _captured_output, run_cigen, run_cigen_process
from testing.monorepos import CYCLIC, SHOP, write_monorepo


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_monorepo(tmp_path / "shop", SHOP)


@pytest.mark.parametrize(
    "args",
    [
        ("graph", "--format", "json"),
        ("graph",),
        ("graph", "--format", "yaml"),  # a usage error: exit 2, Typer's message
        ("plan", "--select", "wbe"),  # a user error with a suggestion
        ("--help",),
        (),
    ],
    ids=["json", "text", "usage-error", "user-error", "help", "no-arguments"],
)
def test_in_process_gives_what_the_real_process_gives(shop: Path, args: tuple[str, ...]) -> None:
    inside = run_cigen(*args, cwd=shop)
    outside = run_cigen_process(*args, cwd=shop)
    assert (inside.exit_code, inside.stdout, inside.stderr) == (outside.exit_code, outside.stdout, outside.stderr)


def test_the_working_directory_environment_and_streams_hold_for_the_call_only(shop: Path, tmp_path: Path) -> None:
    before = os.getcwd(), dict(os.environ), sys.stdout, sys.stderr, sys.stdin
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    env = {**os.environ, "CIGEN_TEST_ONLY": "1"}
    result = run_cigen("graph", "--format", "json", cwd=shop, env=env)
    assert result.exit_code == 0, result
    assert result.json()["root"] == "."
    assert (os.getcwd(), dict(os.environ), sys.stdout, sys.stderr, sys.stdin) == before
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers


def test_what_a_child_process_writes_to_the_inherited_descriptors_is_captured() -> None:
    # Capture is at the file-descriptor level, as for a real process: a child that inherits
    # stdout and stderr writes into the capture too, in order with what Python printed.
    with _captured_output() as captured:
        print("from python", flush=True)
        subprocess.run(["sh", "-c", "echo from a child; echo to stderr >&2"], check=True)
        print("after the child")
    assert captured.stdout == b"from python\nfrom a child\nafter the child\n"
    assert captured.stderr == b"to stderr\n"


def test_a_task_of_cigen_run_prints_through_the_captured_stdout(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "m", "private": true, "workspaces": ["p/*"]}')
    (tmp_path / "p" / "a").mkdir(parents=True)
    (tmp_path / "p" / "a" / "package.json").write_text(
        '{"name": "a", "version": "1.0.0", "scripts": {"hello": "echo hello from a task"}}'
    )
    result = run_cigen("run", "hello", "--root", str(tmp_path), cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "hello from a task" in result.stdout


def test_stdin_is_the_given_text(shop: Path) -> None:
    result = run_cigen("affected", "--files", "-", "--format", "json", cwd=shop, stdin="packages/utils/x.js\n")
    assert result.exit_code == 0, result
    assert result.json()["changed"] == ["@x/utils"]


def test_an_unhandled_exception_ends_the_call_like_the_interpreter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cigen.cli.app import TerminalReporter

    def broken(self: TerminalReporter, level: str, message: str) -> None:
        raise RuntimeError("a bug")

    # A cycle is reported as a warning, through the reporter the CLI installs.
    monkeypatch.setattr(TerminalReporter, "report", broken)
    result = run_cigen("graph", cwd=write_monorepo(tmp_path / "cyclic", CYCLIC))
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "RuntimeError: a bug" in result.stderr


def test_the_result_reads_as_lines_and_json() -> None:
    result = CliResult(("graph",), 0, '{"a": 1}\n', "cigen: warning: x\n")
    assert result.lines == ['{"a": 1}']
    assert result.stderr_lines == ["cigen: warning: x"]
    assert result.json() == {"a": 1}
    assert "exit 0" in str(result) and "cigen: warning: x" in str(result)


def test_a_command_past_its_timeout_is_interrupted_and_raises(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "m", "private": true, "workspaces": ["p/*"]}')
    (tmp_path / "p" / "a").mkdir(parents=True)
    (tmp_path / "p" / "a" / "package.json").write_text(
        '{"name": "a", "version": "1.0.0", "scripts": {"wait": "sleep 30"}}'
    )
    handler = signal.getsignal(signal.SIGINT)
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as raised:
        run_cigen("run", "wait", "--root", str(tmp_path), cwd=tmp_path, timeout=1.5)
    assert time.monotonic() - started < 15  # cigen run stopped its task on the interrupt, well before 30 s
    assert "cigen: interrupted" in str(raised.value.stderr)
    assert signal.getsignal(signal.SIGINT) is handler
