"""The example monorepo's generated workflow, run for real with the local executor.

The shop (examples/shop) is copied into a fresh git repository, ``cigen
generate`` writes its workflow and leg action, and testing/gha runs them: the
plan job installs cigen (the wheel of this checkout, through
``workflow.cigen_requirement``) and runs ``cigen affected``, which packs the
services into legs (the default, ``legs: auto``: balanced batches here, where
a leg per service would pay more set-up than work); every leg checks out,
installs with npm or uv, downloads the build outputs of the legs it depends
on and runs its services with ``cigen run``; the gate job sums up.

The shop's graph, which these tests state as the intent:

    tooling (dev tool of every Node package)   ranking (Python)
    core -> data, server -> api -> web          ranking -> recommend (Python)
    core, server -> auth                        core, data, server -> inventory
    core -> events -> api, billing              core, server -> broker
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cigen.adapters.proc import run
from cigen.plan.head_start import HEAD_START
from testing.cli import run_cigen
from testing.examples import shop_ports, shop_token
from testing.gha.events import Event, dispatch_event, pull_request_event
from testing.gha.model import FAILURE, SKIPPED, SUCCESS, LegResult, RunResult
from testing.gha.runner import package_mirror, run_workflow
from testing.validators import assert_valid_action, assert_valid_workflow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "shop"
WORKFLOW = Path(".github/workflows/cigen.yml")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}
STAGES = (HEAD_START, "stage-1", "stage-2", "stage-3", "stage-4", "stage-5")
LABELS = {  # path -> the name cigen shows
    "packages/tooling": "@shop/tooling", "packages/core": "@shop/core", "packages/data": "@shop/data",
    "packages/server": "@shop/server", "services/api": "@shop/api", "services/auth": "@shop/auth",
    "apps/web": "@shop/web", "packages/ranking": "shop-ranking", "services/recommend": "shop-recommend",
    "packages/events": "@shop/events", "services/billing": "@shop/billing", "services/broker": "@shop/broker",
    "services/inventory": "@shop/inventory",
}
GATE = "cigen"
TASKS = ("lint", "build", "test")

pytestmark = pytest.mark.slow


def git(repo: Path, *args: str) -> str:
    return run(["git", *args], cwd=repo, env=GIT_ENV).stdout.strip()


def _copy_example(target: Path) -> None:
    """The example's committed files (never its local node_modules or build outputs)."""
    listed = run(["git", "ls-files", "-z", "--", "."], cwd=EXAMPLE, check=False)
    files = [f for f in listed.stdout.split("\0") if f] if listed.returncode == 0 else []
    if not files:
        pytest.skip("examples/shop is not committed yet")
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(EXAMPLE / name, target / name)


def _point_install_at(repo: Path, requirement: str) -> None:
    """cigen.yaml's workflow.cigen_requirement: the plan job installs this checkout's wheel."""
    yaml = YAML()
    config_path = repo / "cigen.yaml"
    config = yaml.load(config_path.read_text()) if config_path.exists() else {}
    config.setdefault("workflow", {})["cigen_requirement"] = requirement
    with config_path.open("w") as handle:
        yaml.dump(config, handle)


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@dataclass(frozen=True)
class Shop:
    repo: Path
    workflow: Path
    wheelhouse: Path  # the runner's pip installs from these wheels (testing.gha.runner.package_mirror)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, cigen_wheel: Path, cigen_wheelhouse: Path) -> Iterator[Shop]:
    """The shop in a git repository with its generated workflow, plus two branches:
    ``broken`` (a failing test in packages/data) and ``feature`` (a change to packages/data)."""
    base = tmp_path_factory.mktemp("e2e")
    repo = base / "shop"
    repo.mkdir()
    _copy_example(repo)
    git(repo, "init", "-q", "-b", "main")
    _point_install_at(repo, str(cigen_wheel))
    generated = run_cigen("generate", "--root", str(repo), timeout=300)
    assert generated.exit_code == 0, generated
    _commit(repo, "the shop and its cigen workflow")

    git(repo, "checkout", "-q", "-b", "broken")
    test_file = repo / "packages/data/test/data.test.js"
    test_file.write_text(
        test_file.read_text() + "\ntest('a regression', () => { throw new Error('the cart total is wrong'); });\n"
    )
    _commit(repo, "a failing test in packages/data")

    git(repo, "checkout", "-q", "-b", "feature", "main")
    catalog = repo / "packages/data/src/catalog.js"
    catalog.write_text(catalog.read_text() + "\n// A comment is enough to make packages/data affected.\n")
    _commit(repo, "change packages/data")
    git(repo, "checkout", "-q", "main")
    yield Shop(repo, repo / WORKFLOW, cigen_wheelhouse)


