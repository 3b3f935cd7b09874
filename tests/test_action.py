"""The composite action (action.yml) and its entry point, ``python -m cigen.action``.

- action.yml is valid (check-jsonschema's ``vendor.github-actions``, zizmor),
  pins setup-python to the SHA of cigen's pins data, and expands no input
  into a ``run:`` script.
- ``cigen.action`` turns the inputs into one cigen command: extra arguments
  split with shlex (no expansion), options the action sets itself refused,
  ``base``/``head`` only where they apply; ``affected``'s per-job outputs
  folded into the static ``stages`` and ``counts`` outputs.
- The action itself runs in the local executor as GitHub runs it: installed
  from this checkout into its own venv once per job, then affected, impact,
  check, up and down on a real monorepo with a real PM2 service.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Callable
from typing import Any
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import cigen.app.affected as app_affected
from cigen.action import COMMENT_BUDGET, command_line, grouped, main
from cigen.errors import InputError
from cigen.adapters.github_env import format_outputs
from cigen.render.pins import pin
from testing.paths import REPO_ROOT, node_tool
from testing.gha.events import pull_request_event
from testing.gha.model import SUCCESS
from testing.gha.runner import package_mirror, run_workflow
from testing.gha.shell import parse_file_command
from testing.gitrepos import Repo
from testing.validators import assert_valid_action

ACTION = REPO_ROOT / "action.yml"


def _action() -> dict:
    return YAML(typ="safe", pure=True).load(ACTION.read_text())


# -- action.yml ------------------------------------------------------------------------------------


def test_action_yml_passes_the_github_actions_schema_and_zizmor() -> None:
    assert_valid_action(ACTION)


def test_action_yml_pins_setup_python_to_cigens_pins_data() -> None:
    ref, tag = pin("actions/setup-python")
    uses = [step["uses"] for step in _action()["runs"]["steps"] if "uses" in step]
    assert uses == [ref]
    assert f"uses: {ref} # {tag}" in ACTION.read_text()


def test_no_input_or_expression_reaches_a_run_script() -> None:
    for step in _action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step


def test_every_input_the_entry_point_reads_is_passed_through_env() -> None:
    run_step = next(s for s in _action()["runs"]["steps"] if s.get("id") == "cigen")
    assert run_step["env"] == {
        "CIGEN_PYTHON": "${{ steps.install.outputs.python }}",
        "CIGEN_COMMAND": "${{ inputs.command }}",
        "CIGEN_WORKING_DIR": "${{ inputs.working-directory }}",
        "CIGEN_BASE": "${{ inputs.base }}",
        "CIGEN_HEAD": "${{ inputs.head }}",
        "CIGEN_ARGS": "${{ inputs.args }}",
    }


def test_the_declared_outputs_are_those_the_entry_point_writes() -> None:
    outputs = _action()["outputs"]
    assert sorted(outputs) == sorted(["stages", "counts", "affected", "count", "any", "all", "report", "report-file"])
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.cigen.outputs.{name} }}}}"


# -- the command line the inputs make -------------------------------------------------------------


def test_affected_gets_base_head_and_the_working_directory_as_root() -> None:
    env = {"CIGEN_COMMAND": "affected", "CIGEN_BASE": "origin/main", "CIGEN_HEAD": "HEAD~1",
           "CIGEN_WORKING_DIR": "web", "CIGEN_ARGS": "--build-deps"}
    assert command_line(env) == (
        "affected", ["affected", "--base", "origin/main", "--head", "HEAD~1", "--build-deps", "--root", "web"]
    )


def test_impact_runs_cigen_affected() -> None:
    assert command_line({"CIGEN_COMMAND": "impact"}) == ("impact", ["affected", "--root", "."])


def test_args_are_split_like_a_shell_without_expanding_anything() -> None:
    env = {"CIGEN_COMMAND": "up", "CIGEN_ARGS": """"my api" '$HOME' `id` $(id) ;rm --keep"""}
    assert command_line(env)[1] == ["up", "my api", "$HOME", "`id`", "$(id)", ";rm", "--keep", "--root", "."]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CIGEN_COMMAND": "deploy"}, "unknown command 'deploy'"),
        ({"CIGEN_COMMAND": ""}, "unknown command ''"),
        ({"CIGEN_COMMAND": "affected", "CIGEN_ARGS": "'unclosed"}, "the args input cannot be split"),
        ({"CIGEN_COMMAND": "affected", "CIGEN_ARGS": "--format json"}, "must not set --format"),
        ({"CIGEN_COMMAND": "impact", "CIGEN_ARGS": "-fjson"}, "must not set -f"),
        ({"CIGEN_COMMAND": "up", "CIGEN_ARGS": "--root=elsewhere"}, "must not set --root"),
        ({"CIGEN_COMMAND": "check", "CIGEN_ARGS": "-C x"}, "must not set -C"),
        ({"CIGEN_COMMAND": "check", "CIGEN_BASE": "main"}, "the base input applies to affected and impact only"),
        ({"CIGEN_COMMAND": "down", "CIGEN_HEAD": "HEAD"}, "the head input applies to affected and impact only"),
    ],
)
def test_bad_inputs_are_one_clear_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        command_line(env)


def test_a_bad_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main({"CIGEN_COMMAND": "deploy", "GITHUB_OUTPUT": str(tmp_path / "out")})
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("cigen: error: unknown command 'deploy'") and err.count("\n") == 1


def test_outside_github_actions_affected_says_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main({"CIGEN_COMMAND": "affected"}) == 2
    assert "python -m cigen.action (affected) writes to $GITHUB_OUTPUT, which is not set" in capsys.readouterr().err


# -- outputs ----------------------------------------------------------------------------------------


def test_the_outputs_read_back_as_github_reads_them_including_multiline_values() -> None:
    values = {"stage-1": '[{"name":"a=b"}]', "all": "", "report": "line one\nline two\n\nafter a blank"}
    assert parse_file_command(format_outputs(values), "GITHUB_OUTPUT") == values


def test_grouped_folds_per_job_lists_into_stages_and_counts_in_job_order() -> None:
    values = {
        "affected": '["a","b"]', "count": "2", "any": "true", "all": "",
        "stage-10": "[]", "stage-10-count": "0",
        "stage-2-part-1": '[{"name":"b","path":"packages/b","build_only":false}]', "stage-2-part-1-count": "1",
        "stage-1": '[{"name":"a","path":"packages/a","build_only":true}]', "stage-1-count": "1",
    }
    out = grouped(values)
    assert list(json.loads(out["stages"])) == ["stage-1", "stage-2-part-1", "stage-10"]
    assert json.loads(out["stages"])["stage-1"] == [{"name": "a", "path": "packages/a", "build_only": True}]
    assert json.loads(out["counts"]) == {"stage-1": 1, "stage-2-part-1": 1, "stage-10": 0}
    assert {k: out[k] for k in ("affected", "count", "any", "all")} == {
        "affected": '["a","b"]', "count": "2", "any": "true", "all": ""}
    assert "\n" not in out["stages"]


# -- the entry point on a real repository ------------------------------------------------------------


def _chain(tmp_path: Path) -> Repo:
    """core <- api <- web, and tools alone; main, then a branch that changes api."""
    repo = Repo.init(tmp_path / "mono")
    repo.write("package.json", json.dumps({"name": "mono", "private": True, "workspaces": ["packages/*"]}))
    repo.package("packages/core", "core").package("packages/tools", "tools")
    repo.package("packages/api", "api", {"core": "*"}).package("packages/web", "web", {"api": "*"})
    repo.commit("the monorepo")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("packages/api/index.js", "module.exports = 1;\n").commit("change api")
    return repo


def _run_main(env: dict[str, str], tmp_path: Path) -> tuple[int, dict[str, str], str]:
    outputs, summary = tmp_path / "github_output", tmp_path / "summary.md"
    outputs.write_text("")
    summary.write_text("")
    code = main({**env, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
                 "RUNNER_TEMP": str(tmp_path)})
    return code, parse_file_command(outputs.read_text(), "GITHUB_OUTPUT"), summary.read_text()


def test_affected_publishes_every_stage_and_the_totals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _chain(tmp_path)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    code, out, summary = _run_main(
        {"CIGEN_COMMAND": "affected", "CIGEN_BASE": "main", "CIGEN_WORKING_DIR": str(repo.path),
         "CIGEN_ARGS": "--build-deps"}, tmp_path)
    assert code == 0
    assert sorted(out) == ["affected", "all", "any", "count", "counts", "stages"]
    assert json.loads(out["affected"]) == ["api", "web"]
    assert (out["count"], out["any"], out["all"]) == ("2", "true", "")
    stages = json.loads(out["stages"])
    legs = [leg for entries in stages.values() for leg in entries]
    assert sorted(p for leg in legs for p in leg["build"]) == ["packages/core"]  # built for api, not tested
    assert sorted(p for leg in legs for p in leg["run"]) == ["packages/api", "packages/web"]
    assert json.loads(out["counts"]) == {job: len(entries) for job, entries in stages.items()}
    assert "api" in summary


def test_impact_writes_the_summary_the_report_file_and_a_comment_sized_report(tmp_path: Path) -> None:
    repo = _chain(tmp_path)
    code, out, summary = _run_main(
        {"CIGEN_COMMAND": "impact", "CIGEN_BASE": "main", "CIGEN_WORKING_DIR": str(repo.path)}, tmp_path)
    assert code == 0
    assert out["report-file"] == str(tmp_path / "cigen-impact.md")
    full = Path(out["report-file"]).read_text()
    assert summary == full and "api" in full and "web" in full
    assert out["report"].strip() and len(out["report"].encode()) <= COMMENT_BUDGET


def test_impact_computes_the_impact_once_and_renders_it_at_both_sizes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _chain(tmp_path)
    calls: list[object] = []
    real = app_affected.compute_impact

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(app_affected, "compute_impact", counted)
    code, out, _ = _run_main(
        {"CIGEN_COMMAND": "impact", "CIGEN_BASE": "main", "CIGEN_WORKING_DIR": str(repo.path)}, tmp_path)
    assert code == 0 and len(calls) == 1
    assert "api" in out["report"] and "api" in Path(out["report-file"]).read_text()


def test_an_option_cigen_affected_does_not_have_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _chain(tmp_path)
    code, out, _ = _run_main({"CIGEN_COMMAND": "affected", "CIGEN_BASE": "main", "CIGEN_WORKING_DIR": str(repo.path),
                              "CIGEN_ARGS": "--build-dpes"}, tmp_path)
    err = capsys.readouterr().err
    assert code == 2 and out == {}
    assert err.startswith("cigen: error: cigen affected: No such option: --build-dpes") and err.count("\n") == 1


def test_the_environment_is_the_one_passed_in_not_the_process_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outputs and the summary go where the given environment says, whatever os.environ holds."""
    repo = _chain(tmp_path)
    elsewhere = tmp_path / "process-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(elsewhere))
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    code, out, summary = _run_main(
        {"CIGEN_COMMAND": "affected", "CIGEN_BASE": "main", "CIGEN_WORKING_DIR": str(repo.path)}, tmp_path)
    assert code == 0 and json.loads(out["affected"]) == ["api", "web"]
    assert "api" in summary and not elsewhere.exists()


