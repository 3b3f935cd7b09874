"""From workspace and cigen.yaml to the workflow: artifacts, tasks, split stages, the integration job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cigen.reporting import Recorder, reporting_to
from cigen.config.root import Config
from cigen.config.loader import load_config
from cigen.discovery import discover
from cigen.app.generate import build_model, generate_leg_action, generate_workflow
from cigen.model import Member, Workspace
from cigen.render.leg_matrix import artifact_name
from testing.monorepos import write_monorepo
from testing.validators import assert_valid_workflow



def leg_action(root: Path, config: Any) -> dict[str, Any]:
    """The leg action the workflow of the monorepo at ``root`` runs, as data."""
    return load(generate_leg_action(config, build_model(discover(root, config), config), root).text)


def load(text: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(text)


def validate(text: str, tmp_path: Path) -> None:
    path = tmp_path / "wf" / ".github" / "workflows" / "cigen.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert_valid_workflow(path)


def wide(root: Path, count: int) -> Workspace:
    members = tuple(
        Member(path=f"packages/p{i:03}", name=f"p{i:03}", version="1.0.0", kind="package", language="node",
               package_manager="npm", scripts={"test": "node --test"})
        for i in range(count)
    )
    return Workspace(root=root, definition="package.json", package_manager="npm", members=members)


def test_a_stage_of_more_than_256_services_is_split_into_parts_sharing_the_concurrency(tmp_path: Path) -> None:
    config = Config.model_validate({"plan": {"concurrency": 9}})
    text = generate_workflow(wide(tmp_path, 300), config).text
    jobs = load(text)["jobs"]
    parts = [j for j in jobs if j.startswith("stage-")]
    assert parts == ["stage-1-part-1", "stage-1-part-2"]
    assert [jobs[p]["strategy"]["max-parallel"] for p in parts] == [5, 4]  # 9 at once in all
    assert [jobs[p]["strategy"]["matrix"]["leg"] for p in parts] == [
        "${{ fromJSON(needs.plan.outputs.stage-1-part-1) }}", "${{ fromJSON(needs.plan.outputs.stage-1-part-2) }}",
    ]
    assert jobs["cigen"]["needs"] == ["plan", *parts]
    validate(text, tmp_path)


# --- tasks ----------------------------------------------------------------------------------------


def test_node_services_run_the_configured_tasks_they_define_in_the_configured_order(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "m", {
        ".": {"name": "m", "private": True, "workspaces": ["packages/*"]},
        "packages/a": {"name": "a", "scripts": {"test": "t", "typecheck": "tc", "build": "b", "lint": "l"}},
    }, config="workflow:\n  tasks: [typecheck, test, build]\n")
    config = load_config(root)
    run = next(s for s in leg_action(root, config)["runs"]["steps"] if s["name"] == "Run its services")
    assert run["env"]["TASKS"] == "typecheck test build"  # lint is configured by no one here: not asked


def test_setup_steps_from_cigen_yaml_run_after_the_toolchain_and_before_install(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "m", {
        ".": {"name": "m", "private": True, "workspaces": ["packages/*"]},
        "packages/a": {"name": "a", "scripts": {"test": "t"}},
    }, config="workflow:\n  setup:\n    - name: Registry login\n      run: echo login\n")
    config = load_config(root)
    steps = leg_action(root, config)["runs"]["steps"]
    names = [s.get("name", s.get("uses", "")) for s in steps]
    assert names.index("Set up Node.js and npm") < names.index("Registry login") < names.index("Install dependencies")


# --- the integration job --------------------------------------------------------------------------

SERVICES = {
    ".": {"name": "m", "private": True, "workspaces": ["packages/*", "services/*"]},
    "packages/db": {"name": "db", "scripts": {"build": "b"}},
    "services/api": {"name": "api", "scripts": {"build": "b", "start": "node dist/api.js"},
                     "dependencies": {"db": "*"}},
    "services/web": {"name": "web", "scripts": {"start": "node web.js"}, "dependencies": {"api": "*"}},
}
RUNTIME = """\
runtime:
  integration:
    command: npm run e2e --workspace services/web
    services: [web]
