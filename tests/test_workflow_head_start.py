"""A head start in a real run: the generated workflow, its real plan job, and a leg that runs what it needs.

An npm monorepo where ``slow-d`` (many files: the plan job, with no timings
yet, expects it to take long) depends on ``lib-a`` and nothing depends on it,
beside the chain ``lib-a <- lib-b <- app-c``. The plan job gives slow-d a leg
of the head-start job, which runs lib-a itself instead of waiting for
stage-1; lib-a still runs in its own leg, with the chain. Run with the local
executor, every leg builds, tests against its dependencies' outputs, and the
gate passes; when lib-a's test fails, it fails in both legs, and neither
runs what depends on it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from cigen.app.generate import generate_all
from cigen.config.loader import load_config
from cigen.discovery import discover
from cigen.plan.head_start import HEAD_START
from cigen.render.leg_matrix import artifact_name
from testing.gha.events import push_event
from testing.gha.model import FAILURE, SKIPPED, SUCCESS
from testing.gha.runner import package_mirror, run_workflow
from testing.validators import assert_valid_workflow

MEMBERS = {"lib-a": [], "lib-b": ["lib-a"], "app-c": ["lib-b"], "slow-d": ["lib-a"]}
BUILD_JS = """\
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/built.txt", require("./package.json").name);
"""
# Every dependency, all the way down, was built before this test ran (here, or in a leg it downloaded from).
TEST_JS = """\
const fs = require("fs"), path = require("path");
let count = 0;
function check(from) {
  const deps = Object.keys(JSON.parse(fs.readFileSync(path.join(from, "package.json"), "utf8")).dependencies || {});
  for (const dep of deps) {
    const folder = path.dirname(require.resolve(dep + "/package.json", { paths: [from] }));
    if (fs.readFileSync(path.join(folder, "dist", "built.txt"), "utf8") !== dep) throw new Error(dep + " not built");
    count += 1;
    check(folder);
  }
}
check(process.cwd());
if (process.env.FAIL_TEST === require("./package.json").name) process.exit(3);
console.log("tested " + count + " dependencies");
"""


def _git(repo: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, cigen_wheel: Path) -> Path:
    root = tmp_path_factory.mktemp("head") / "repo"
    root.mkdir()
    (root / "package.json").write_text(json.dumps({"name": "head", "private": True, "workspaces": ["packages/*"]}))
    # One service at a time in a leg (as on a 1-CPU runner): the chain's barriers are what slow-d would hold.
    (root / "cigen.yaml").write_text(f"plan:\n  concurrency: 1\nworkflow:\n  cigen_requirement: {cigen_wheel}\n")
    for name, deps in MEMBERS.items():
        folder = root / "packages" / name
        folder.mkdir(parents=True)
        manifest = {"name": name, "version": "1.0.0", "scripts": {"build": "node build.js", "test": "node test.js"},
                    "dependencies": {dep: "1.0.0" for dep in deps}}
        (folder / "package.json").write_text(json.dumps(manifest, indent=2))
        (folder / "build.js").write_text(BUILD_JS)
        (folder / "test.js").write_text(TEST_JS)
    for i in range(60):  # the size the plan job expects slow-d's time by
        (root / "packages" / "slow-d" / "fixtures" / f"case-{i}.json").parent.mkdir(exist_ok=True)
        (root / "packages" / "slow-d" / "fixtures" / f"case-{i}.json").write_text("{}\n")
    subprocess.run(["npm", "install", "--package-lock-only", "--offline", "--no-audit", "--no-fund"], cwd=root,
                   check=True, capture_output=True, timeout=120)
    (root / ".gitignore").write_text("node_modules/\ndist/\n")
    config = load_config(root)
    for generated in generate_all(discover(root, config), config):
        generated.path.parent.mkdir(parents=True, exist_ok=True)
        generated.path.write_text(generated.text)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "a slow leaf beside a chain")
    return root


def test_the_workflow_with_a_head_start_job_passes_the_validators(repo: Path) -> None:
    assert_valid_workflow(repo / ".github/workflows/cigen.yml")


def test_a_slow_leaf_runs_in_a_head_start_leg_that_builds_its_dependency_itself(
    repo: Path, tmp_path: Path, cigen_wheelhouse: Path
) -> None:
    run = run_workflow(repo / ".github/workflows/cigen.yml", repo, push_event(repo), workdir=tmp_path / "run",
                       step_timeout=300, machine_env=package_mirror(cigen_wheelhouse))
    # The chain runs in one leg of stage-1, without barriers; stage-2 and stage-3 have nothing left.
    assert run.results() == {
        "plan": SUCCESS, HEAD_START: SUCCESS, "stage-1": SUCCESS, "stage-2": SKIPPED, "stage-3": SKIPPED,
        "timings": SUCCESS, "cigen": SUCCESS,
    }, run.report()
    outputs = run.jobs["plan"].outputs
    entries = {job: json.loads(outputs[job]) for job in (HEAD_START, "stage-1", "stage-2", "stage-3")}
    [head] = entries[HEAD_START]
    assert (head["run"], head["again"], head["download"]) == (["packages/lib-a", "packages/slow-d"], ["packages/lib-a"], "")
    ran = sorted(p for legs in entries.values() for leg in legs for p in leg["run"] if p not in leg["again"])
    assert ran == sorted(f"packages/{name}" for name in MEMBERS)  # every service runs once in a leg of its own

    log = run.jobs[HEAD_START].legs[0].step("Run the leg's services").log
    assert "::group::lib-a:build: passed" in log and "::group::lib-a:test: passed" in log  # run again, whole
    assert "::group::slow-d:test: passed" in log and "tested 1 dependencies" in log
    assert "Downloaded" not in log  # nothing from stage-1's leg, which it never waited for
    packed = run.artifacts[head["artifact"]]
    assert [p.name for p in packed.iterdir()] == [artifact_name("packages/slow-d")]  # lib-a's is stage-1's to pack
    assert run.artifacts["cigen-leg-stage-1-1"].joinpath(artifact_name("packages/lib-a"), "outputs.tar").is_file()
    [chain] = run.jobs["stage-1"].legs
    log = chain.step("Run the leg's services").log
    assert "::group::lib-a:test: passed" in log and "tested 2 dependencies" in log  # app-c, after lib-b


def test_a_dependency_that_fails_in_a_head_start_leg_stops_its_dependents_there_too(
    repo: Path, tmp_path: Path, cigen_wheelhouse: Path
) -> None:
    workflow = YAML(typ="safe", pure=True).load((repo / ".github/workflows/cigen.yml").read_text())
    workflow["env"] = {"FAIL_TEST": "lib-a"}
    run = run_workflow(workflow, repo, push_event(repo), workdir=tmp_path / "run", step_timeout=300,
                       machine_env=package_mirror(cigen_wheelhouse))
    assert (run.result, run["cigen"].result, run[HEAD_START].result, run["stage-1"].result) == (
        FAILURE, FAILURE, FAILURE, FAILURE), run.report()
    for job, dependents in ((HEAD_START, ["slow-d"]), ("stage-1", ["lib-b", "app-c"])):
        log = run.jobs[job].legs[0].step("Run the leg's services").log
        assert "::group::lib-a:test: failed (exit code 3)" in log, job
        for name in dependents:
            assert f"{name}:build" not in log and f"{name}:test: passed" not in log, (job, name)
