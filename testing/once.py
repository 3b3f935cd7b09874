"""Expensive read-only set-up made once per test run, shared by the pytest-xdist workers.

A session-scoped fixture runs once per worker (each worker has its own session).
:func:`once_per_run` makes a folder once for the whole run instead: in the
run's base temporary folder, which the workers share, under an flock, so one
worker makes it while the others wait, then all of them use it. What it holds
must not be changed by the tests that use it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def run_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base temporary folder of the whole run: the workers' own base folders are inside it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name``, filled by ``make(folder)`` the first time any worker of this run asks for it.

    ``make`` fills a temporary folder that is renamed to ``name`` when it returns,
    so the folder is there complete or not at all; a ``make`` that fails leaves
    nothing, and the next worker to ask tries again (and fails the same way).
    """
    root = run_temp(tmp_path_factory)
    target = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_dir():
            partial = root / f"{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            try:
                make(partial)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
            partial.rename(target)
    return target