"""


@pytest.fixture
def started(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    root = write_monorepo(tmp_path / "m", SERVICES, config=RUNTIME)
    config = load_config(root)
    text = generate_workflow(discover(root, config), config).text
    return text, load(text)["jobs"]


def test_the_integration_job_follows_every_stage_and_the_gate_waits_for_it(started: tuple[str, dict]) -> None:
    jobs = started[1]
    assert list(jobs) == ["plan", "stage-0", "stage-1", "stage-2", "stage-3", "integration", "timings", "cigen"]
    assert jobs["integration"]["needs"] == ["plan", "stage-0", "stage-1", "stage-2", "stage-3"]
    assert jobs["integration"]["if"] == "${{ !cancelled() && !failure() && needs.plan.outputs.any == 'true' }}"
    assert jobs["cigen"]["needs"][-1] == "integration"


def test_the_integration_job_starts_tests_keeps_logs_on_failure_and_always_stops(started: tuple[str, dict]) -> None:
    steps = {s.get("name"): s for s in started[1]["integration"]["steps"]}
    order = [s.get("name") for s in started[1]["integration"]["steps"]]
    assert order[-6:] == ["Start the services", "Integration tests", "Upload the service logs", "Stop the services",
                          "Report on the run", "Upload the run report"]
    assert steps["Start the services"]["env"] == {"SERVICES": "web\n"}
    assert steps["Integration tests"]["env"] == {"COMMAND": "npm run e2e --workspace services/web"}
    assert steps["Upload the service logs"]["if"] == "failure()"
    assert steps["Upload the service logs"]["with"]["path"] == ".cigen/logs"
    assert steps["Stop the services"] == {"name": "Stop the services", "if": "always()", "run": "cigen down"}


def test_the_integration_job_builds_what_a_partial_run_skipped_dependencies_first(started: tuple[str, dict]) -> None:
    jobs = started[1]
    builds = json.loads(next(s for s in jobs["integration"]["steps"]
                             if s.get("name") == "Build what this run did not build")["env"]["BUILDS"])
    assert builds == [
        {"artifact": artifact_name("packages/db"), "path": "packages/db", "run": ["npm", "run", "build"]},
        {"artifact": artifact_name("services/api"), "path": "services/api", "run": ["npm", "run", "build"]},
    ]


def test_the_integration_workflow_passes_the_validators(started: tuple[str, dict], tmp_path: Path) -> None:
    validate(started[0], tmp_path)


def test_no_startable_service_means_no_integration_job(tmp_path: Path) -> None:
    manifests = {path: {k: v for k, v in m.items() if k != "scripts"} for path, m in SERVICES.items()}
    root = write_monorepo(tmp_path / "m", manifests)
    config = load_config(root)
    assert "integration" not in load(generate_workflow(discover(root, config), config).text)["jobs"]


def test_an_unknown_service_in_the_integration_list_is_an_input_error(tmp_path: Path) -> None:
    from cigen.errors import InputError

    root = write_monorepo(tmp_path / "m", SERVICES, config=RUNTIME.replace("[web]", "[wbe]"))
    config = load_config(root)
    with pytest.raises(InputError, match="wbe"):
        generate_workflow(discover(root, config), config)


def test_setup_steps_are_copied_into_every_job_without_yaml_aliases(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "m", {
        ".": {"name": "m", "private": True, "workspaces": ["packages/*"]},
        "packages/a": {"name": "a", "scripts": {"test": "t"}},
        "packages/b": {"name": "b", "scripts": {"test": "t"}, "dependencies": {"a": "*"}},
    }, config="workflow:\n  setup:\n    - uses: docker://alpine:3\n      with: {args: echo hi}\n")
    config = load_config(root)
    text = generate_leg_action(config, build_model(discover(root, config), config), root).text
    assert "&id" not in text and "*id" not in text
    assert text.count("args: echo hi") == 1  # in the leg action, which every stage job runs
    assert "args: echo hi" not in generate_workflow(discover(root, config), config).text


def test_an_unpinned_setup_action_is_warned_about(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "m", {
        ".": {"name": "m", "private": True, "workspaces": ["packages/*"]},
        "packages/a": {"name": "a", "scripts": {"test": "t"}},
    }, config="workflow:\n  setup:\n    - uses: some/action@v1\n    - uses: other/action@" + "a" * 40 + "\n")
    config = load_config(root)
    with reporting_to(Recorder()) as reported:
        generate_workflow(discover(root, config), config)
    assert reported.warnings() == [
        "workflow.setup[0]: some/action@v1 is not pinned to a commit SHA; a tag can be moved to other code"
    ]


# --- cigen through the composite action -----------------------------------------------------------

ACTION = "acme/cigen@" + "0123456789abcdef" * 2 + "01234567"


def test_with_workflow_action_the_plan_job_runs_cigen_through_the_pinned_action(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "m", {
        ".": {"name": "m", "private": True, "workspaces": ["packages/*"]},
        "packages/a": {"name": "a", "scripts": {"build": "b"}},
        "packages/b": {"name": "b", "scripts": {"test": "t"}, "dependencies": {"a": "*"}},
    }, config=f"workflow:\n  action: {ACTION}\n")
    config = load_config(root)
    text = generate_workflow(discover(root, config), config).text
    plan = load(text)["jobs"]["plan"]
    restore, check, affected = plan["steps"][1:]
    assert restore["uses"].startswith("actions/cache/restore@")
    assert (check["uses"], check["with"]) == (ACTION, {"command": "check"})
    assert affected["uses"] == ACTION and affected["id"] == "affected"
    assert affected["with"] == {
        "command": "affected",
        "base": "${{ github.event_name == 'workflow_dispatch' && !inputs.all && 'origin/main' || '' }}",
        "args": "--build-deps --timings ${{ runner.temp }}/cigen-timings.json",
    }
    assert plan["outputs"]["stage-2"] == "${{ toJSON(fromJSON(steps.affected.outputs.stages)['stage-2']) }}"
    assert plan["outputs"]["stage-2-count"] == "${{ fromJSON(steps.affected.outputs.counts)['stage-2'] }}"
    assert "pip install" not in str(plan)
    validate(text, tmp_path)


def test_the_pm2_the_integration_job_installs_is_the_one_cigen_is_tested_with() -> None:
    from importlib import resources

    from cigen.runtime.pm2 import PM2_VERSION

    folder = resources.files("cigen.render") / "pm2"
    manifest = json.loads((folder / "package.json").read_text())
    lock = json.loads((folder / "package-lock.json").read_text())
    assert manifest["dependencies"] == {"pm2": PM2_VERSION}
    assert lock["packages"]["node_modules/pm2"]["version"] == PM2_VERSION
    assert all("integrity" in entry for name, entry in lock["packages"].items() if name)


def test_an_impact_workflow_left_behind_after_impact_is_switched_off_is_warned_about(
    tmp_path: Path) -> None:
    from cigen.app.generate import generate_impact_workflow
    from cigen.adapters.write import write_generated

    manifests = {".": {"name": "m", "private": True, "workspaces": ["packages/*"]}, "packages/a": {"name": "a"}}
    root = write_monorepo(tmp_path / "m", manifests, config="workflow:\n  impact: true\n")
    config = load_config(root)
    generated = generate_impact_workflow(discover(root, config), config)
    assert generated is not None
    write_generated(generated.path, generated.text)

    (root / "cigen.yaml").write_text("workflow:\n  impact: false\n")
    config = load_config(root)
    with reporting_to(Recorder()) as reported:
        assert generate_impact_workflow(discover(root, config), config) is None

    assert reported.warnings() == [
        ".github/workflows/cigen-impact.yml is a cigen impact workflow, but cigen.yaml no longer sets "
        "workflow.impact; it still runs on every pull request until you delete it (cigen never deletes files)"
    ]
    assert generated.path.is_file(), "cigen warns; it never deletes what is there"


def test_no_warning_when_impact_was_never_used(tmp_path: Path) -> None:
    from cigen.app.generate import generate_impact_workflow

    root = write_monorepo(tmp_path / "m", {".": {"name": "m", "private": True, "workspaces": ["packages/*"]}})
    config = load_config(root)
    with reporting_to(Recorder()) as reported:
        assert generate_impact_workflow(discover(root, config), config) is None
    assert reported.messages == []


def test_the_integration_job_reports_on_the_run_in_the_summary_and_uploads_the_json(started: tuple[str, dict]) -> None:
    steps = {s.get("name"): s for s in started[1]["integration"]["steps"]}
    report, upload = steps["Report on the run"], steps["Upload the run report"]
    assert report["if"] == upload["if"] == "${{ !cancelled() }}"  # after a failed step too: the report says why
    assert report["env"] == {"REPORT_JSON": ".cigen/logs/run/report.json"}
    assert 'cigen report --format json > "$REPORT_JSON" || status=$?' in report["run"]
    assert 'cigen report --format markdown >> "$GITHUB_STEP_SUMMARY"' in report["run"]
    assert report["run"].rstrip().endswith('exit "$status"')  # a failed threshold fails the job
    assert (upload["with"]["name"], upload["with"]["path"]) == ("cigen-run-report", ".cigen/logs/run/report.json")
