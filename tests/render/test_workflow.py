"""The generated workflow for four fixture monorepos: a chain, a diamond, independent groups, mixed managers.

Each fixture's workflow is kept as a real ``.yml`` snapshot (syrupy) and must
pass actionlint, zizmor and the workflow schema; the tests below state what
the snapshot means: which job needs which, what each matrix holds, fail-fast,
max-parallel, the toolchain of each leg and the artifacts between jobs.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from syrupy.assertion import SnapshotAssertion

from cigen.config.loader import load_config
from cigen.discovery import discover
from cigen.app.generate import generate_workflow
from tests.render.yaml_snapshot import snapshot_yml  # noqa: F401 - a fixture
from testing.validators import assert_valid_workflow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workflow"
NAMES = ("chain", "diamond", "groups", "mixed")


@cache
def text_of(name: str) -> str:
    root = FIXTURES / name
    config = load_config(root)
    return generate_workflow(discover(root, config), config).text


@cache
def workflow(name: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(text_of(name))


def services(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The static per-service data of a stage job, keyed by path."""
    return json.loads(job["env"]["CIGEN_SERVICES"])


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in job["steps"] if s.get("name") == name]
    assert len(found) == 1, f"{len(found)} steps named {name!r}"
    return found[0]


def uses(job: dict[str, Any]) -> list[str]:
    return [s["uses"].split("@")[0] for s in job["steps"] if "uses" in s]


@pytest.mark.parametrize("name", NAMES)
def test_the_workflow_matches_its_snapshot(name: str, snapshot_yml: SnapshotAssertion) -> None:  # noqa: F811
    assert text_of(name) == snapshot_yml


@pytest.mark.parametrize("name", NAMES)
def test_the_workflow_passes_actionlint_zizmor_and_the_schema(name: str, tmp_path: Path) -> None:
    path = tmp_path / ".github" / "workflows" / "cigen.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text_of(name))
    assert_valid_workflow(path)


@pytest.mark.parametrize("name", NAMES)
def test_generating_twice_gives_byte_identical_output(name: str) -> None:
    root = FIXTURES / name
    config = load_config(root)
    assert generate_workflow(discover(root, config), config).text == text_of(name)


# --- chain: cascade mode ------------------------------------------------------------------------


def test_chain_runs_one_service_per_stage_each_stage_needing_the_one_before() -> None:
    jobs = workflow("chain")["jobs"]
    assert list(jobs) == ["plan", "stage-1", "stage-2", "stage-3", "stage-4", "integration", "cigen"]
    assert [jobs[f"stage-{i}"]["needs"] for i in range(1, 5)] == [
        ["plan"], ["plan", "stage-1"], ["plan", "stage-2"], ["plan", "stage-3"],
    ]
    assert [list(services(jobs[f"stage-{i}"])) for i in range(1, 5)] == [
        ["packages/a"], ["packages/b"], ["packages/c"], ["apps/d"],
    ]


def test_chain_stops_at_the_first_failure_and_runs_one_leg_at_a_time() -> None:
    for i in range(1, 5):
        strategy = workflow("chain")["jobs"][f"stage-{i}"]["strategy"]
        assert strategy["fail-fast"] is True
        assert "max-parallel" not in strategy  # one service per stage: a limit could not bind
        assert strategy["matrix"] == {"service": f"${{{{ fromJSON(needs.plan.outputs.stage-{i}) }}}}"}


def test_chain_passes_every_upstream_build_output_to_the_last_service() -> None:
    jobs = workflow("chain")["jobs"]
    assert services(jobs["stage-1"])["packages/a"] == {
        "artifact": "cigen-packages-a", "dependencies": "", "tasks": ["lint", "build", "test"],
    }
    assert services(jobs["stage-4"])["apps/d"] == {
        "artifact": "cigen-apps-d",  # the integration job starts it
        "dependencies": "cigen-packages-c",  # c's artifact names b and a (closure.txt)
        "tasks": ["build"],  # d defines build and start only
    }
    assert "actions/download-artifact" not in uses(jobs["stage-1"])
    assert "actions/download-artifact" in uses(jobs["stage-4"])