def test_a_failing_command_passes_its_exit_code_through(tmp_path: Path) -> None:
    repo = _chain(tmp_path)
    (repo.path / "packages/web/package.json").write_text("{ not json")
    code, out, _ = _run_main({"CIGEN_COMMAND": "affected", "CIGEN_BASE": "main",
                              "CIGEN_WORKING_DIR": str(repo.path)}, tmp_path)
    assert code == 2 and out == {}


# -- the action, run as GitHub runs it ---------------------------------------------------------------

SERVER = """\
const http = require("http");
http.createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404, {"content-type": "text/plain"});
  res.end(req.url === "/health" ? "ok" : "no");
}).listen(Number(process.env.PORT), "127.0.0.1");
"""

WORKFLOW = """\
on: pull_request
jobs:
  cigen:
    runs-on: ubuntu-latest
    outputs:
      stage-1: ${{ toJSON(fromJSON(steps.affected.outputs.stages)['stage-1']) }}
    steps:
      - uses: actions/checkout@v4
        with: {fetch-depth: 0, persist-credentials: false}
      - id: affected
        uses: acme/cigen@0123456789abcdef0123456789abcdef01234567
        with: {working-directory: mono, args: --build-deps}
      - id: impact
        uses: acme/cigen@0123456789abcdef0123456789abcdef01234567
        with: {command: impact, working-directory: mono}
      - uses: acme/cigen@0123456789abcdef0123456789abcdef01234567
        with: {command: check, working-directory: mono}
      - uses: acme/cigen@0123456789abcdef0123456789abcdef01234567
        with: {command: up, working-directory: mono, args: "'@mono/api'"}
        env: {CIGEN_PM2: PM2_PATH, CIGEN_PM2_HOME: PM2_HOME_PATH}
      - name: The service answers
        run: curl --fail --silent "http://127.0.0.1:$PORT/health"
        env: {PORT: "SERVICE_PORT"}
      - if: always()
        uses: acme/cigen@0123456789abcdef0123456789abcdef01234567
        with: {command: down, working-directory: mono}
        env: {CIGEN_PM2: PM2_PATH, CIGEN_PM2_HOME: PM2_HOME_PATH}
      - name: Outputs
        env:
          AFFECTED: ${{ steps.affected.outputs.affected }}
          ANY: ${{ steps.affected.outputs.any }}
          COUNTS: ${{ steps.affected.outputs.counts }}
          REPORT: ${{ steps.impact.outputs.report }}
        run: |
          echo "affected=$AFFECTED any=$ANY counts=$COUNTS"
          case "$REPORT" in *"@mono/api"*) echo report-names-api ;; esac
"""


