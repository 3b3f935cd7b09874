"""What the whole suite shares: the pinned tools on PATH, ports, example copies, ``../shared``.

- The pinned Node tools and this interpreter's scripts come first on ``PATH``
  for every test (and every process a test starts), exactly as under
  ``./dev test``, so running ``pytest`` directly finds the same ``pm2``,
  ``turbo``, ``zizmor`` and ``cigen``.
- ``shared_dir``: ``../shared`` beside the checkout; skips when it is absent.
- ``free_port``: call it for a TCP port on 127.0.0.1 that nothing listens on.
- ``example_copy``: call it for an installed copy of a bundled example in tmp;
  :mod:`testing.examples` has the same for module- or session-scoped fixtures.
- ``cigen_wheel``: this checkout built as a wheel, once per run (the workers share it);
  ``cigen_wheelhouse``: that wheel with every wheel it and a build of it need.
- The longest tests (:data:`LONGEST`) start first, one at the head of each
  pytest-xdist worker's share, so they run side by side instead of queueing
  behind each other at the end of the run.

Where things are (``REPO_ROOT``, ``EXAMPLES``, ``NODE_BIN``, ``node_tool``) is
in :mod:`testing.paths`.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cigen.adapters.proc import run
from testing.examples import copy_example, copy_run_example, installed_example
from testing.once import once_per_run
from testing.paths import NODE_BIN, REPO_ROOT, SHARED
from testing.schedule import Group, arrange


_PATH_BEFORE = pytest.StashKey[str | None]()
_CACHE = pytest.StashKey[str]()

# The tests that take longest, each group with its wall time in seconds under ./dev test (measured with
# --durations; the figures only rank them). Tests in one group share an expensive fixture, so they stay
# together. A prefix that matches nothing is ignored. Remeasure when the slowest tests change:
# `./dev test -p no:cacheprovider -q --durations=40`. Last measured on 2 cores shared with three other
# suites (load 13-16): every figure is about three times what an idle machine takes, in the same ranks.
LONGEST: tuple[Group, ...] = (
    (("tests/test_workflow_e2e.py::test_a_manual_run_of_everything",
      "tests/test_workflow_e2e.py::test_a_dependents_leg_builds"), 240),
    (("tests/test_precommit_hooks.py::test_try_repo",), 225),  # try-repo makes the hook's env afresh, twice
    (("tests/test_workflow_e2e.py::test_a_pull_request_runs",), 160),
    (("tests/render/test_workflow_names.py::",), 110),  # one generated workflow for the module, run twice
    (("tests/test_precommit_hooks.py::test_a_commit_changing_what",), 110),
    (("tests/testing/test_validators.py::test_the_validators_work_without_any_network",), 105),
    (("tests/test_pytest_plugin.py::",), 75),
    (("tests/examples/test_up.py::",), 75),  # one shop stack for the module
    (("tests/test_workflow_e2e.py::test_a_failing_test_fails_its_leg",), 75),
    (("tests/plan/test_stages_cycles.py::test_a_unit_runs_in_one_leg",), 75),
    (("tests/test_precommit_hooks.py::test_a_commit_adding_a_package",), 65),  # the first makes the hook's env
    (("tests/test_packaging.py::",), 60),
    (("tests/verify/test_faults.py::",), 55),  # one stack under PM2 for the module, each fault applied and undone
    (("tests/test_action.py::test_the_action_installs_once",), 50),
    (("tests/cli/test_verify.py::",), 45),  # one shop stack for the module
    (("tests/verify/test_shop_checks.py::",), 40),  # a broken copy of the built shop: two builds, up, verify
    (("tests/test_workflow_head_start.py::",), 55),  # two workflow runs with a head-start leg
    (("tests/render/test_impact_workflow.py::test_a_pull_request_gets_one_comment",), 40),
    (("tests/test_action.py::test_the_generated_plan_job_runs_cigen_through_the_action",), 30),
    (("tests/monitor/test_run_report.py::",), 30),  # one stack for the module: its tests stay on one worker
    (("tests/render/test_impact_workflow.py::test_action_mode_runs",), 27),
)


def pytest_configure(config: pytest.Config) -> None:
    """Put the pinned Node tools and this interpreter's scripts first on PATH, from collection on; give
    cigen a cache folder of the session's own (no test reads or fills the person's ~/.cache/cigen)."""
    config.stash[_CACHE] = os.environ["CIGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="cigen-test-cache-")
    before = os.environ.get("PATH")
    config.stash[_PATH_BEFORE] = before
    wanted = [str(NODE_BIN), str(Path(sys.executable).parent)]
    entries = (before or "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join(wanted + [e for e in entries if e not in wanted])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, in the controller: tell each worker the --dist mode (a worker's own option says "no")."""
    node.workerinput["cigen_dist"] = node.config.option.dist


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The groups of :data:`LONGEST` first, each at the head of a worksteal worker's share (testing.schedule)."""
    workerinput: dict[str, object] = getattr(config, "workerinput", {})
    worksteal = workerinput.get("cigen_dist") == "worksteal"
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0")) if worksteal else 0
    items[:] = arrange(items, lambda item: item.nodeid, LONGEST, workers)


def pytest_unconfigure(config: pytest.Config) -> None:
    if (cache := config.stash.get(_CACHE, None)) is not None:
        os.environ.pop("CIGEN_CACHE_DIR", None)
        shutil.rmtree(cache, ignore_errors=True)
    before = config.stash.get(_PATH_BEFORE, None)
    if before is None:
        os.environ.pop("PATH", None)
    else:
        os.environ["PATH"] = before


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout: the design, action pins, corpus and synthetic generator."""
    if not SHARED.is_dir():
        pytest.skip("../shared not present (fresh clone)")
    return SHARED


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def free_port() -> Callable[[], int]:
    """Call it for a port on 127.0.0.1 that nothing listens on; never the same one twice in a test.

    The kernel picks the port (bind to 0), so parallel test workers do not collide
    the way they would with a fixed range. It is free when handed out; a test
    that needs it to stay free must use it promptly.
    """
    given: set[int] = set()

    def pick() -> int:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            if port not in given and _port_is_free(port):
                given.add(port)
                return port

    return pick


@pytest.fixture
def example_copy(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Call it (``example_copy("shop")``) for a fresh, installed copy of a bundled example in tmp.

    The install is the run's (:func:`testing.examples.installed_example`, made once), copied.
    """

    def copy(name: str = "shop", *, install: bool = True) -> Path:
        if not install:
            return copy_example(name, tmp_path, install=False)
        return copy_run_example(installed_example(tmp_path_factory, name), tmp_path)

    return copy


@pytest.fixture(scope="session")
def cigen_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout as a wheel (``pip wheel --no-deps``), built once per run: pytest-xdist workers share it."""

    def build(folder: Path) -> None:
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder), str(REPO_ROOT)],
            timeout=600)

    (wheel,) = once_per_run(tmp_path_factory, "cigen-wheel", build).glob("cigen-*.whl")
    return wheel


@pytest.fixture(scope="session")
def cigen_wheelhouse(tmp_path_factory: pytest.TempPathFactory, cigen_wheel: Path) -> Path:
    """A folder of wheels: cigen's, its dependencies' and what building cigen from source needs, once per run.

    For workflow runs whose pip should install from it alone (:func:`testing.gha.runner.package_mirror`).
    """
    build_system = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["build-system"]["requires"]

    def download(folder: Path) -> None:
        run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(folder), str(cigen_wheel),
             *build_system], timeout=600)

    return once_per_run(tmp_path_factory, "cigen-wheelhouse", download)
