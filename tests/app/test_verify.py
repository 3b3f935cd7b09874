"""`cigen verify --up`: it starts what the checks need, and stops what it started, not what ran before it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cigen.app.verify import Selection, verify
from cigen.runtime.pm2 import alive
from testing.runtime import RuntimeRepo
from tests.verify.conftest import add_checked, temporary_repo

pytestmark = pytest.mark.slow


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[RuntimeRepo]:
    with temporary_repo(tmp_path) as made:
        inventory = add_checked(made, "inventory", ROLE="inventory")
        add_checked(made, "api", UPSTREAM_PORT=inventory)
        made.services["api"]["depends_on"] = ["inventory"]
        add_checked(made, "other")
        made.extra["checks"] = {"stock": {"kind": "contract", "request": {"service": "api", "path": "/stock/mug"},
                                          "expect": {"json": {"$.count": 10}}}}
        made.write()
        yield made


def test_up_starts_what_the_checks_need_and_stops_only_that(repo: RuntimeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    assert repo.cigen("up", "other").code == 0
    monkeypatch.setenv("CIGEN_PM2_HOME", str(repo.home))
    result = verify(repo.root, Selection(), environ=os.environ, start=True)
    assert [(c.name, c.outcome) for c in result.checks] == [("stock", "passed")]
    assert [pid for pid in repo.pids("api") + repo.pids("inventory") if alive(pid)] == []
    assert all(alive(pid) for pid in repo.pids("other"))  # it ran before: left running
    assert repo.cigen("down").code == 0
    repo.assert_nothing_running()


def test_up_with_nothing_running_leaves_nothing_running(repo: RuntimeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIGEN_PM2_HOME", str(repo.home))
    result = verify(repo.root, Selection(names=("stock",)), environ=os.environ, start=True)
    assert result.passed
    repo.assert_nothing_running()