def test_chain_installs_with_npm_ci_and_caches_on_package_lock() -> None:
    job = workflow("chain")["jobs"]["stage-2"]
    setup = step(job, "Set up Node.js and npm")
    assert setup["with"] == {"node-version": "24", "cache": "npm", "cache-dependency-path": "package-lock.json"}
    assert step(job, "Install dependencies")["run"] == "npm ci"
    assert step(job, "build")["run"] == 'npm run "$TASK"'
    assert step(job, "build")["working-directory"] == "${{ matrix.service.path }}"


# --- diamond: auto mode, concurrency 1 ----------------------------------------------------------


def test_diamond_runs_both_sides_together_after_the_core_and_the_app_last() -> None:
    jobs = workflow("diamond")["jobs"]
    assert [(j, list(services(jobs[j])), jobs[j]["needs"]) for j in ("stage-1", "stage-2", "stage-3")] == [
        ("stage-1", ["packages/core"], ["plan"]),
        ("stage-2", ["packages/left", "packages/right"], ["plan", "stage-1"]),
        ("stage-3", ["apps/app"], ["plan", "stage-2"]),
    ]


def test_diamond_collects_every_result_and_limits_only_the_stage_the_limit_can_bind() -> None:
    jobs = workflow("diamond")["jobs"]
    assert {j: jobs[j]["strategy"]["fail-fast"] for j in ("stage-1", "stage-2", "stage-3")} == dict.fromkeys(
        ("stage-1", "stage-2", "stage-3"), False
    )
    assert jobs["stage-2"]["strategy"]["max-parallel"] == 1
    assert "max-parallel" not in jobs["stage-1"]["strategy"]


def test_diamond_sets_up_the_pnpm_its_package_json_pins_and_node_from_nvmrc() -> None:
    job = workflow("diamond")["jobs"]["stage-1"]
    pnpm = step(job, "Set up pnpm")
    assert "with" not in pnpm  # packageManager: pnpm@10.12.1 decides; a version here would conflict
    assert uses(job).index("pnpm/action-setup") < uses(job).index("actions/setup-node")
    assert step(job, "Set up Node.js")["with"] == {
        "node-version-file": ".nvmrc", "cache": "pnpm", "cache-dependency-path": "pnpm-lock.yaml",
    }
    assert step(job, "Install dependencies")["run"] == "pnpm install --frozen-lockfile"


def test_diamond_app_names_its_direct_dependencies_whose_artifacts_name_the_core() -> None:
    app = services(workflow("diamond")["jobs"]["stage-3"])["apps/app"]
    assert app["dependencies"] == "{cigen-packages-left,cigen-packages-right}"
    names = [s["name"] for s in workflow("diamond")["jobs"]["stage-3"]["steps"] if "name" in s]
    assert names.index("Download the build outputs of its dependencies") < names.index(
        "Find the dependencies of its dependencies") < names.index("Download the build outputs of their dependencies"
    ) < names.index("Unpack the build outputs") < names.index("build")


# --- independent groups: parallel mode, concurrency 2 -------------------------------------------


def test_groups_run_everything_in_one_stage_collecting_every_result_two_at_a_time() -> None:
    jobs = workflow("groups")["jobs"]
    assert list(jobs) == ["plan", "stage-1", "cigen"]  # no start script: no integration job
    stage = jobs["stage-1"]
    assert sorted(services(stage)) == [
        "apps/api", "apps/web-app", "libs/api-core", "libs/api-lib", "libs/web-lib", "tools/tool",
    ]
    assert stage["strategy"]["fail-fast"] is False
    assert stage["strategy"]["max-parallel"] == 2


def test_groups_pass_no_outputs_between_legs_that_run_at_the_same_time() -> None:
    jobs = workflow("groups")["jobs"]
    assert {s["artifact"] for s in services(jobs["stage-1"]).values()} == {""}
    assert not {"actions/upload-artifact", "actions/download-artifact"} & set(uses(jobs["stage-1"]))
    affected = step(jobs["plan"], "Find the affected services")["run"]
    assert "--build-deps" not in affected


def test_groups_use_the_configured_runners_and_default_branch() -> None:
    doc = workflow("groups")
    assert doc["on"]["push"] == {"branches": ["trunk"]}
    assert {name: job["runs-on"] for name, job in doc["jobs"].items()} == dict.fromkeys(
        doc["jobs"], ["self-hosted", "linux"]
    )
    assert step(doc["jobs"]["plan"], "Find the affected services")["env"]["DEFAULT_BRANCH"] == "trunk"


