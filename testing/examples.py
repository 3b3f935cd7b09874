"""Copies of the bundled example monorepos, and what the example tests know about examples/shop."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from cigen.adapters.proc import run
from testing.paths import EXAMPLES

# What an example's copy leaves out: installs and build outputs of the checkout.
_NOT_COPIED = shutil.ignore_patterns("node_modules", "dist", ".venv", "__pycache__", ".pytest_cache")

# The shop's Node members that have a build, each after the members it imports
# (core <- data, server, events <- auth, inventory, billing, broker, api <- web).
# Hand-written on purpose: these tests check the example itself, independently
# of cigen's graph.
BUILD_ORDER = (
    "packages/core", "packages/data", "packages/server", "packages/events",
    "services/auth", "services/inventory", "services/broker", "services/billing", "services/api", "apps/web",
)
NODE_MEMBERS = ("packages/tooling", *BUILD_ORDER)
PYTHON_MEMBERS = ("packages/ranking", "services/recommend")
# The import path of each Python member: its own src/ and those of its workspace dependencies.
PYTHON_PATHS = {
    "packages/ranking": ("packages/ranking/src",),
    "services/recommend": ("services/recommend/src", "packages/ranking/src"),
}


def copy_example(name: str, dest: Path, *, install: bool = True) -> Path:
    """A fresh copy of the bundled example ``name`` at ``dest/name``, npm-installed unless ``install=False``.

    The copy leaves the checkout untouched (builds write dist/, installs write
    node_modules/). The install is offline: the shop's only third-party
    packages (aedes, mqtt) are in tools/node's lockfile too, so ``./dev setup``
    put them in npm's cache; it takes about three seconds.
    """
    source = EXAMPLES / name
    if not source.is_dir():
        pytest.fail(f"no example monorepo {source}", pytrace=False)
    target = dest / name
    shutil.copytree(source, target, ignore=_NOT_COPIED, symlinks=True)
    if install and (target / "package-lock.json").exists():
        run(["npm", "ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], cwd=target, timeout=300)
    return target


def scripts(member: Path) -> dict[str, str]:
    found: dict[str, str] = json.loads((member / "package.json").read_text())["scripts"]
    return found


def npm_run(member: Path, script: str) -> str:
    return run(["npm", "run", "--silent", script], cwd=member, timeout=120).stdout


def python_env(shop: Path, member: str) -> Mapping[str, str]:
    return {"PYTHONPATH": os.pathsep.join(str(shop / p) for p in PYTHON_PATHS[member]), "PYTHONDONTWRITEBYTECODE": "1"}


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


# The fixed ports of the shop's cigen.yaml, by service.
SHOP_PORTS = {
    "@shop/web": 3000, "@shop/api": 4000, "@shop/auth": 4001, "shop-recommend": 4002,
    "@shop/billing": 4003, "@shop/inventory": 4004, "@shop/broker": 1883,
}


def move_shop_ports(root: Path, ports: Mapping[str, int]) -> None:
    """Rewrite the shop copy's cigen.yaml so that each service listens where ``ports`` says, and
    every reference to it follows: its port, its health check and the URLs others reach it at."""
    config = root / "cigen.yaml"
    fixed = {str(SHOP_PORTS[name]): str(port) for name, port in ports.items()}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, fixed)) + r")\b")
    config.write_text(pattern.sub(lambda m: fixed[m.group(1)], config.read_text()))


@contextmanager
def shop_ports() -> Iterator[None]:
    """Hold the shop's fixed ports (SHOP_PORTS) for the block, across pytest-xdist workers.

    A generated workflow's integration job starts the shop on the ports its
    cigen.yaml names, so two workflow runs at once would collide on them. The
    lock is an flock on a file in the temp folder, released when it closes.
    """
    with open(Path(tempfile.gettempdir()) / "cigen-tests-shop-ports.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
