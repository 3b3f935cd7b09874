"""Fixtures for the local executor's tests: a real git repository and a one-call runner."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from testing.gha.events import Event, push_event
from testing.gha.harness import Runner, commit_files, git
from testing.gha.model import RunResult
from testing.gha.runner import run_workflow


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with three commits on main."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit_files(path, {"README.md": "one\n"}, "first")
    commit_files(path, {"packages/a/src/a.txt": "a\n", "packages/b/src/b.txt": "b\n"}, "second")
    commit_files(path, {"README.md": "three\n"}, "third")
    return path


@pytest.fixture
def run_yaml(repo: Path, tmp_path: Path) -> Runner:
    """Run workflow text (dedented) on ``repo`` for an event (default: a push to main)."""
    counter = iter(range(1000))

    def runner(text: str, event: Event | None = None, **options: object) -> RunResult:
        workdir = tmp_path / f"run-{next(counter)}"
        return run_workflow(
            textwrap.dedent(text), repo, event or push_event(repo), workdir=workdir, step_timeout=120, **options
        )

    return runner
