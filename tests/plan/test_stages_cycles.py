"""Real cycles, planned through: cigen.yaml's plan.ignore and plan.cycles on monorepos shaped like three
that have them, through ``cigen plan``, ``cigen generate`` (validated) and ``cigen run``.

- vitest-dev/vitest: pnpm, ``vitest`` has devDependencies on ``@vitest/ui`` and ``@vitest/browser``, which
  have ``vitest`` as a peer (pnpm links it: autoInstallPeers).
- medusajs/medusa: yarn berry; peers on workspaces are no links (the spurious peer edges once closed a
  cycle), but ``framework -> test-utils -> medusa -> framework`` through devDependencies remains.
- livekit/agents: uv; ``livekit-agents[anam] -> livekit-plugins-anam -> livekit-agents`` through extras.

The fixtures are installed (uv: locked) once per run by the package managers themselves, offline, and
their links are the edges cigen plans on.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from cigen.discovery import discover
from cigen.plan.head_start import HEAD_START
from testing.cli import run_cigen
from testing.gha.events import push_event
from testing.gha.harness import commit_files, git
from testing.gha.model import SUCCESS
from testing.gha.runner import package_mirror, run_workflow
from testing.once import once_per_run
from testing.package_managers import install, links, write_tree
from testing.paths import NODE_BIN
from testing.validators import assert_valid_action, assert_valid_workflow


def _build(name: str) -> str:
    """A build script that appends the package's name to order.txt at the root (two levels up)."""
    return f"node -e \"require('fs').appendFileSync('../../order.txt', '{name}\\\\n')\""


def _package(name: str, **fields: object) -> dict[str, object]:
    return {"name": name, "version": "2.0.0", "scripts": {"build": _build(name)}, **fields}


VITEST = {
    "package.json": {"name": "vitest-monorepo", "private": True, "packageManager": "pnpm@10.34.9"},
    "pnpm-workspace.yaml": "packages: [packages/*]\n",
    "packages/utils/package.json": _package("@vitest/utils"),
    "packages/vitest/package.json": _package(
        "vitest", dependencies={"@vitest/utils": "workspace:*"},
        devDependencies={"@vitest/ui": "workspace:*", "@vitest/browser": "workspace:*"},
    ),
    "packages/ui/package.json": _package(
        "@vitest/ui", dependencies={"@vitest/utils": "workspace:*"}, peerDependencies={"vitest": "workspace:*"},
    ),
    "packages/browser/package.json": _package(
        "@vitest/browser", dependencies={"@vitest/utils": "workspace:*"}, peerDependencies={"vitest": "workspace:*"},
    ),
}

MEDUSA = {
    "package.json": {"name": "medusa-monorepo", "private": True, "workspaces": ["packages/*"],
                     "packageManager": "yarn@4.18.1"},
    ".yarnrc.yml": "nodeLinker: node-modules\n",
    "packages/utils/package.json": _package("@medusajs/utils"),
    "packages/framework/package.json": _package(
        "@medusajs/framework", dependencies={"@medusajs/utils": "workspace:^"},
        devDependencies={"@medusajs/test-utils": "workspace:^"},
    ),
    "packages/test-utils/package.json": _package(
        "@medusajs/test-utils", dependencies={"@medusajs/utils": "workspace:^"},
        peerDependencies={"@medusajs/medusa": "^2.0.0"}, devDependencies={"@medusajs/medusa": "workspace:^"},
    ),
    "packages/medusa/package.json": _package("@medusajs/medusa", dependencies={"@medusajs/framework": "workspace:^"}),
    "packages/cart/package.json": _package(
        "@medusajs/cart", dependencies={"@medusajs/utils": "workspace:^"},
        peerDependencies={"@medusajs/framework": "^2.0.0"},
    ),
}

PLUGINS = ("anam", "openai", "silero")
LIVEKIT = {
    "pyproject.toml": (
        '[tool.uv.workspace]\nmembers = ["livekit-agents", "livekit-plugins/*"]\n\n[tool.uv.sources]\n'
        + "".join(f"livekit-{p} = {{ workspace = true }}\n" for p in ["agents", *(f"plugins-{q}" for q in PLUGINS)])
    ),
    "livekit-agents/pyproject.toml": (
        '[project]\nname = "livekit-agents"\nversion = "1.2.0"\ndependencies = []\n\n'
        "[project.optional-dependencies]\n"
        + "".join(f'{p} = ["livekit-plugins-{p}>=1.2"]\n' for p in PLUGINS)
    ),
    **{
        f"livekit-plugins/{p}/pyproject.toml": (
            f'[project]\nname = "livekit-plugins-{p}"\nversion = "1.2.0"\ndependencies = ["livekit-agents>=1.2"]\n'
        )
        for p in PLUGINS
    },
}