def test_groups_install_with_yarn_classic_and_its_lockfile() -> None:
    job = workflow("groups")["jobs"]["stage-1"]
    assert step(job, "Install dependencies")["run"] == "yarn install --frozen-lockfile"
    assert step(job, "Set up Node.js and yarn")["with"]["cache"] == "yarn"
    assert services(job)["tools/tool"]["tasks"] == ["lint"]


# --- mixed package managers ---------------------------------------------------------------------


def test_mixed_gives_each_service_the_toolchain_of_its_own_package_manager() -> None:
    jobs = workflow("mixed")["jobs"]
    toolchains = {p: s["toolchain"] for j in ("stage-1", "stage-2") for p, s in services(jobs[j]).items()}
    assert toolchains == {
        "packages/ui": "pnpm",
        "py/legacy": "poetry",
        "py/ranking": "uv",
        "apps/edge": "bun",
        "py/recommend": "uv",
        "tools/gen": "yarn-berry",
    }


def test_mixed_sets_up_each_toolchain_only_in_the_legs_that_use_it() -> None:
    job = workflow("mixed")["jobs"]["stage-2"]
    lookup = "fromJSON(env.CIGEN_SERVICES)[matrix.service.path].toolchain"
    assert step(job, "Set up Bun (apps/edge)")["if"] == f"{lookup} == 'bun'"
    assert step(job, "Set up uv and Python")["if"] == f"{lookup} == 'uv'"
    assert step(job, "Enable corepack (tools/gen)")["if"] == f"{lookup} == 'yarn-berry'"
    assert step(job, "Install dependencies (apps/edge)") == {
        "name": "Install dependencies (apps/edge)", "if": f"{lookup} == 'bun'",
        "working-directory": "apps/edge", "run": "bun install --frozen-lockfile",
    }
    assert step(job, "Install dependencies (tools/gen)")["run"] == "yarn install --immutable"


def test_mixed_reads_versions_from_the_repository_files() -> None:
    jobs = workflow("mixed")["jobs"]
    assert step(jobs["stage-1"], "Set up pnpm")["with"] == {"version": "8"}  # lockfileVersion 6.0
    assert "python-version" not in step(jobs["stage-1"], "Set up uv and Python")["with"]  # .python-version
    assert step(jobs["stage-1"], "Set up Python (py/legacy)")["with"] == {
        "python-version-file": ".python-version", "cache": "poetry", "cache-dependency-path": "py/legacy/poetry.lock",
    }


def test_mixed_runs_python_tasks_where_the_service_declares_the_tool() -> None:
    jobs = workflow("mixed")["jobs"]
    assert services(jobs["stage-1"])["py/ranking"]["tasks"] == ["lint", "test"]  # pytest and ruff
    assert services(jobs["stage-1"])["py/legacy"]["tasks"] == ["test"]
    assert services(jobs["stage-2"])["py/recommend"]["tasks"] == ["test"]
    uv_test = [s for s in jobs["stage-1"]["steps"] if s.get("name") == "test" and "uv run" in s["run"]]
    assert [(s["env"], s["run"]) for s in uv_test] == [({"COMMAND": "pytest"}, 'uv run --locked bash -c "$COMMAND"')]


# --- every fixture ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_stage_is_skipped_when_empty_and_after_a_failure_but_not_after_a_skip(name: str) -> None:
    jobs = workflow(name)["jobs"]
    for job_id, job in jobs.items():
        if job_id.startswith("stage-"):
            assert job["if"] == f"${{{{ !cancelled() && !failure() && needs.plan.outputs.{job_id}-count != '0' }}}}"
            assert job["name"] == "${{ matrix.service.name }}"


@pytest.mark.parametrize("name", NAMES)
def test_the_gate_needs_every_job_and_always_runs(name: str) -> None:
    jobs = workflow(name)["jobs"]
    gate = jobs["cigen"]
    assert gate["needs"] == [j for j in jobs if j != "cigen"]
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
        assert job["permissions"] == ({} if job_id == "cigen" else {"contents": "read"})


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_to_a_commit_with_its_tag_in_a_comment(name: str) -> None:
    lines = [line.strip() for line in text_of(name).splitlines() if line.strip().startswith(("uses:", "- uses:"))]
    assert lines
    for line in lines:
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
