"""Service names and folders with spaces, quotes, ``$``, ``;``, backticks and ``${{`` give a safe, working workflow.

A real npm-workspaces monorepo whose member folders carry those characters
(npm refuses them in package names, so the names come through the plan's
matrix entries, as ``cigen affected`` writes any label) is generated, checked
by the three validators, and run with the local executor: every leg builds,
passes its outputs to its dependents and tests, and nothing is executed that
a name or a folder spelled.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cigen.adapters.github_env import format_outputs, job_outputs, summary_outputs
from cigen.app.generate import generate_all
from cigen.config.root import Config
from cigen.config.workflow import LegsMode
from cigen.discovery import discover
from cigen.graph.graph import build_graph
from cigen.plan.head_start import workflow_jobs
from cigen.plan.legs import plan_legs
from cigen.plan.stages import compute_plan, service_needs, stage_jobs
from cigen.plan.toolchains import detect
from cigen.render.leg_matrix import leg_entries
from testing.gha.events import push_event
from testing.gha.model import FAILURE, SKIPPED, SUCCESS
from testing.gha.runner import package_mirror, run_workflow
from testing.validators import assert_valid_action, assert_valid_workflow

# folder -> (npm name, dependencies); c depends on b depends on a.
FOLDERS = {
    "packages/we ird 'single' \"double\"": ("lib-a", []),
    "packages/cost $HOME; `touch pwned` $(touch pwned)": ("lib-b", ["lib-a"]),
    "packages/${{ github.token }}": ("app-c", ["lib-b"]),
}
# What the matrix shows for each: labels a person or a PR author could pick.
LABELS = {
    "lib-a": "we ird 'single' \"double\"",
    "lib-b": "$(touch pwned); `touch pwned`",
    "app-c": "${{ github.token }} ${{ secrets.X }}",
}
# build: write dist/built.txt; test: every dependency's dist/built.txt is there.
BUILD_JS = """\
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/built.txt", require("./package.json").name);
"""
TEST_JS = """\
const fs = require("fs"), path = require("path");
// every dependency, all the way down, must have been built
const seen = new Set();
function check(from) {
  const deps = Object.keys(JSON.parse(fs.readFileSync(path.join(from, "package.json"), "utf8")).dependencies || {});
  for (const dep of deps) {
    const folder = path.dirname(require.resolve(dep + "/package.json", { paths: [from] }));
    if (seen.has(dep)) continue;
    seen.add(dep);
    const built = fs.readFileSync(path.join(folder, "dist", "built.txt"), "utf8");
    if (built !== dep) throw new Error(dep + " was not built");
    check(folder);
  }
}
check(process.cwd());
if (process.env.FAIL_TEST === require("./package.json").name) process.exit(3);
console.log("tested " + seen.size + " dependencies");
"""


def _git(repo: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("odd") / "repo"
    root.mkdir()
    (root / "package.json").write_text(json.dumps({"name": "odd", "private": True, "workspaces": ["packages/*"]}))
    for folder, (name, deps) in FOLDERS.items():
        (root / folder).mkdir(parents=True)
        manifest = {
            "name": name, "version": "1.0.0",
            "scripts": {"build": "node build.js", "test": "node test.js"},
            "dependencies": {dep: "1.0.0" for dep in deps},
        }
        (root / folder / "package.json").write_text(json.dumps(manifest, indent=2))
        (root / folder / "build.js").write_text(BUILD_JS)
        (root / folder / "test.js").write_text(TEST_JS)
    subprocess.run(["npm", "install", "--package-lock-only", "--offline", "--no-audit", "--no-fund"], cwd=root,
                   check=True, capture_output=True, timeout=120)
    (root / ".gitignore").write_text("node_modules/\ndist/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "odd names")
    return root


@pytest.fixture(scope="module")
def generated(repo: Path, cigen_wheel: Path) -> str:
    """The workflow's text; it and its leg action are committed, as ``$/`` reads the action at the running commit."""
    config = Config.model_validate({"workflow": {"cigen_requirement": str(cigen_wheel)}})
    files = generate_all(discover(repo, config), config)
    for generated in files:
        generated.path.parent.mkdir(parents=True, exist_ok=True)
        generated.path.write_text(generated.text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the cigen workflow")
    return files[0].text


def _with_plan_outputs(text: str, repo: Path, outputs_file: Path, legs: LegsMode) -> dict[str, Any]:
    """The workflow with its plan job's steps replaced by writing ``cigen affected``'s outputs for every service.

    The outputs are made by cigen's own code (:mod:`cigen.plan.legs`, :mod:`cigen.render.leg_matrix`,
    :mod:`cigen.adapters.github_env`), with the labels above as the services' names.
    """
    config = Config()
    workspace = discover(repo, config)
    g = build_graph(workspace)
    plan = compute_plan(g)
    jobs = workflow_jobs(plan, config.workflow.legs)  # with the head-start job, which gets no leg here
    names = {p: LABELS[workspace.member(p).name or ""] for p in plan.services}
    needs = service_needs(g, plan)
    entries = leg_entries(
        plan_legs(stage_jobs(plan), needs, plan.services, dict.fromkeys(plan.services, 10.0), mode=legs),
        build_only=(), names=names, toolchains=detect(workspace, plan.services),
        dependencies=needs,
    )
    values = summary_outputs(sorted(names.values()), "a push runs everything here")
    values.update(job_outputs(jobs, entries))
    outputs_file.write_text(format_outputs(values))
    doc = YAML(typ="safe", pure=True).load(text)
    doc["jobs"]["plan"]["steps"] = [
        {"id": "affected", "run": 'cat "$OUTPUTS_FILE" >> "$GITHUB_OUTPUT"', "env": {"OUTPUTS_FILE": str(outputs_file)}}
    ]
    return doc


def test_the_workflow_passes_the_validators(generated: str, repo: Path) -> None:
    assert_valid_workflow(repo / ".github/workflows/cigen.yml")
    assert_valid_action(repo / ".github/actions/cigen-leg/action.yml")


def test_no_run_script_holds_an_expression_or_a_folder_name(generated: str, repo: Path) -> None:
    doc = YAML(typ="safe", pure=True).load(generated)
    action = YAML(typ="safe", pure=True).load((repo / ".github/actions/cigen-leg/action.yml").read_text())
    steps = [s for job in doc["jobs"].values() for s in job["steps"]] + action["runs"]["steps"]
    scripts = [s["run"] for s in steps if "run" in s]
    assert scripts
    for script in scripts:
        assert "${{" not in script
        assert "we ird" not in script and "cost $HOME" not in script


def test_every_leg_builds_and_tests_with_its_dependencies_outputs(
    generated: str, repo: Path, tmp_path: Path, cigen_wheelhouse: Path
) -> None:
    doc = _with_plan_outputs(generated, repo, tmp_path / "outputs.txt", "service")
    run = run_workflow(doc, repo, push_event(repo), workdir=tmp_path / "run", step_timeout=300,
                       machine_env=package_mirror(cigen_wheelhouse))
    assert run.results() == {
        "plan": SUCCESS, "stage-0": SKIPPED, "stage-1": SUCCESS, "stage-2": SUCCESS, "stage-3": SUCCESS,
        "timings": SUCCESS, "cigen": SUCCESS,
    }, run.report()
    legs = {leg.name: leg for job in run.jobs.values() for leg in job.legs}
    assert set(LABELS.values()) <= set(legs), run.report()  # each leg is named by its label
    app = run.jobs["stage-3"].legs[0]
    log = app.step("Run the leg's services").log
    assert "tested 2 dependencies" in log  # lib-b directly, lib-a through lib-b
    assert "::group::app-c:test: passed" in log  # each task a log group, with its result
    for leg in legs.values():
        assert leg.workspace is None or not list(leg.workspace.rglob("pwned")), leg.name
    assert not (repo / "pwned").exists()


def test_a_failing_test_skips_the_dependents_and_fails_the_gate(
    generated: str, repo: Path, tmp_path: Path, cigen_wheelhouse: Path
) -> None:
    doc = _with_plan_outputs(generated, repo, tmp_path / "outputs.txt", "service")
    doc["jobs"]["stage-2"]["env"] = {"FAIL_TEST": "lib-b"}
    run = run_workflow(doc, repo, push_event(repo), workdir=tmp_path / "run", step_timeout=300,
                       machine_env=package_mirror(cigen_wheelhouse))
    assert run.results() == {
        "plan": SUCCESS, "stage-0": SKIPPED, "stage-1": SUCCESS, "stage-2": FAILURE, "stage-3": SKIPPED,
        "timings": SUCCESS, "cigen": FAILURE,
    }, run.report()
    assert "stage-2" in run.jobs["cigen"].legs[0].step("Fail if any job failed or was cancelled").log