def _installed(tmp_path_factory: pytest.TempPathFactory, name: str, files: dict[str, object], manager: str) -> Path:
    def make(folder: Path) -> None:
        write_tree(folder, files)
        install(folder, manager)  # type: ignore[arg-type]

    return once_per_run(tmp_path_factory, f"cycles-{name}", make)


@pytest.fixture(scope="module")
def vitest_installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _installed(tmp_path_factory, "vitest", VITEST, "pnpm")


@pytest.fixture(scope="module")
def livekit_installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _installed(tmp_path_factory, "livekit", LIVEKIT, "uv")


@pytest.fixture(scope="module")
def medusa_installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _installed(tmp_path_factory, "medusa", MEDUSA, "yarn-berry")


def copy(installed: Path, tmp_path: Path, config: str | None = None) -> Path:
    """A copy of an installed fixture a test may change (cigen.yaml, generated files)."""
    root = tmp_path / "repo"
    shutil.copytree(installed, root, symlinks=True)
    if config is not None:
        (root / "cigen.yaml").write_text(config)
    return root


def plan(root: Path) -> dict:
    done = run_cigen("plan", "--format", "json", cwd=root)
    assert done.exit_code == 0, done.stderr
    return done.json()


def stages(doc: dict) -> list[list[str]]:
    return [s["services"] for s in doc["stages"]]


# -- the edges are the package manager's links -----------------------------------------------


@pytest.mark.parametrize(("fixture", "manager"), [
    ("vitest_installed", "pnpm"), ("medusa_installed", "yarn-berry"), ("livekit_installed", "uv"),
])
def test_the_edges_cigen_plans_on_are_the_links_the_package_manager_made(
    request: pytest.FixtureRequest, fixture: str, manager: str,
) -> None:
    root: Path = request.getfixturevalue(fixture)
    assert {(e.source, e.target) for e in discover(root).edges} == links(root, manager)  # type: ignore[arg-type]


def test_medusas_peers_close_no_cycle_under_yarn(medusa_installed: Path) -> None:
    workspace = discover(medusa_installed)
    peers = {(u.source, u.name): u.reason for u in workspace.unlinked}
    assert "yarn links no peer dependency" in peers[("packages/cart", "@medusajs/framework")]
    assert "filled by the linked devDependencies" in peers[("packages/test-utils", "@medusajs/medusa")]


# -- the error -------------------------------------------------------------------------------


def test_a_cycle_is_one_short_line_naming_the_cycle_the_edges_to_break_and_the_settings(tmp_path: Path) -> None:
    root = write_tree(tmp_path, LIVEKIT)
    done = run_cigen("plan", cwd=root)
    assert done.exit_code == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("cigen: error: dependency cycle: livekit-agents -> livekit-plugins-anam -> livekit-agents")
    assert "(one of the cycles among 4 members); breaking them all takes removing 3 edges: " in line
    assert "set plan.ignore.kinds: [extras]" in line
    assert "plan.cycles: units" in line
    assert len(line) < 600


def test_a_large_tangle_keeps_the_error_short(tmp_path: Path) -> None:
    # livekit/agents has 66 plugin edges in its cycles; the old error was one line of 3,172 characters.
    many = [f"p{i:02d}" for i in range(40)]
    files = {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["agents", "plugins/*"]\n\n[tool.uv.sources]\n'
        + "".join(f"livekit-plugins-{p} = {{ workspace = true }}\n" for p in many)
        + "livekit-agents = { workspace = true }\n",
        "agents/pyproject.toml": '[project]\nname = "livekit-agents"\nversion = "1"\n'
        "[project.optional-dependencies]\n" + "".join(f'{p} = ["livekit-plugins-{p}"]\n' for p in many),
        **{f"plugins/{p}/pyproject.toml": f'[project]\nname = "livekit-plugins-{p}"\nversion = "1"\n'
           'dependencies = ["livekit-agents"]\n' for p in many},
    }
    done = run_cigen("plan", cwd=write_tree(tmp_path, files))
    assert done.exit_code == 1
    [line] = done.stderr.splitlines()
    assert "takes removing 40 edges" in line and "and 37 more" in line
    assert len(line) < 600


