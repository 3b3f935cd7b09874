"""The generated workflow and leg action for four fixture monorepos: a chain, a diamond, independent
groups, mixed managers.

Each fixture's workflow and leg action are kept as real ``.yml`` snapshots
(syrupy) and must pass actionlint, zizmor in its three personas and the
schemas; the tests below state what the snapshots mean: which job needs
which, fail-fast, max-parallel, the toolchains a leg sets up and when, the
artifacts between legs.
"""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from syrupy.assertion import SnapshotAssertion

from cigen.config.loader import load_config
from cigen.discovery import discover
from cigen.app.generate import build_model, generate_leg_action, generate_workflow
from tests.render.yaml_snapshot import snapshot_yml  # noqa: F401 - a fixture
from testing.validators import assert_valid_action, assert_valid_workflow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workflow"
NAMES = ("chain", "diamond", "groups", "mixed")


@cache
def text_of(name: str) -> str:
    root = FIXTURES / name
    config = load_config(root)
    return generate_workflow(discover(root, config), config).text


@cache
def action_text(name: str) -> str:
    """The leg action the fixture's stage jobs run."""
    root = FIXTURES / name
    config = load_config(root)
    return generate_leg_action(config, build_model(discover(root, config), config), root).text


@cache
def workflow(name: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(text_of(name))


@cache
def action(name: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(action_text(name))


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["steps"] if "steps" in job else job["runs"]["steps"]


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    """The one step named ``name`` of a job or of an action."""
    found = [s for s in _steps(job) if s.get("name") == name]
    assert len(found) == 1, f"{len(found)} steps named {name!r}"
    return found[0]


def uses(job: dict[str, Any]) -> list[str]:
    return [s["uses"].split("@")[0] for s in _steps(job) if "uses" in s]


@pytest.mark.parametrize("name", NAMES)
def test_the_workflow_matches_its_snapshot(name: str, snapshot_yml: SnapshotAssertion) -> None:  # noqa: F811
    assert text_of(name) == snapshot_yml


@pytest.mark.parametrize("name", NAMES)
def test_the_leg_action_matches_its_snapshot(name: str, snapshot_yml: SnapshotAssertion) -> None:  # noqa: F811
    assert action_text(name) == snapshot_yml


@pytest.mark.parametrize("name", NAMES)
def test_the_workflow_and_its_leg_action_pass_every_validator(name: str, tmp_path: Path) -> None:
    path = tmp_path / ".github" / "workflows" / "cigen.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text_of(name))
    # groups asks for self-hosted runners: the auditor persona reports that choice, nothing cigen wrote.
    accepted = {"self-hosted-runner": "runs_on names self-hosted"} if name == "groups" else None
    assert_valid_workflow(path, accepted=accepted)
    leg = tmp_path / ".github" / "actions" / "cigen-leg" / "action.yml"
    leg.parent.mkdir(parents=True)
    leg.write_text(action_text(name))
    assert_valid_action(leg)


@pytest.mark.parametrize("name", NAMES)
def test_generating_twice_gives_byte_identical_output(name: str) -> None:
    root = FIXTURES / name
    config = load_config(root)
    assert generate_workflow(discover(root, config), config).text == text_of(name)


# --- chain: cascade mode ------------------------------------------------------------------------


def test_chain_has_a_job_per_stage_each_needing_the_one_before() -> None:
    jobs = workflow("chain")["jobs"]
    assert list(jobs) == ["plan", "stage-1", "stage-2", "stage-3", "stage-4", "integration", "timings", "cigen"]
    assert [jobs[f"stage-{i}"]["needs"] for i in range(1, 5)] == [
        ["plan"], ["plan", "stage-1"], ["plan", "stage-2"], ["plan", "stage-3"],
    ]


def test_chain_stops_at_the_first_failure_and_runs_the_legs_the_plan_job_lists() -> None:
    for i in range(1, 5):
        strategy = workflow("chain")["jobs"][f"stage-{i}"]["strategy"]
        assert strategy["fail-fast"] is True
        assert "max-parallel" not in strategy  # one service per stage: a limit could not bind
        assert strategy["matrix"] == {"leg": f"${{{{ fromJSON(needs.plan.outputs.stage-{i}) }}}}"}
    run = step(action("chain"), "Run its services")
    assert run["env"]["KEEP_GOING"] == "false"  # cascade: a failure stops the rest of the leg too


def test_chain_installs_with_npm_ci_and_caches_on_package_lock() -> None:
    leg = action("chain")
    setup = step(leg, "Set up Node.js and npm")
    assert setup["with"] == {"node-version": "24", "cache": "npm", "cache-dependency-path": "package-lock.json"}
    assert setup["if"] == "contains(inputs.toolchains, ' npm ')"
    assert step(leg, "Install dependencies")["run"] == "npm ci"
    assert step(leg, "Run its services")["env"]["TASKS"] == "lint build test"


# --- diamond: auto mode, concurrency 1 ----------------------------------------------------------


def test_diamond_runs_both_sides_after_the_core_and_the_app_last() -> None:
    jobs = workflow("diamond")["jobs"]
    assert [(j, jobs[j]["needs"]) for j in ("stage-1", "stage-2", "stage-3")] == [
        ("stage-1", ["plan"]), ("stage-2", ["plan", "stage-1"]), ("stage-3", ["plan", "stage-2"]),
    ]


def test_diamond_collects_every_result_and_limits_only_the_stage_the_limit_can_bind() -> None:
    jobs = workflow("diamond")["jobs"]
    assert {j: jobs[j]["strategy"]["fail-fast"] for j in ("stage-1", "stage-2", "stage-3")} == dict.fromkeys(
        ("stage-1", "stage-2", "stage-3"), False
    )
    assert jobs["stage-2"]["strategy"]["max-parallel"] == 1
    assert "max-parallel" not in jobs["stage-1"]["strategy"]
    assert step(action("diamond"), "Run its services")["env"]["KEEP_GOING"] == "true"


def test_diamond_sets_up_the_pnpm_its_package_json_pins_and_node_from_nvmrc() -> None:
    leg = action("diamond")
    pnpm = step(leg, "Set up pnpm")
    assert "with" not in pnpm  # packageManager: pnpm@10.12.1 decides; a version here would conflict
    assert uses(leg).index("pnpm/action-setup") < uses(leg).index("actions/setup-node")
    assert step(leg, "Set up Node.js")["with"] == {
        "node-version-file": ".nvmrc", "cache": "pnpm", "cache-dependency-path": "pnpm-lock.yaml",
    }
    assert step(leg, "Install dependencies")["run"] == "pnpm install --frozen-lockfile"


def test_a_leg_downloads_its_dependencies_outputs_before_it_runs_and_packs_its_own_after() -> None:
    names = [s["name"] for s in action("diamond")["runs"]["steps"]]
    assert names.index("Install dependencies") < names.index("Download the build outputs of its dependencies") \
        < names.index("Unpack the build outputs") < names.index("Run its services") \
        < names.index("Pack build outputs") < names.index("Upload build outputs") < names.index("Upload its timings")
    download = step(action("diamond"), "Download the build outputs of its dependencies")
    assert download["with"]["pattern"] == "${{ inputs.download }}" and download["with"]["merge-multiple"] is True
    assert download["if"] == "inputs.download != ''"


# --- independent groups: parallel mode, concurrency 2 -------------------------------------------


def test_groups_run_everything_in_one_stage_collecting_every_result_two_at_a_time() -> None:
    jobs = workflow("groups")["jobs"]
    assert list(jobs) == ["plan", "stage-1", "timings", "cigen"]  # no start script: no integration job
    stage = jobs["stage-1"]
    assert stage["strategy"]["fail-fast"] is False
    assert stage["strategy"]["max-parallel"] == 2
    affected = step(jobs["plan"], "Find the affected services")["run"]
    assert "--build-deps" not in affected  # nothing passes between legs that run at the same time


def test_groups_use_the_configured_runners_and_default_branch() -> None:
    doc = workflow("groups")
    assert doc["on"]["push"] == {"branches": ["trunk"]}
    assert {name: job["runs-on"] for name, job in doc["jobs"].items()} == dict.fromkeys(
        doc["jobs"], ["self-hosted", "linux"]
    )
    assert step(doc["jobs"]["plan"], "Find the affected services")["env"]["DEFAULT_BRANCH"] == "trunk"


def test_groups_install_with_yarn_classic_and_its_lockfile() -> None:
    leg = action("groups")
    assert step(leg, "Install dependencies")["run"] == "yarn install --frozen-lockfile"
    assert step(leg, "Set up Node.js and yarn")["with"]["cache"] == "yarn"


# --- mixed package managers ---------------------------------------------------------------------


def test_mixed_sets_up_each_toolchain_only_in_the_legs_that_use_it() -> None:
    leg = action("mixed")
    assert step(leg, "Set up Bun (apps/edge)")["if"] == "contains(inputs.toolchains, ' bun ')"
    assert step(leg, "Set up uv and Python")["if"] == "contains(inputs.toolchains, ' uv ')"
    assert step(leg, "Enable corepack (tools/gen)")["if"] == "contains(inputs.toolchains, ' yarn-berry ')"
    assert step(leg, "Install dependencies (apps/edge)") == {
        "name": "Install dependencies (apps/edge)", "if": "contains(inputs.toolchains, ' bun ')",
        "working-directory": "apps/edge", "shell": "bash", "run": "bun install --frozen-lockfile",
    }
    assert step(leg, "Install dependencies (tools/gen)")["run"] == "yarn install --immutable"


def test_mixed_reads_versions_from_the_repository_files() -> None:
    leg = action("mixed")
    assert step(leg, "Set up pnpm")["with"] == {"version": "8"}  # lockfileVersion 6.0
    assert "python-version" not in step(leg, "Set up uv and Python")["with"]  # .python-version
    assert step(leg, "Set up Python (py/legacy)")["with"] == {
        "python-version-file": ".python-version", "cache": "poetry", "cache-dependency-path": "py/legacy/poetry.lock",
    }


def test_mixed_runs_the_tasks_some_service_defines_in_the_configured_order() -> None:
    assert step(action("mixed"), "Run its services")["env"]["TASKS"] == "lint build test"


# --- every fixture ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_stage_is_skipped_when_empty_and_after_a_failure_but_not_after_a_skip(name: str) -> None:
    jobs = workflow(name)["jobs"]
    for job_id, job in jobs.items():
        if job_id.startswith("stage-"):
            assert job["if"] == f"${{{{ !cancelled() && !failure() && needs.plan.outputs.{job_id}-count != '0' }}}}"
            assert job["name"] == "${{ matrix.leg.name }}"
            assert job["steps"][1]["uses"] == "$/.github/actions/cigen-leg"


@pytest.mark.parametrize("name", NAMES)
def test_the_gate_needs_every_job_and_always_runs(name: str) -> None:
    jobs = workflow(name)["jobs"]
    gate = jobs["cigen"]
    assert gate["needs"] == [j for j in jobs if j not in ("cigen", "timings")]  # the timings never fail a run
    assert gate["if"] == "always()"
    assert gate["permissions"] == {}


@pytest.mark.parametrize("name", NAMES)
def test_the_plan_job_exposes_a_list_and_a_count_for_every_stage_job(name: str) -> None:
    jobs = workflow(name)["jobs"]
    stages = [j for j in jobs if j.startswith("stage-")]
    outputs = jobs["plan"]["outputs"]
    assert sorted(outputs) == sorted(["any", *stages, *(f"{s}-count" for s in stages)])
    assert outputs["stage-1"] == "${{ steps.affected.outputs.stage-1 }}"


@pytest.mark.parametrize("name", NAMES)
def test_permissions_are_empty_at_the_top_and_read_only_per_job(name: str) -> None:
    doc = workflow(name)
    assert doc["permissions"] == {}
    for job_id, job in doc["jobs"].items():
        assert job["permissions"] == ({} if job_id in ("cigen", "timings") else {"contents": "read"})


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_to_a_commit_with_its_tag_in_a_comment(name: str) -> None:
    texts = text_of(name) + action_text(name)
    lines = [line.strip() for line in texts.splitlines() if line.strip().startswith(("uses:", "- uses:"))]
    assert lines
    for line in lines:
        if line.endswith("uses: $/.github/actions/cigen-leg"):
            continue  # the leg action, at the running commit
        ref = line.split("uses:", 1)[1].split("#")[0].strip()
        assert len(ref.split("@")[1]) == 40, line
        assert line.split("#", 1)[1].strip().startswith("v"), line


@pytest.mark.parametrize("name", NAMES)
def test_checkouts_never_keep_credentials(name: str) -> None:
    for job in workflow(name)["jobs"].values():
        for s in job["steps"]:
            if s.get("uses", "").startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False


def test_triggers_are_pull_requests_pushes_to_the_default_branch_and_a_manual_run() -> None:
    doc = workflow("chain")
    assert doc["on"]["pull_request"] is None
    assert doc["on"]["push"] == {"branches": ["main"]}
    assert doc["on"]["workflow_dispatch"]["inputs"]["all"]["type"] == "boolean"
    assert doc["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    assert "github.run_id" in doc["concurrency"]["group"]  # other runs never share a group


def test_the_header_says_the_file_is_generated_and_how_to_regenerate_it() -> None:
    first = text_of("chain").splitlines()[0]
    assert first.startswith("# @generated by cigen ")
    assert "cigen generate" in first


def test_the_timings_job_folds_the_legs_times_into_the_cache_the_next_plan_job_restores() -> None:
    jobs = workflow("diamond")["jobs"]
    restore = step(jobs["plan"], "Restore the timings of earlier runs")
    assert restore["uses"].startswith("actions/cache/restore@")
    assert restore["with"]["restore-keys"] == "cigen-timings-"  # the newest a run saved
    affected = step(jobs["plan"], "Find the affected services")
    assert '--timings "$TIMINGS"' in affected["run"]
    assert affected["env"]["TIMINGS"] == restore["with"]["path"]
    timings = jobs["timings"]
    assert timings["needs"] == ["plan", "stage-0", "stage-1", "stage-2", "stage-3"]
    assert timings["if"] == "${{ !cancelled() && needs.plan.outputs.any == 'true' }}"
    save = step(timings, "Restore the timings of earlier runs")
    assert save["uses"].startswith("actions/cache@")  # saves at the end of the job, under this run's key
    assert save["with"]["path"] == restore["with"]["path"]
    assert save["with"]["key"] == "cigen-timings-${{ github.run_id }}-${{ github.run_attempt }}"


def test_the_timings_job_keeps_a_service_s_whole_run_not_a_leg_that_only_built_it(tmp_path: Path) -> None:
    """A ``-build`` document (a pull request's unaffected dependency, a head start's) times the build alone."""
    script = step(workflow("diamond")["jobs"]["timings"], "Add this run's timings")["run"]
    (tmp_path / "cigen-timings.json").write_text(json.dumps({"version": 1, "seconds": {"core": 50.0, "old": 7.0}}))
    legs = tmp_path / "cigen-timings"
    legs.mkdir()

    def document(*services: tuple[str, list[float]]) -> str:
        return json.dumps({"services": [{"path": p, "tasks": [{"seconds": t} for t in times]} for p, times in services]})

    (legs / "stage-1-1.json").write_text(document(("core", [10.0, 30.0]), ("lib", [5.0])))
    (legs / "stage-2-1-build.json").write_text(document(("core", [10.0])))  # read after stage-1-1.json
    (legs / "stage-0-1.json").write_text(document(("app", [60.0])))
    done = subprocess.run(["bash", "-c", script], env={**os.environ, "RUNNER_TEMP": str(tmp_path)},
                          capture_output=True, text=True, check=True)
    assert done.stdout == "timings of 4 services\n"
    saved = json.loads((tmp_path / "cigen-timings.json").read_text())
    assert saved == {"version": 1, "seconds": {"app": 60.0, "core": 40.0, "lib": 5.0, "old": 7.0}}


def test_the_stage_and_plan_jobs_hold_no_per_service_data() -> None:
    """What a leg runs comes from the plan job's outputs: the jobs' size does not grow with the members."""
    for name in NAMES:
        doc = workflow(name)
        members = [m.path for m in discover(FIXTURES / name, load_config(FIXTURES / name)).members]
        for job_id, job in doc["jobs"].items():
            if job_id == "plan" or job_id.startswith("stage-"):
                text = str(job)
                assert not [m for m in members if m != "." and m in text], (name, job_id)
