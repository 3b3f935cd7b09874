"""./dev, the set-up script: installs only what changed, and a test run that collects nothing fails.

The real installs run in CI (.ci/run is `./dev test` in a fresh clone) and in
the fresh-clone check before each release; here the script's own logic runs
against a copy of it whose venv Python and npm are recording stand-ins, so the
tests take milliseconds and never touch the real .venv or tools/node.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.paths import REPO_ROOT

# The venv's python: records `-m` calls (pip, pytest) and answers them; anything else (the
# version check, the hash of a file) runs on the real interpreter.
PYTHON_SHIM = """#!/usr/bin/env bash
if [[ "$1" == "-m" ]]; then
    echo "python $*" >>"$DEV_CALLS"
    [[ "$2" == "pytest" ]] && exit "${FAKE_PYTEST_EXIT:-0}"
    exit 0
fi
exec {python} "$@"
"""
# npm: records the call and, as `npm ci --prefix DIR` does, empties DIR/node_modules.
NPM_SHIM = """#!/usr/bin/env bash
echo "npm $*" >>"$DEV_CALLS"
if [[ "$1" == ci && "$2" == --prefix ]]; then rm -rf "$3/node_modules" && mkdir -p "$3/node_modules"; fi
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout with ./dev, pyproject.toml and the Node lockfile, and a venv whose python is a shim."""
    root = tmp_path / "repo"
    (root / "tools" / "node").mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "dev", root / "dev")
    shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copy2(REPO_ROOT / "tools" / "node" / "package-lock.json", root / "tools" / "node" / "package-lock.json")
    for path, text in (
        (root / ".venv" / "bin" / "python", PYTHON_SHIM.replace("{python}", sys.executable)),
        (tmp_path / "fakebin" / "npm", NPM_SHIM),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o755)
    return root


def dev(checkout: Path, *args: str, pytest_exit: int = 0) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the copied ./dev; the result and the install/test calls it made."""
    calls = checkout.parent / "calls.log"
    calls.write_text("")
    env = {
        **os.environ,
        "PATH": f"{checkout.parent / 'fakebin'}{os.pathsep}{os.environ['PATH']}",
        "DEV_CALLS": str(calls),
        "FAKE_PYTEST_EXIT": str(pytest_exit),
    }
    result = subprocess.run(
        ["bash", str(checkout / "dev"), *args], cwd=checkout, env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=60,
    )
    return result, calls.read_text().splitlines()


def installs(calls: list[str]) -> list[str]:
    return [c for c in calls if " pip install " in c or c.startswith("npm ci")]


def test_the_first_set_up_installs_cigen_with_its_test_tools_and_the_pinned_node_tools(checkout: Path) -> None:
    result, calls = dev(checkout, "setup")
    assert result.returncode == 0, result.stderr
    assert installs(calls) == [
        f"python -m pip install --quiet --disable-pip-version-check -e {checkout}[test]",
        f"npm ci --prefix {checkout}/tools/node --no-audit --no-fund --loglevel=error",
    ]


def test_a_second_set_up_installs_nothing(checkout: Path) -> None:
    dev(checkout, "setup")
    result, calls = dev(checkout, "setup")
    assert result.returncode == 0
    assert installs(calls) == []
    assert result.stderr == ""


