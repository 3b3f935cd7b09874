"""Attaching to the stack `cigen up` started: each service's URL, PID and logs; a needed service that is not
up is an environment error naming it."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from cigen.app.workspace import load
from cigen.errors import EXIT_ENVIRONMENT, InputError
from cigen.runtime.pm2 import alive
from cigen.verify.stack import Stack, StackNotUp, attach
from testing.runtime import RuntimeRepo
from tests.verify.conftest import started_repo

pytestmark = pytest.mark.slow


def _build(repo: RuntimeRepo) -> None:
    repo.add("api", depends_on=["billing"])
    repo.add("billing")
    repo.add("idle")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeRepo]:
    with started_repo(tmp_path_factory.mktemp("stack"), _build, "api") as started:
        yield started


def _attach(repo: RuntimeRepo, *needed: str) -> Stack:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CIGEN_PM2_HOME", str(repo.home))
        config, workspace = load(repo.root)
        return attach(repo.root, config, workspace, needed)


def test_each_running_service_is_reached_at_its_url_and_known_by_its_pid(repo: RuntimeRepo) -> None:
    stack = _attach(repo, "api", "billing")
    assert stack.url("api") == f"http://127.0.0.1:{repo.ports['api']}"
    for name in ("api", "billing"):
        with urllib.request.urlopen(stack.url(name) + "/anything", timeout=5) as answer:
            assert answer.read().decode().startswith(f"hello from {name}")
        pid = stack.service(name).pid
        assert pid is not None and alive(pid) and pid in repo.pids(name)


def test_a_service_that_is_not_needed_is_described_but_has_no_pid(repo: RuntimeRepo) -> None:
    stack = _attach(repo, "api")
    assert stack.service("idle").pid is None
    assert stack.service("idle").port == repo.ports["idle"]


def test_a_needed_service_that_is_not_running_is_an_environment_error_naming_it(repo: RuntimeRepo) -> None:
    with pytest.raises(StackNotUp) as raised:
        _attach(repo, "api", "idle")
    assert raised.value.exit_code == EXIT_ENVIRONMENT
    assert "idle is not running" in str(raised.value)
    assert "api" not in raised.value.message.replace("cigen up", "")  # the healthy one is not blamed
    assert "cigen up idle" in str(raised.value)


def test_an_unknown_service_is_refused_with_the_closest_name(repo: RuntimeRepo) -> None:
    with pytest.raises(InputError, match="no service is named 'biling'.*billing"):
        _attach(repo, "biling")
    with pytest.raises(InputError, match="'apii'.*api"):
        _attach(repo).service("apii")


def test_the_last_lines_of_a_service_log_are_at_hand(repo: RuntimeRepo) -> None:
    stack = _attach(repo, "api")
    tail = stack.log_tail("api", lines=5)
    assert any(f"api: listening on {repo.ports['api']}" in line for line in tail)
    assert len(_attach(repo).log_tail("api", lines=1)) == 1
    assert _attach(repo).log_tail("idle") == ()
