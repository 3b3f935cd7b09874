"""Copies of the bundled example monorepos, and what the example tests know about examples/shop.

An example is installed (``npm ci``) once per run and the shop built once per run
(:func:`installed_example`, :func:`built_shop`, made by :func:`testing.once.once_per_run`);
a test or a module changes a copy of them (:func:`copy_run_example`), which costs a
sixth of an install's CPU.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pytest

from cigen.adapters.proc import run
from cigen.runtime.pm2 import alive
from cigen.runtime.proxies import free_ports
from testing.cli import CliResult, run_cigen
from testing.once import once_per_run
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


def installed_example(tmp_path_factory: pytest.TempPathFactory, name: str = "shop") -> Path:
    """The bundled example ``name``, npm-installed once for the whole run: copy it, never change it."""

    def install(folder: Path) -> None:
        copy_example(name, folder)

    return once_per_run(tmp_path_factory, f"examples-{name}-installed", install) / name


def built_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed shop with every Node member built in dependency order, once for the whole run: copy it,
    never change it."""

    def build(folder: Path) -> None:
        build_shop(copy_run_example(installed_example(tmp_path_factory, "shop"), folder))

    return once_per_run(tmp_path_factory, "examples-shop-built", build) / "shop"


def copy_run_example(example: Path, dest: Path) -> Path:
    """A copy at ``dest`` of one of the run's examples (:func:`installed_example`, :func:`built_shop`), to
    change at will. npm links a workspace's members by relative paths, so the copy's links point into it."""
    target = dest / example.name
    shutil.copytree(example, target, symlinks=True)
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


def build_shop(root: Path) -> None:
    """Build every Node member of a copy of the shop, dependencies first."""
    for member in BUILD_ORDER:
        npm_run(root / member, "build")


def shop_token(root: Path) -> str:
    """A token the shop's auth service verifies (signed with its default secret), as ``npm run token`` prints."""
    return run(["node", "services/auth/src/token.js", "--user", "tester"], cwd=root, timeout=60).stdout.strip()


@dataclass
class ShopStack:
    """A copy of the shop running under its own PM2 daemon, on free ports."""

    root: Path
    home: Path  # its PM2_HOME
    ports: dict[str, int]
    pids: list[int] = field(default_factory=list)  # of every process `cigen up` started, read after it
    progress: str = ""  # what `cigen up` said on stderr while it started them

    @cached_property
    def token(self) -> str:
        """SHOP_TOKEN, the credential the shop's auth check uses."""
        return shop_token(self.root)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CIGEN_PM2_HOME": str(self.home), "SHOP_TOKEN": self.token}

    def cigen(self, *args: str, timeout: float = 240) -> CliResult:
        return run_cigen(*args, "--root", str(self.root), env=self.env, timeout=timeout)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def alive(self) -> list[int]:
        """Those of ``pids`` still running (a zombie waiting to be reaped counts as gone)."""
        return [pid for pid in self.pids if alive(pid)]


@contextmanager
def running_shop(root: Path, home: Path) -> Iterator[ShopStack]:
    """The built shop copy at ``root`` moved to free ports and started with ``cigen up``; stopped with
    ``cigen down`` afterwards, and any process still alive then killed by PID, so nothing outlives a test."""
    stack = ShopStack(root, home, dict(zip(SHOP_PORTS, free_ports(len(SHOP_PORTS)))))
    move_shop_ports(root, stack.ports)
    try:
        up = stack.cigen("up")
        if up.exit_code != 0:
            pytest.fail(f"cigen up failed:\n{up.stdout}\n{up.stderr}", pytrace=False)
        stack.progress = up.stderr
        stack.pids = [row["pid"] for row in stack.cigen("status", "--json").json() if row["pid"]]
        yield stack
    finally:
        stack.cigen("down")
        for pid in stack.alive():
            os.kill(pid, signal.SIGKILL)