@pytest.fixture
def monorepo_with_a_service(tmp_path: Path, free_port: Callable[[], int]) -> tuple[Repo, int]:
    """A repository whose folder mono/ holds a monorepo: lib <- @mono/api (a Node service with /health)."""
    from cigen.cli import main as cigen

    port = free_port()
    repo = Repo.init(tmp_path / "repo")
    repo.write("mono/package.json", json.dumps({"name": "mono", "private": True, "workspaces": ["packages/*"]}))
    repo.package("mono/packages/lib", "lib")
    repo.write("mono/packages/api/package.json", json.dumps(
        {"name": "@mono/api", "version": "1.0.0", "scripts": {"start": "node server.js"}, "dependencies": {"lib": "*"}}))
    repo.write("mono/packages/api/server.js", SERVER)
    repo.write("mono/cigen.yaml", textwrap.dedent(f"""\
        services:
          "@mono/api":
            port: {port}
            health: {{http: /health, deadline: 30s}}
        """))
    assert cigen(["generate", "--root", str(repo.path / "mono")]) == 0
    repo.commit("the monorepo and its workflow")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("mono/packages/lib/index.js", "module.exports = 2;\n").commit("change lib")
    return repo, port


@pytest.mark.slow
def test_the_action_installs_once_and_runs_every_command(
    monorepo_with_a_service: tuple[Repo, int], tmp_path: Path, cigen_wheelhouse: Path
) -> None:
    repo, port = monorepo_with_a_service
    pm2_home = Path("/tmp") / f"cigen-action-{port}"
    text = (WORKFLOW.replace("PM2_PATH", str(node_tool("pm2"))).replace("PM2_HOME_PATH", str(pm2_home))
            .replace("SERVICE_PORT", str(port)))
    run = run_workflow(text, repo.path, pull_request_event(repo.path), workdir=tmp_path / "run",
                       step_timeout=600, actions={"acme/cigen": REPO_ROOT}, machine_env=package_mirror(cigen_wheelhouse))
    job = run["cigen"]
    leg = job.legs[0]
    assert leg.result == SUCCESS, run.report()
    uses = [s for s in leg.steps if "acme/cigen" in s.name]
    assert [s.log.count("Installed cigen from") for s in uses] == [1, 0, 0, 0, 0]
    assert [s.log.count("Using cigen installed in") for s in uses] == [0, 1, 1, 1, 1]

    # Two short services, one behind the other: one leg runs both, in order; stage-2 has nothing left.
    assert [(e["run"], e["build"]) for e in json.loads(job.outputs["stage-1"])] == [
        (["packages/lib", "packages/api"], [])]
    outputs = leg.step("Outputs").log
    assert 'affected=["@mono/api","lib"] any=true counts={"stage-0":0,"stage-1":1,"stage-2":0}' in outputs
    assert "report-names-api" in outputs
    assert "@mono/api" in leg.summary and "mono/cigen" not in leg.summary
    assert "ok" in leg.step("The service answers").log
    assert "stopped @mono/api" in uses[-1].log


