"""The ``runtime_repo`` fixture: a :class:`testing.runtime.RuntimeRepo` in tmp, always torn down."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from testing.runtime import RuntimeRepo


@pytest.fixture
def runtime_repo(tmp_path: Path, free_port: Callable[[], int]) -> Iterator[RuntimeRepo]:
    # A short PM2_HOME of its own (PM2's socket paths are limited to 107 bytes; tmp_path can be long).
    home = Path(tempfile.mkdtemp(prefix="cgt-", dir="/tmp"))
    root = tmp_path / "repo"
    root.mkdir()
    repo = RuntimeRepo(root, home, free_port)
    try:
        yield repo
    finally:
        repo.teardown()
