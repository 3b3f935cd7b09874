"""The pull-request impact workflow (``workflow.impact``): its shape, its validity, and a real run.

What the tests state as the intent:

- on ``pull_request`` only (never ``pull_request_target``); ``permissions: {}``
  at the top; the report job reads (``contents: read``), the comment job alone
  writes (``pull-requests: write``) and runs only for a pull request from the
  same repository;
- the report reaches the comment script through ``env:``, never inside its
  text; no ``${{`` in any ``run:``; every action pinned as cigen's pins say;
- it passes actionlint, ``zizmor --offline`` and the workflow schema in each
  of its variants (pip install or the action, with or without the comment);
- run by the local executor on a real repository: a pull request's first run
  creates one comment holding the report and the marker, the next run updates
  that comment, and a pull request from a fork gets the summary only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from syrupy.assertion import SnapshotAssertion

from cigen.config.root import Config
from cigen.render.impact_workflow import COMMENT_SCRIPT, MARKER, ImpactModel, render_impact_workflow
from cigen.render.ownership import dump
from cigen.render.pins import pin
from testing.cli import run_cigen
from testing.paths import REPO_ROOT
from testing.gha.events import pull_request_event
from testing.gha.github_script import comments
from testing.gha.model import SKIPPED, SUCCESS
from testing.gha.runner import package_mirror, run_workflow
from testing.gitrepos import Repo
from tests.render.yaml_snapshot import snapshot_yml  # noqa: F401 - a fixture
from testing.validators import assert_valid_workflow

ACTION = "acme/cigen@0123456789abcdef0123456789abcdef01234567"
VARIANTS = {
    "pip": {"impact": True},
    "action": {"impact": True, "action": ACTION},
    "summary-only": {"impact": {"comment": False}},
    "labels": {"impact": {"name": "PR impact", "path": ".github/workflows/impact.yaml"},
               "runs_on": ["self-hosted", "linux"], "cigen_requirement": "cigen @ git+https://example.invalid/c"},
}


def text_of(variant: str) -> str:
    config = Config.model_validate({"workflow": VARIANTS[variant]})
    return dump(render_impact_workflow(ImpactModel(config.workflow.impact, config.workflow, "1.2.3")))


def data_of(variant: str) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(text_of(variant))


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_passes_actionlint_zizmor_and_the_schema(variant: str, tmp_path: Path) -> None:
    path = tmp_path / ".github" / "workflows" / "cigen-impact.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text_of(variant))
    # The labels variant asks for self-hosted runners: the auditor persona reports that choice, nothing cigen wrote.
    accepted = {"self-hosted-runner": "runs_on names self-hosted"} if variant == "labels" else None
    assert_valid_workflow(path, accepted=accepted)


def test_the_default_workflow_matches_its_snapshot(snapshot_yml: SnapshotAssertion) -> None:
    assert text_of("pip") == snapshot_yml


def test_it_runs_on_pull_request_only_with_no_permissions_at_the_top() -> None:
    data = data_of("pip")
    assert data["on"] == {"pull_request": None}
    assert data["permissions"] == {}
    assert data["concurrency"]["cancel-in-progress"] is True


def test_only_the_comment_job_may_write_and_only_for_this_repositorys_pull_requests() -> None:
    jobs = data_of("pip")["jobs"]
    assert jobs["report"]["permissions"] == {"contents": "read"}
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    assert jobs["comment"]["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert jobs["comment"]["needs"] == "report"
    assert [s.get("uses", "").split("@")[0] for s in jobs["comment"]["steps"]] == ["actions/github-script"]


def test_the_report_reaches_the_script_through_env_never_its_text() -> None:
    step = data_of("pip")["jobs"]["comment"]["steps"][0]
    assert step["env"] == {"CIGEN_REPORT": "${{ needs.report.outputs.report }}"}
    assert "${{" not in step["with"]["script"] and "process.env.CIGEN_REPORT" in step["with"]["script"]
    assert MARKER in step["with"]["script"]
    for data in map(data_of, VARIANTS):
        assert all("${{" not in s.get("run", "") for s in steps(data))


def test_every_action_is_pinned_to_cigens_pins() -> None:
    text = text_of("pip")
    for step in steps(data_of("pip")):
        if "uses" in step:
            name = step["uses"].split("@")[0]
            ref, tag = pin(name)
            assert step["uses"] == ref and f"uses: {ref}  # {tag}" in text


def test_pip_mode_installs_the_requirement_and_runs_the_actions_entry_point() -> None:
    report = data_of("pip")["jobs"]["report"]
    install = next(s for s in report["steps"] if s.get("name") == "Install cigen")
    assert install["env"] == {"CIGEN_REQUIREMENT": "cigen==1.2.3"}
    impact = next(s for s in report["steps"] if s.get("id") == "impact")
    assert impact["run"] == "python -m cigen.action" and impact["env"] == {"CIGEN_COMMAND": "impact"}
    assert report["steps"][0]["with"] == {"fetch-depth": 0, "persist-credentials": False}


def test_action_mode_uses_the_configured_action_instead_of_pip() -> None:
    report = data_of("action")["jobs"]["report"]
    assert [s.get("uses", s.get("run")) for s in report["steps"]][1:] == [ACTION]
    assert report["steps"][1]["with"] == {"command": "impact"}


def test_without_comment_there_is_no_write_permission_at_all() -> None:
    data = data_of("summary-only")
    assert list(data["jobs"]) == ["report"] and "outputs" not in data["jobs"]["report"]
    assert "pull-requests" not in text_of("summary-only") and "comment job" not in text_of("summary-only")


def test_names_labels_and_requirement_come_from_cigen_yaml() -> None:
    data = data_of("labels")
    assert data["name"] == "PR impact"
    install = next(s for s in data["jobs"]["report"]["steps"] if s.get("name") == "Install cigen")
    assert install["env"] == {"CIGEN_REQUIREMENT": "cigen @ git+https://example.invalid/c"}
    assert all(job["runs-on"] == ["self-hosted", "linux"] for job in data["jobs"].values())


def test_the_output_is_byte_identical_every_time() -> None:
    assert len({text_of("pip") for _ in range(3)}) == 1


# -- cigen generate / check ---------------------------------------------------------------------------


def _monorepo(root: Path, config: str) -> Repo:
    repo = Repo.init(root)
    repo.write("package.json", json.dumps({"name": "mono", "private": True, "workspaces": ["packages/*"]}))
    repo.package("packages/core", "core").package("packages/api", "api", {"core": "*"})
    repo.package("packages/web", "web", {"api": "*"}).package("packages/tools", "tools")
    repo.write("cigen.yaml", config)
    return repo


def test_generate_writes_the_impact_workflow_and_check_watches_it(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono", "workflow:\n  impact: true\n")
    assert run_cigen("generate", "--root", str(repo.path)).exit_code == 0
    impact = repo.path / ".github/workflows/cigen-impact.yml"
    assert impact.read_text().startswith("# @generated by cigen")
    assert run_cigen("check", "--root", str(repo.path)).exit_code == 0
    impact.write_text(impact.read_text().replace("timeout-minutes: 15", "timeout-minutes: 16"))
    assert run_cigen("check", "--root", str(repo.path)).exit_code == 1
    assert run_cigen("generate", "--exit-code", "--root", str(repo.path)).exit_code == 1
    assert run_cigen("generate", "--exit-code", "--root", str(repo.path)).exit_code == 0
    assert "timeout-minutes: 15" in impact.read_text()


def test_regenerating_keeps_jobs_and_triggers_a_person_added(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono", "workflow:\n  impact: true\n")
    assert run_cigen("generate", "--root", str(repo.path)).exit_code == 0
    impact = repo.path / ".github/workflows/cigen-impact.yml"
    text = impact.read_text().replace("  pull_request:\n", "  pull_request:\n  merge_group:\n")
    impact.write_text(text + "  notify:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n")
    (repo.path / "cigen.yaml").write_text("workflow:\n  impact: {name: renamed}\n")
    assert run_cigen("generate", "--root", str(repo.path)).exit_code == 0
    data = YAML(typ="safe", pure=True).load(impact.read_text())
    assert data["name"] == "renamed"
    assert list(data["on"]) == ["pull_request", "merge_group"]
    assert list(data["jobs"]) == ["report", "comment", "notify"]


def test_without_impact_no_impact_workflow_is_written(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono", "workflow:\n  impact: false\n")
    assert run_cigen("generate", "--root", str(repo.path)).exit_code == 0
    assert sorted(p.name for p in (repo.path / ".github/workflows").iterdir()) == ["cigen.yml"]


def test_the_impact_path_cannot_be_the_workflows(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono", "workflow:\n  impact: {path: .github/workflows/cigen.yml}\n")
    done = run_cigen("generate", "--root", str(repo.path))
    assert done.exit_code == 2
    assert "workflow.impact.path is the workflow's own path" in done.stderr


def test_a_bad_action_reference_is_one_located_error(tmp_path: Path) -> None:
    repo = _monorepo(tmp_path / "mono", "workflow:\n  action: acme/cigen@v1\n")
    done = run_cigen("generate", "--root", str(repo.path))
    assert done.exit_code == 2
    err = done.stderr
    assert "cigen.yaml:2:3: workflow.action" in err and "40-character commit" in err


# -- a real run ----------------------------------------------------------------------------------------


def _pull_request_repo(root: Path, config: str) -> Repo:
    """main: the monorepo and its workflows; feature: a change to core (core, api and web affected)."""
    repo = _monorepo(root, config)
    assert run_cigen("generate", "--root", str(repo.path)).exit_code == 0
    repo.commit("the monorepo")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("packages/core/index.js", "module.exports = 1;\n").commit("change core")
    return repo


def _run(repo: Repo, tmp_path: Path, name: str, wheelhouse: Path, **options: Any):
    """The impact workflow on ``repo``, its pip installing from ``wheelhouse`` (the cigen_wheelhouse fixture)."""
    workflow = repo.path / ".github/workflows/cigen-impact.yml"
    return run_workflow(workflow, repo.path, options.pop("event", None) or pull_request_event(repo.path),
                        workdir=tmp_path / name, step_timeout=600, machine_env=package_mirror(wheelhouse), **options)


@pytest.mark.slow
def test_a_pull_request_gets_one_comment_created_then_updated(
    cigen_wheel: Path, cigen_wheelhouse: Path, tmp_path: Path
) -> None:
    repo = _pull_request_repo(tmp_path / "mono", f"workflow:\n  impact: true\n  cigen_requirement: '{cigen_wheel}'\n")
    first = _run(repo, tmp_path, "first", cigen_wheelhouse)
    assert first.results() == {"report": SUCCESS, "comment": SUCCESS}, first.report()
    summary = first["report"].legs[0].summary
    assert "core" in summary and "web" in summary and "tools" not in summary.split("affected", 1)[0]
    [comment] = comments(repo.path, 1)
    assert comment["body"].startswith(MARKER + "\n") and "api" in comment["body"]
    assert "Created the impact comment" in first["comment"].legs[0].log

    repo.write("packages/tools/index.js", "module.exports = 2;\n").commit("change tools too")
    second = _run(repo, tmp_path, "second", cigen_wheelhouse)
    assert second.result == SUCCESS, second.report()
    [updated] = comments(repo.path, 1)
    assert updated["id"] == comment["id"] and updated["body"] != comment["body"]
    assert "tools" in updated["body"]
    assert "Updated the impact comment" in second["comment"].legs[0].log


@pytest.mark.slow
def test_a_pull_request_from_a_fork_gets_the_summary_and_no_comment(
    cigen_wheel: Path, cigen_wheelhouse: Path, tmp_path: Path
) -> None:
    repo = _pull_request_repo(tmp_path / "mono", f"workflow:\n  impact: true\n  cigen_requirement: '{cigen_wheel}'\n")
    result = _run(repo, tmp_path, "fork", cigen_wheelhouse, event=pull_request_event(repo.path, fork="someone/mono"))
    assert result.results() == {"report": SUCCESS, "comment": SKIPPED}, result.report()
    assert "core" in result["report"].legs[0].summary
    assert comments(repo.path, 1) == []


@pytest.mark.slow
def test_action_mode_runs_the_composite_action_from_this_checkout(cigen_wheelhouse: Path, tmp_path: Path) -> None:
    repo = _pull_request_repo(tmp_path / "mono", f"workflow:\n  impact: true\n  action: {ACTION}\n")
    result = _run(repo, tmp_path, "action", cigen_wheelhouse, actions={"acme/cigen": REPO_ROOT})
    assert result.result == SUCCESS, result.report()
    [comment] = comments(repo.path, 1)
    assert "web" in comment["body"]


def test_the_comment_script_never_interpolates_a_workflow_expression() -> None:
    assert "${{" not in COMMENT_SCRIPT
