"""Fixtures of the example tests: a built copy of examples/shop, and services that always stop."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from cigen.adapters.proc import run
from tests.conftest import copy_example
from tests.examples.processes import Services

# The shop's Node members that have a build, each after the members it imports
# (core <- data, server <- auth, api <- web). Hand-written on purpose: these
# tests check the example itself, independently of cigen's graph.
BUILD_ORDER = ("packages/core", "packages/data", "packages/server", "services/auth", "services/api", "apps/web")
NODE_MEMBERS = ("packages/tooling", *BUILD_ORDER)
PYTHON_MEMBERS = ("packages/ranking", "services/recommend")
# The import path of each Python member: its own src/ and those of its workspace dependencies.
PYTHON_PATHS = {
    "packages/ranking": ("packages/ranking/src",),
    "services/recommend": ("services/recommend/src", "packages/ranking/src"),
}


def scripts(member: Path) -> dict[str, str]:
    return json.loads((member / "package.json").read_text())["scripts"]


def npm_run(member: Path, script: str) -> str:
    return run(["npm", "run", "--silent", script], cwd=member, timeout=120).stdout


def python_env(shop: Path, member: str) -> Mapping[str, str]:
    return {"PYTHONPATH": os.pathsep.join(str(shop / p) for p in PYTHON_PATHS[member]), "PYTHONDONTWRITEBYTECODE": "1"}


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


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
