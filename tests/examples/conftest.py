"""Fixtures of the example tests: a built copy of examples/shop, and services that always stop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.examples import BUILD_ORDER, copy_example, npm_run
from testing.processes import Services


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installed copy of examples/shop with every Node member built in dependency order."""
    root = copy_example("shop", tmp_path_factory.mktemp("example"))
    for member in BUILD_ORDER:
        npm_run(root / member, "build")
    return root


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    started = Services(tmp_path)
    yield started
    started.stop_all()
