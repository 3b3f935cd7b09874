"""A started stack shared by a module's tests: ``stack_repo(tmp_path_factory, build)`` starts it once."""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from testing.runtime import RuntimeRepo


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def temporary_repo(base: Path) -> Iterator[RuntimeRepo]:
    """An empty RuntimeRepo in ``base``, with a PM2_HOME of its own; always torn down."""
    home = Path(tempfile.mkdtemp(prefix="cgv-", dir="/tmp"))  # short: PM2's socket paths are limited
    root = base / "repo"
    root.mkdir()
    repo = RuntimeRepo(root, home, _free_port)
    try:
        yield repo
    finally:
        repo.teardown()


@contextmanager
def started_repo(base: Path, build: Callable[[RuntimeRepo], None], *services: str) -> Iterator[RuntimeRepo]:
    """A RuntimeRepo in ``base`` that ``build`` fills in, with ``services`` (all when none) up; always torn down."""
    with temporary_repo(base) as repo:
        build(repo)
        repo.write()
        done = repo.cigen("up", *services)
        assert done.code == 0, done.stderr
        yield repo


CHECKED = Path(__file__).resolve().parents[2] / "testing" / "servers" / "checked.py"


def add_checked(repo: RuntimeRepo, name: str, **env: object) -> int:
    """A service running testing/servers/checked.py (see there for ROLE, BROKEN, TOKEN, UPSTREAM_PORT)."""
    port = repo.add(name, python=True, env=dict(env), start=f"{sys.executable} checked.py")
    shutil.copy(CHECKED, repo.root / "services" / name / "checked.py")
    return port