@pytest.mark.slow
def test_the_generated_plan_job_runs_cigen_through_the_action(tmp_path: Path, cigen_wheelhouse: Path) -> None:
    """workflow.action: the plan job's per-stage outputs come from the action's stages and counts."""
    from cigen.cli import main as cigen

    repo = _chain(tmp_path)
    repo.git("checkout", "-q", "main")
    repo.write("cigen.yaml", "workflow:\n  action: acme/cigen@0123456789abcdef0123456789abcdef01234567\n")
    assert cigen(["generate", "--root", str(repo.path)]) == 0
    repo.commit("the workflow, through the action")
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-edit", "main")
    workflow = YAML(typ="safe", pure=True).load((repo.path / ".github/workflows/cigen.yml").read_text())
    workflow["jobs"] = {"plan": workflow["jobs"]["plan"]}  # the stage legs are the workflow tests' subject

    run = run_workflow(workflow, repo.path, pull_request_event(repo.path), workdir=tmp_path / "run",
                       step_timeout=600, actions={"acme/cigen": REPO_ROOT}, machine_env=package_mirror(cigen_wheelhouse))
    plan = run["plan"]
    assert plan.result == SUCCESS, run.report()
    lists = {job: json.loads(value) for job, value in plan.outputs.items() if job.startswith("stage-")
             and not job.endswith("-count")}
    legs = {job: [(e["build"], e["run"]) for e in entries] for job, entries in lists.items()}
    # core builds for api; api and web run after it in the same leg: no barrier between three short services.
    assert legs == {"stage-0": [], "stage-1": [(["packages/core"], ["packages/api", "packages/web"])], "stage-2": [],
                    "stage-3": []}
    assert {job: plan.outputs[f"{job}-count"] for job in lists} == {
        "stage-0": "0", "stage-1": "1", "stage-2": "0", "stage-3": "0"}
    assert plan.outputs["any"] == "true"