# -- plan.ignore -----------------------------------------------------------------------------


def test_ignoring_dev_edges_plans_vitest_and_lists_the_edges_left_out(vitest_installed: Path, tmp_path: Path) -> None:
    root = copy(vitest_installed, tmp_path, "plan:\n  ignore:\n    kinds: [dev]\n")
    doc = plan(root)
    assert stages(doc) == [["@vitest/utils"], ["vitest"], ["@vitest/browser", "@vitest/ui"]]
    assert doc["ignored"] == [
        {"dependent": "vitest", "dependency": "@vitest/browser", "kinds": ["devDependencies"],
         "setting": "plan.ignore.kinds: dev"},
        {"dependent": "vitest", "dependency": "@vitest/ui", "kinds": ["devDependencies"],
         "setting": "plan.ignore.kinds: dev"},
    ]
    text = run_cigen("plan", cwd=root).stdout
    assert "not ordered by 2 edges (cigen.yaml plan.ignore):" in text
    assert "vitest     @vitest/ui       devDependencies  plan.ignore.kinds: dev" in text


def test_an_edge_that_is_also_a_dependency_is_not_ignored_by_its_dev_kind(tmp_path: Path) -> None:
    ui = _package("@vitest/ui", dependencies={"vitest": "workspace:*"}, devDependencies={"vitest": "workspace:*"})
    files = {**VITEST, "packages/ui/package.json": ui, "cigen.yaml": "plan:\n  ignore:\n    kinds: [dev]\n"}
    doc = plan(write_tree(tmp_path, files))
    ignored = [(d["dependent"], d["dependency"]) for d in doc["ignored"]]
    assert ignored == [("vitest", "@vitest/browser"), ("vitest", "@vitest/ui")]  # not @vitest/ui -> vitest
    assert doc["services"].index("vitest") < doc["services"].index("@vitest/ui")


def test_ignoring_extras_plans_livekit_agents_before_its_plugins(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {**LIVEKIT, "cigen.yaml": "plan:\n  ignore:\n    kinds: [extras]\n"})
    doc = plan(root)
    assert stages(doc) == [["livekit-agents"], [f"livekit-plugins-{p}" for p in PLUGINS]]
    assert {d["setting"] for d in doc["ignored"]} == {"plan.ignore.kinds: extras"}


def test_named_edges_are_ignored_by_name_or_path(medusa_installed: Path, tmp_path: Path) -> None:
    config = 'plan:\n  ignore:\n    edges: ["@medusajs/framework -> packages/test-utils"]\n'
    doc = plan(copy(medusa_installed, tmp_path, config))
    assert [(d["dependent"], d["dependency"], d["setting"]) for d in doc["ignored"]] == [
        ("@medusajs/framework", "@medusajs/test-utils", "plan.ignore.edges"),
    ]
    assert doc["services"].index("@medusajs/framework") < doc["services"].index("@medusajs/medusa")


@pytest.mark.parametrize(
    ("config", "where", "what"),
    [
        ("plan:\n  ignore:\n    kinds: [devv]\n", "cigen.yaml:3:13",
         "plan.ignore.kinds[0]: input should be 'dev', 'peer', 'optional' or 'extras' (got 'devv')"),
        ("plan:\n  ignore:\n    edges: [a]\n", "cigen.yaml:3:5", "'a' is not an edge: write \"dependent -> dependency\""),
        ("plan:\n  cycles: scc\n", "cigen.yaml:2:3", "plan.cycles: input should be 'error' or 'units' (got 'scc')"),
        ('plan:\n  ignore:\n    edges: ["@medusajs/frmework -> @medusajs/medusa"]\n', "cigen.yaml:3:13",
         "plan.ignore.edges[0]: '@medusajs/frmework -> @medusajs/medusa': '@medusajs/frmework' names no member (did you mean @medusajs/framework"),
    ],
)
def test_a_bad_setting_is_one_located_line(medusa_installed: Path, tmp_path: Path, config: str, where: str,
                                           what: str) -> None:
    done = run_cigen("plan", cwd=copy(medusa_installed, tmp_path, config))
    assert done.exit_code == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("cigen: error: ") and f"{where}: " in line, line
    assert what in line


# -- plan.cycles: units ----------------------------------------------------------------------


UNITS = "plan:\n  cycles: units\n"


