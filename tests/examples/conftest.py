"""Fixtures of the example tests: a built copy of examples/shop, and services that always stop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.examples import built_shop, copy_run_example
from testing.processes import Services


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installed copy of examples/shop with every Node member built in dependency order, the module's own.

    The install and the builds are made once per run (:func:`built_shop`) and copied for each module:
    a module may change its copy (test_up moves its ports), and a copy costs a fraction of an
    ``npm ci`` and ten builds.
    """
    return copy_run_example(built_shop(tmp_path_factory), tmp_path_factory.mktemp("example"))


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    started = Services(tmp_path)
    yield started
    started.stop_all()
