"""cigen's pytest plugin, run the way a user runs it: small test files in a real pytest (pytester, in a
subprocess that loads the plugin through its entry point) against a real stack under real PM2."""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cigen.runtime.proxies import free_ports
from testing.gitrepos import Repo
from testing.runtime import RuntimeRepo

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimeRepo]:
    """Two services, ``auth`` and ``api`` (which needs auth), not started; torn down by PID afterwards."""
    home = Path(tempfile.mkdtemp(prefix="cgp-", dir="/tmp"))  # short: PM2's socket paths are limited
    ports = iter(free_ports(2))
    runtime = RuntimeRepo(tmp_path / "mono", home, lambda: next(ports))
    (tmp_path / "mono").mkdir()
    runtime.add("auth", python=True)
    runtime.add("api", python=True, env={"AUTH_URL": "${url:auth}"})
    runtime.write()
    monkeypatch.setenv("CIGEN_PM2_HOME", str(home))
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    try:
        yield runtime
    finally:
        runtime.teardown()


def run(pytester: pytest.Pytester, repo: RuntimeRepo, tests: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_stack=tests)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cigen-root", str(repo.root), "-rA", *args,
                                         timeout=240)


# One session: the stack is started for it, used, faulted, logged on failure, and stopped at its end.
SESSION = '''
import urllib.error, urllib.request
import pytest

def get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status
    except (urllib.error.URLError, OSError):
        return None

def test_urls_by_name(cigen_url, cigen_stack):
    assert cigen_url("api") == f"http://127.0.0.1:{cigen_stack.services['api'].port}"
    assert get(cigen_url("api") + "/health") == 200

def test_eventually_retries_until_the_answer_holds(cigen_eventually):
    answers = iter([1, 2, 3])
    assert cigen_eventually(lambda: next(answers), within=5, holds=lambda n: n == 3) == 3

def test_a_fault_lasts_for_its_block(cigen_fault, cigen_url):
    with cigen_fault(stop="auth"):
        assert get(cigen_url("auth") + "/health") is None
    assert get(cigen_url("auth") + "/health") == 200

def test_a_fault_is_undone_when_the_test_fails_inside_it(cigen_fault):
    with cigen_fault(pause="auth"):
        raise AssertionError("failed while auth was paused")

def test_after_that_failure_auth_answers(cigen_url):
    assert get(cigen_url("auth") + "/health") == 200

def test_an_unknown_service_in_a_fault_fails_clearly(cigen_fault):
    cigen_fault(stop="atuh")

@pytest.mark.cigen_services("api")
def test_a_failure_carries_what_the_marked_services_logged_while_it_ran(cigen_url):
    get(cigen_url("api") + "/during-the-test")
    assert False, "the api answered wrongly"
'''


def test_a_session_starts_the_stack_uses_it_and_stops_it_at_the_end(
    pytester: pytest.Pytester, repo: RuntimeRepo,
) -> None:
    result = run(pytester, repo, SESSION)
    outcomes = {m[2]: m[1] for m in re.finditer(r"^(PASSED|FAILED|ERROR) test_stack\.py::(\w+)", result.stdout.str(),
                                                  re.MULTILINE)}
    assert outcomes == {
        "test_urls_by_name": "PASSED",
        "test_eventually_retries_until_the_answer_holds": "PASSED",
        "test_a_fault_lasts_for_its_block": "PASSED",
        "test_a_fault_is_undone_when_the_test_fails_inside_it": "FAILED",
        "test_after_that_failure_auth_answers": "PASSED",
        "test_an_unknown_service_in_a_fault_fails_clearly": "FAILED",
        "test_a_failure_carries_what_the_marked_services_logged_while_it_ran": "FAILED",
    }, outcomes
    output = result.stdout.str()
    assert "no service is named 'atuh'" in output and "auth" in output
    # The failed test's report holds api's log lines of its own time window, and only those.
    report = output.split("test_a_failure_carries_what_the_marked_services_logged_while_it_ran __", 1)[1]
    report = report.split("= PASSES =", 1)[0]
    section = report.split("Captured cigen logs of api call", 1)[1]
    assert "GET /during-the-test" in section
    assert "GET /health" not in section  # the earlier tests' requests are outside its window
    assert "Captured cigen logs of auth" not in report  # only the marked services
    # The session started the stack, so it stopped it: nothing of it runs any more.
    repo.assert_nothing_running()


def test_a_running_stack_is_reused_and_left_running(pytester: pytest.Pytester, repo: RuntimeRepo) -> None:
    assert repo.cigen("up").code == 0
    before = repo.all_pids()
    result = run(pytester, repo, "def test_it(cigen_url):\n    assert cigen_url('auth').startswith('http://127.0.0.1:')\n")
    result.assert_outcomes(passed=1)
    assert repo.running() == before  # the same processes: none restarted, none stopped


def test_without_its_fixtures_the_plugin_loads_nothing_of_cigen_and_starts_nothing(
    pytester: pytest.Pytester, repo: RuntimeRepo,
) -> None:
    result = run(pytester, repo, f'''
import sys

def test_plain():
    loaded = sorted(m for m in sys.modules if m.startswith("cigen") and m != "cigen.pytest_plugin")
    assert loaded == [] or loaded == ["cigen"], loaded
    assert "cigen.pytest_plugin" in sys.modules  # loaded through the pytest11 entry point
''')
    result.assert_outcomes(passed=1)
    assert repo.daemon_pid() is None and repo.all_pids() == []


AFFECTED = '''
import pytest

@pytest.mark.cigen_services("auth")
def test_auth():
    pass

@pytest.mark.cigen_services("api", "auth")
def test_both():
    pass

@pytest.mark.cigen_services("api")
def test_api():
    pass

def test_unmarked():
    pass
'''


def test_cigen_affected_deselects_the_tests_whose_services_the_change_does_not_affect(
    pytester: pytest.Pytester, repo: RuntimeRepo,
) -> None:
    git = Repo.init(repo.root)
    git.commit("the monorepo")
    git.write("services/api/handler.py", "changed = True\n").commit("change api only")
    result = run(pytester, repo, AFFECTED, "--cigen-affected", "--cigen-base", "HEAD~1", "-v")
    result.assert_outcomes(passed=3, deselected=1)
    assert "test_auth" not in re.sub(r"deselected.*", "", result.stdout.str())

    everything = run(pytester, repo, AFFECTED, "--cigen-base", "HEAD~1")
    assert everything.ret == pytest.ExitCode.USAGE_ERROR
    assert "--cigen-base needs --cigen-affected" in everything.stderr.str()


def test_the_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="pytest11") if ep.name == "cigen"]
    assert [ep.value for ep in found] == ["cigen.pytest_plugin"]
    assert sys.modules.get("cigen.pytest_plugin") is not None  # and this very session loaded it