def _ports_for(job_id: str) -> AbstractContextManager[object]:
    """The integration job starts the shop on its cigen.yaml's fixed ports: one such job at a time."""
    return shop_ports() if job_id == "integration" else nullcontext()


def execute(shop: Shop, event: Event, workdir: Path) -> RunResult:
    # The integration job's `cigen verify` reads SHOP_TOKEN (the shop's auth check) from a repository secret.
    return run_workflow(shop.workflow, shop.repo, event, workdir=workdir, step_timeout=600, around_job=_ports_for,
                        machine_env=package_mirror(shop.wheelhouse), secrets={"SHOP_TOKEN": shop_token(EXAMPLE)})


@pytest.fixture(scope="module")
def full_run(shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A manual run with ``all`` ticked, on main: every service."""
    return execute(shop, dispatch_event(shop.repo, {"all": True}), tmp_path_factory.mktemp("full-run"))


def entries(run_result: RunResult, stage: str) -> list[dict[str, Any]]:
    """The legs the plan job gave a stage job (its matrix)."""
    return list(json.loads(run_result["plan"].outputs[stage] or "[]"))


def own(entry: dict[str, Any]) -> list[str]:
    """The services a leg runs for the run, not again for itself (a head-start leg's dependencies)."""
    return [p for p in entry["build"] + entry["run"] if p not in entry["again"]]


def services_of(run_result: RunResult, stage: str) -> list[str]:
    """The services the plan job put in a stage job's legs."""
    return [p for leg in entries(run_result, stage) for p in own(leg)]


def stage_of(run_result: RunResult, path: str) -> str:
    """The stage job the plan job put a service in."""
    return next(stage for stage in STAGES if path in services_of(run_result, stage))


def legs_by_path(run_result: RunResult) -> dict[str, LegResult]:
    """The leg of each service, in the stage jobs that started their legs (a batch holds several services)."""
    return {p: leg for stage in STAGES for leg in run_result[stage].legs for p in own(leg.matrix["leg"])}


def task_results(leg: LegResult, label: str) -> dict[str, str]:
    """A service's tasks and their results, from the rows ``cigen run`` wrote to the leg's step summary."""
    found = {}
    for line in leg.summary.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[0] == label:
            found[cells[1]] = cells[2]
    return found


def test_the_generated_workflow_and_leg_action_pass_the_validators(shop: Shop) -> None:
    assert_valid_workflow(shop.workflow)
    assert_valid_action(shop.repo / ".github/actions/cigen-leg/action.yml")


def test_a_manual_run_of_everything_runs_every_service_once_in_dependency_order_and_the_gate_passes(
    full_run: RunResult,
) -> None:
    result = full_run
    assert result.result == SUCCESS, result.report()
    assert result[GATE].result == SUCCESS and result["timings"].result == SUCCESS
    assert all(result[stage].result in (SUCCESS, SKIPPED) for stage in STAGES), result.report()

    # Every service ran once, in the leg the plan gave it; a stage job without legs was skipped.
    planned = {stage: services_of(result, stage) for stage in STAGES}
    ran = {stage: [p for leg in result[stage].legs for p in own(leg.matrix["leg"])] for stage in STAGES}
    assert ran == planned
    assert sorted(p for paths in planned.values() for p in paths) == sorted(LABELS)
    assert all(result[stage].result == SKIPPED for stage in STAGES if not planned[stage])
    # A leg batches services: fewer legs than services, none over the bound.
    legs = [leg for stage in STAGES for leg in result[stage].legs]
    assert len(legs) < len(LABELS)

    # A dependency ran in an earlier job, or earlier in the same leg (cigen run's order), or again in the
    # dependent's head-start leg.
    where = {p: (STAGES.index(stage), i) for stage in STAGES for leg in entries(result, stage)
             for i, p in enumerate(leg["run"]) if p not in leg["again"]}
    again = {p: leg["again"] for stage in STAGES for leg in entries(result, stage) for p in own(leg)}
    for dependency, dependent in [
        ("packages/core", "packages/data"), ("packages/core", "packages/server"),
        ("packages/data", "services/api"), ("packages/server", "services/api"),
        ("packages/server", "services/auth"), ("services/api", "apps/web"),
        ("packages/ranking", "services/recommend"),
    ]:
        assert where[dependency] < where[dependent] or dependency in again[dependent], (dependency, dependent)
    assert result.order.index("plan") < min(result.order.index(s) for s in STAGES)
    assert result.order[-1] in (GATE, "timings")

    # Each Node service ran every task it defines; nothing was build-only in a full run.
    by_path = legs_by_path(result)
    assert task_results(by_path["services/api"], LABELS["services/api"]) == dict.fromkeys(TASKS, "passed")
    assert task_results(by_path["packages/tooling"], LABELS["packages/tooling"]) == {
        "lint": "passed", "build": "no script", "test": "passed"}
    assert task_results(by_path["services/recommend"], LABELS["services/recommend"])["test"] == "passed"
    # Each task's output is a log group of the leg's log.
    assert "::group::@shop/api:test: passed" in by_path["services/api"].step("Run the leg's services").log


def test_a_dependents_leg_builds_against_its_dependencies_outputs(shop: Shop, full_run: RunResult) -> None:
    api = legs_by_path(full_run)["services/api"]
    assert api.result == SUCCESS, api.log
    workspace = api.workspace
    # dist/ is never committed: these were built in this run, in this leg or downloaded from an earlier one.
    assert (workspace / "packages/core/dist/index.js").is_file()
    assert (workspace / "packages/data/dist/index.js").is_file()
    assert not git(shop.repo, "ls-files", "packages/core/dist")


def test_a_failing_test_fails_its_leg_stops_its_dependents_and_fails_the_gate(shop: Shop, tmp_path: Path) -> None:
    result = execute(shop, dispatch_event(shop.repo, {"all": True}, branch="broken"), tmp_path)
    legs = legs_by_path(result)
    data = legs["packages/data"]
    stage = stage_of(result, "packages/data")
    assert data.result == FAILURE
    assert task_results(data, LABELS["packages/data"])["test"] == "failed (exit code 1)"
    assert "the cart total is wrong" in data.step("Run the leg's services").log
    # Its dependents did not run: batched into data's job, or in a head-start leg that ran data again,
    # cigen run (or fail-fast) stopped them there; planned for a later job, that job was skipped and
    # started no leg.
    ran_data = {p for s in STAGES for leg in entries(result, s) if "packages/data" in leg["run"] for p in own(leg)}
    for dependent in ("services/api", "apps/web"):
        if stage_of(result, dependent) == stage or dependent in ran_data:
            assert set(task_results(legs[dependent], LABELS[dependent]).values()) <= {
                "not run: depends on @shop/data", "not run: depends on @shop/api"}, dependent
        else:
            assert STAGES.index(stage_of(result, dependent)) > STAGES.index(stage), dependent
            assert dependent not in legs, dependent
    # A service that does not depend on data ran: core, which data itself needs.
    assert task_results(legs["packages/core"], LABELS["packages/core"]) == dict.fromkeys(TASKS, "passed")
    assert result[stage].result == FAILURE
    for later in STAGES[STAGES.index(stage) + 1 :] if stage != HEAD_START else ():  # no job needs stage-0
        assert result[later].result == SKIPPED, result.report()
    assert result[GATE].result == FAILURE
    assert result.result == FAILURE


def test_a_pull_request_runs_the_changed_library_its_dependents_and_builds_only_what_they_need(
    shop: Shop, tmp_path: Path
) -> None:
    result = execute(shop, pull_request_event(shop.repo, "main", "feature"), tmp_path)
    assert result.result == SUCCESS, result.report()
    assert result[GATE].result == SUCCESS
    planned = [leg for stage in STAGES for leg in entries(result, stage)]
    full = {p for leg in planned for p in leg["run"] if p not in leg["again"]}
    build_only = {p for leg in planned for p in leg["build"] if p not in leg["again"]}
    assert full == {"packages/data", "services/api", "services/inventory", "apps/web"}
    needed = {"packages/core", "packages/server", "packages/events"}  # what api, inventory and web import
    assert needed <= build_only <= needed | {"packages/tooling"}
    legs = legs_by_path(result)
    for path in full:
        assert set(task_results(legs[path], LABELS[path]).values()) == {"passed"}, path
    for path in build_only:
        assert set(task_results(legs[path], LABELS[path])) == {"build"}, path  # only built, never tested
    for untouched in ("services/auth", "services/billing", "services/broker", "packages/ranking", "services/recommend"):
        assert untouched not in legs
    # A stage with nothing to run is skipped without failing anything after it.
    assert all(result[s].result == SKIPPED for s in STAGES if not entries(result, s))