def test_a_cycle_becomes_one_unit_built_in_the_order_that_breaks_the_fewest_edges(
    vitest_installed: Path, tmp_path: Path,
) -> None:
    root = copy(vitest_installed, tmp_path, UNITS)
    done = run_cigen("plan", "--format", "json", cwd=root)
    assert done.exit_code == 0, done.stderr
    doc = done.json()
    # The dev edges are cut (2, the fewest): vitest first, then the packages that peer on it, one after another,
    # all in one stage.
    assert doc["units"] == [{
        "services": ["vitest", "@vitest/browser", "@vitest/ui"],
        "paths": ["packages/vitest", "packages/browser", "packages/ui"],
        "against": [["vitest", "@vitest/browser"], ["vitest", "@vitest/ui"]],
        "stage": "stage-2",
    }]
    assert stages(doc) == [["@vitest/utils"], ["vitest", "@vitest/browser", "@vitest/ui"]]
    assert done.stderr == (
        "cigen: warning: dependency cycle planned as one unit (plan.cycles: units): vitest, then @vitest/browser, "
        "then @vitest/ui; this order goes against vitest -> @vitest/browser, vitest -> @vitest/ui\n"
    )
    text = run_cigen("plan", cwd=root).stdout
    assert "  stage-2  stage-1  (vitest > @vitest/browser > @vitest/ui)\n" in text
    assert "cycle planned as one unit (plan.cycles: units), one leg in stage-2, built in this order against " \
           "vitest -> @vitest/browser, vitest -> @vitest/ui:\n  vitest, then @vitest/browser, then @vitest/ui\n" in text


# Each shape's unit, in the order that goes against the fewest edges.
SHAPES = {
    "vitest": ["vitest", "@vitest/browser", "@vitest/ui"],
    "medusa": ["@medusajs/framework", "@medusajs/medusa", "@medusajs/test-utils"],
    "livekit": ["livekit-agents", *(f"livekit-plugins-{p}" for p in PLUGINS)],
}


