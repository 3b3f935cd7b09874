"""Fixtures of the example tests: a built copy of examples/shop, and services that always stop."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.examples import BUILD_ORDER, copy_example, npm_run
from testing.once import once_per_run
from testing.processes import Services


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installed copy of examples/shop with every Node member built in dependency order, the module's own.

    The install and the builds are made once per run (:func:`once_per_run`) and copied for each module:
    a module may change its copy (test_up moves its ports), and a copy costs a fraction of an
    ``npm ci`` and ten builds. npm links the workspace's members by relative paths, so a copy's
    links point into the copy.
    """

    def install_and_build(folder: Path) -> None:
        root = copy_example("shop", folder)
        for member in BUILD_ORDER:
            npm_run(root / member, "build")

    built = once_per_run(tmp_path_factory, "examples-shop-built", install_and_build) / "shop"
    root = tmp_path_factory.mktemp("example") / "shop"
    shutil.copytree(built, root, symlinks=True)
    return root


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    started = Services(tmp_path)
    yield started
    started.stop_all()