def test_a_changed_pyproject_reinstalls_cigen_only(checkout: Path) -> None:
    dev(checkout, "setup")
    with (checkout / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a new dependency line\n")
    result, calls = dev(checkout, "setup")
    assert [c.split()[0] for c in installs(calls)] == ["python"]
    assert "pyproject.toml changed" in result.stderr


def test_a_changed_node_lockfile_reinstalls_the_node_tools_only(checkout: Path) -> None:
    dev(checkout, "setup")
    with (checkout / "tools" / "node" / "package-lock.json").open("a") as lock:
        lock.write("\n")
    _, calls = dev(checkout, "setup")
    assert [c.split()[0] for c in installs(calls)] == ["npm"]


def test_an_interrupted_install_is_redone_on_the_next_run(checkout: Path) -> None:
    dev(checkout, "setup")
    (checkout / ".venv" / ".dev-stamp-pyproject").write_text("half-installed\n")
    _, calls = dev(checkout, "setup")
    assert len(installs(calls)) == 1


@pytest.mark.parametrize("pytest_exit", [0, 1, 2])
def test_test_runs_pytest_with_the_arguments_given_and_keeps_its_exit_code(checkout: Path, pytest_exit: int) -> None:
    result, calls = dev(checkout, "test", "-k", "graph", pytest_exit=pytest_exit)
    assert calls[-1] == "python -m pytest -k graph"
    assert result.returncode == pytest_exit


def test_test_fails_when_pytest_collects_no_tests(checkout: Path) -> None:
    result, _ = dev(checkout, "test", pytest_exit=5)
    assert result.returncode == 1
    assert "pytest collected no tests" in result.stderr


def test_an_unknown_command_is_an_error_that_shows_the_usage(checkout: Path) -> None:
    result, calls = dev(checkout, "deploy")
    assert result.returncode == 1
    assert "unknown command: deploy" in result.stderr
    assert "./dev test [ARGS...]" in result.stderr
    assert calls == []


def test_example_refuses_an_example_that_does_not_exist(checkout: Path) -> None:
    result, calls = dev(checkout, "example", "nowhere")
    assert result.returncode == 1
    assert "no example monorepo examples/nowhere" in result.stderr
    assert calls == []


# --- ./dev example: each step in order, and the services stopped however it ends ---------------

# cigen in the venv: records its calls; `up` fails or hangs when FAKE_UP says so.
CIGEN_SHIM = """#!/usr/bin/env bash
echo "cigen $*" >>"$DEV_CALLS"
if [[ "$1" == up && -n "${FAKE_UP:-}" ]]; then
    if [[ "$FAKE_UP" == hang ]]; then touch "$DEV_CALLS.up"; exec sleep 60; fi
    exit "$FAKE_UP"
fi
if [[ "$1" == report && -n "${FAKE_REPORT:-}" ]]; then exit "$FAKE_REPORT"; fi
"""
EXAMPLE_STEPS = [
    "cigen graph --root examples/shop",
    "cigen plan --root examples/shop",
    "cigen generate --root examples/shop",
    "cigen affected --root examples/shop --files packages/data/src/cart.js",
    "npm ci --prefer-offline --no-audit --no-fund --loglevel=error",
    "cigen run build --root examples/shop",
    "cigen up --root examples/shop",
]


@pytest.fixture
def example_checkout(checkout: Path) -> Path:
    (checkout / "examples" / "shop").mkdir(parents=True)
    (checkout / "examples" / "shop" / "cigen.yaml").write_text("plan: {}\n")
    shim = checkout / ".venv" / "bin" / "cigen"
    shim.write_text(CIGEN_SHIM)
    shim.chmod(0o755)
    dev(checkout, "setup")
    return checkout


def example(checkout: Path, fake_up: str = "", fake_report: str = "") -> subprocess.Popen[str]:
    calls = checkout.parent / "calls.log"
    calls.write_text("")
    env = {
        **os.environ,
        "PATH": f"{checkout.parent / 'fakebin'}{os.pathsep}{os.environ['PATH']}",
        "DEV_CALLS": str(calls),
        "FAKE_UP": fake_up,
        "FAKE_REPORT": fake_report,
    }
    return subprocess.Popen(["bash", str(checkout / "dev"), "example"], cwd=checkout, env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def steps(checkout: Path) -> list[str]:
    return [c for c in (checkout.parent / "calls.log").read_text().splitlines() if not c.startswith("python ")]


def test_example_runs_cigens_main_job_step_by_step_then_stops_the_services(example_checkout: Path) -> None:
    run = example(example_checkout)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr
    assert steps(example_checkout) == [*EXAMPLE_STEPS, "cigen status --root examples/shop",
                                       "cigen down --root examples/shop", "cigen report --root examples/shop"]


def test_example_checks_the_services_together_when_cigen_yaml_has_checks(example_checkout: Path) -> None:
    (example_checkout / "examples" / "shop" / "cigen.yaml").write_text("checks:\n  c: {kind: contract}\n")
    run = example(example_checkout)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr
    assert steps(example_checkout) == [
        *EXAMPLE_STEPS, "cigen status --root examples/shop",
        "npm run --silent token --workspace @shop/auth",  # SHOP_TOKEN, for the shop's auth check
        "cigen verify --root examples/shop", "cigen down --root examples/shop", "cigen report --root examples/shop",
    ]


def test_example_fails_when_the_run_report_finds_trouble_after_stopping_the_services_once(
        example_checkout: Path) -> None:
    run = example(example_checkout, fake_report="1")
    run.communicate(timeout=60)
    assert run.returncode == 1
    assert steps(example_checkout) == [*EXAMPLE_STEPS, "cigen status --root examples/shop",
                                       "cigen down --root examples/shop", "cigen report --root examples/shop"]


def test_example_stops_the_services_when_a_step_fails(example_checkout: Path) -> None:
    run = example(example_checkout, fake_up="1")
    run.communicate(timeout=60)
    assert run.returncode == 1
    assert steps(example_checkout) == [*EXAMPLE_STEPS, "cigen down --root examples/shop"]


def test_example_stops_the_services_when_interrupted(example_checkout: Path) -> None:
    run = example(example_checkout, fake_up="hang")
    marker = example_checkout.parent / "calls.log.up"
    deadline = time.monotonic() + 120  # the steps before up run first: slow on a loaded machine
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
    run.communicate(timeout=30)
    assert run.returncode == 130
    assert steps(example_checkout) == [*EXAMPLE_STEPS, "cigen down --root examples/shop"]