@pytest.fixture(params=sorted(SHAPES))
def shape(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    """One of the three shapes, installed, planned with cycles as units."""
    name = request.param
    return name, copy(request.getfixturevalue(f"{name}_installed"), tmp_path, UNITS)


def test_each_shape_plans_its_cycle_as_one_unit_in_one_stage(shape: tuple[str, Path]) -> None:
    name, root = shape
    doc = plan(root)
    [unit] = doc["units"]
    assert unit["services"] == SHAPES[name]
    [holding] = [s for s in doc["stages"] if s["id"] == unit["stage"]]
    start = holding["services"].index(SHAPES[name][0])
    assert holding["services"][start:start + len(SHAPES[name])] == SHAPES[name]  # together, in the unit's order
    assert [j["stage"] for j in doc["jobs"]] == [s["id"] for s in doc["stages"]]  # a job per stage, not per member


def test_units_generate_a_valid_workflow_with_a_job_per_stage(shape: tuple[str, Path]) -> None:
    name, root = shape
    done = run_cigen("generate", cwd=root)
    assert done.exit_code == 0, done.stderr
    workflow = root / ".github" / "workflows" / "cigen.yml"
    assert_valid_workflow(workflow)
    assert_valid_action(root / ".github" / "actions" / "cigen-leg" / "action.yml")
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    assert sorted(j for j in jobs if j.startswith("stage-") and j != HEAD_START) == [s["id"] for s in plan(root)["stages"]]


def _legs(root: Path, tmp_path: Path, mode: str) -> list[dict]:
    """Every leg the plan job hands the stage jobs when everything runs, packed in ``mode``."""
    (root / "cigen.yaml").write_text(UNITS + f"workflow:\n  legs: {mode}\n")
    outputs = tmp_path / "outputs.txt"
    outputs.touch()
    manifest = "pyproject.toml" if (root / "pyproject.toml").exists() else "package.json"
    done = run_cigen("affected", "--format", "github", "--build-deps", "--files", manifest, cwd=root,
                     env={**os.environ, "GITHUB_OUTPUT": str(outputs)})
    assert done.exit_code == 0, done.stderr
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return [leg for key, value in values.items() if key.startswith("stage-") and not key.endswith("-count")
            for leg in json.loads(value)]


@pytest.mark.parametrize("mode", ["service", "batch", "auto"])
def test_the_plan_job_runs_each_unit_in_one_leg_in_its_order(shape: tuple[str, Path], tmp_path: Path,
                                                               mode: str) -> None:
    name, root = shape
    paths = plan(root)["units"][0]["paths"]
    legs = _legs(root, tmp_path, mode)
    [holding] = [leg for leg in legs if set(paths) & set(leg["run"])]
    start = holding["run"].index(paths[0])
    assert holding["run"][start:start + len(paths)] == paths
    if mode == "service":
        assert holding["run"] == paths  # a leg per service: the unit counts as one
        assert holding["name"] == f"{SHAPES[name][0]} +{len(paths) - 1}"


def test_run_builds_a_unit_one_member_after_another_in_its_order(
    vitest_installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = copy(vitest_installed, tmp_path, UNITS)
    monkeypatch.setenv("PATH", f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}")  # pnpm, from tools/node
    done = run_cigen("run", "build", "--root", str(root), cwd=root)
    assert done.exit_code == 0, done.stdout + done.stderr
    assert (root / "order.txt").read_text().split() == ["@vitest/utils", "vitest", "@vitest/browser", "@vitest/ui"]


def test_without_settings_generate_fails_on_the_cycle_as_plan_does(vitest_installed: Path, tmp_path: Path) -> None:
    done = run_cigen("generate", cwd=copy(vitest_installed, tmp_path))
    assert done.exit_code == 1
    assert "dependency cycle: " in done.stderr and "plan.ignore.kinds: [dev]" in done.stderr
    assert not (tmp_path / "repo" / ".github").exists()


# -- a unit through the generated workflow, in the local executor ------------------------------------


# Each build says when it starts and ends, in one file of the leg's checkout.
MARKED_BUILD = 'echo "start ${PWD##*/}" >> "$GITHUB_WORKSPACE/order.txt"; sleep 0.3; ' \
               'echo "end ${PWD##*/}" >> "$GITHUB_WORKSPACE/order.txt"'


@pytest.mark.slow
def test_a_unit_runs_in_one_leg_of_the_workflow_its_members_one_after_another(
    tmp_path: Path, cigen_wheel: Path, cigen_wheelhouse: Path,
) -> None:
    # livekit's shape with two plugins: three members, one cycle through extras.
    files = {name: text for name, text in LIVEKIT.items() if "silero" not in name}
    files["pyproject.toml"] = files["pyproject.toml"].replace("livekit-plugins-silero = { workspace = true }\n", "")
    files["livekit-agents/pyproject.toml"] = files["livekit-agents/pyproject.toml"].replace(
        'silero = ["livekit-plugins-silero>=1.2"]\n', "")
    files["cigen.yaml"] = (f"{UNITS}workflow:\n  cigen_requirement: '{cigen_wheel}'\n  tasks: [build]\n"
                           f"  python_tasks:\n    build: '{MARKED_BUILD}'\n")
    root = write_tree(tmp_path / "repo", files)
    install(root, "uv")
    (root / ".gitignore").write_text(".venv/\n")
    git(root, "init", "-q", "-b", "main")
    assert run_cigen("generate", cwd=root).exit_code == 0
    commit_files(root, {}, "livekit-shaped, with its workflow")

    # The plan job's outputs are those `cigen affected` writes here (one pip install less in the run).
    outputs = tmp_path / "outputs.txt"
    outputs.touch()
    done = run_cigen("affected", "--format", "github", "--build-deps", "--files", "pyproject.toml", cwd=root,
                     env={**os.environ, "GITHUB_OUTPUT": str(outputs)})
    assert done.exit_code == 0, done.stderr
    workflow = yaml.safe_load((root / ".github/workflows/cigen.yml").read_text())
    workflow["jobs"]["plan"]["steps"] = [
        {"id": "affected", "run": 'cat "$OUTPUTS" >> "$GITHUB_OUTPUT"', "env": {"OUTPUTS": str(outputs)}},
    ]
    run = run_workflow(workflow, root, push_event(root), workdir=tmp_path / "run", step_timeout=300,
                       machine_env=package_mirror(cigen_wheelhouse))
    assert run.results() == {"plan": SUCCESS, "stage-1": SUCCESS, "timings": SUCCESS, "cigen": SUCCESS}, run.report()
    [leg] = run.jobs["stage-1"].legs
    assert leg.name == "livekit-agents +2"
    members = ["livekit-agents", "anam", "openai"]  # the folders; plugins after the package whose extras name them
    assert leg.workspace is not None
    marks = (leg.workspace / "order.txt").read_text().split("\n")
    assert marks == [f"{edge} {m}" for m in members for edge in ("start", "end")] + [""]  # never two at once