def _readme_block(after: str, language: str) -> str:
    text = (REPO_ROOT / "README.md").read_text()
    start = text.index(f"```{language}\n", text.index(after)) + len(language) + 4
    return text[start:text.index("```", start)]


def test_the_readmes_workflow_example_passes_the_validators(tmp_path: Path) -> None:
    from testing.validators import assert_valid_workflow

    example = _readme_block("In a workflow of your own", "yaml")
    path = tmp_path / ".github" / "workflows" / "affected.yml"
    path.parent.mkdir(parents=True)
    path.write_text(example.replace("<owner>/cigen@<commit>", "acme/cigen@" + "0" * 40))
    assert "uses: <owner>/cigen@<commit>" in example
    assert_valid_workflow(path)


def test_the_readmes_pre_commit_example_is_a_valid_config(tmp_path: Path) -> None:
    from cigen.adapters.proc import run

    commit = "0123456789abcdef" * 2 + "01234567"  # letters too: YAML would read forty zeros as a number
    example = _readme_block("## Quick start: pre-commit", "yaml").replace("<owner>", "acme").replace("<commit>", commit)
    (tmp_path / ".pre-commit-config.yaml").write_text(example)
    pre_commit = str(Path(sys.executable).with_name("pre-commit"))
    result = run([pre_commit, "validate-config", ".pre-commit-config.yaml"], cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "id: cigen-generate" in example
