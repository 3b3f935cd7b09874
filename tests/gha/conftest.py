"""Fixtures for the local executor's tests: a real git repository and a one-call runner."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from cigen.adapters.proc import run
from tests.gha.events import Event, push_event
from tests.gha.model import RunResult
from tests.gha.runner import run_workflow

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


def git(repo: Path, *args: str) -> str:
    return run(["git", *args], cwd=repo, env=GIT_ENV).stdout.strip()


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


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


Runner = Callable[..., RunResult]


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
