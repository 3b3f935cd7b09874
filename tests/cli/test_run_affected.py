"""``cigen run --affected``: the services a change affects, and the unaffected dependencies they need built."""

from __future__ import annotations

from pathlib import Path

from testing.cli import run_cigen
from testing.gitrepos import Repo
from testing.npm_monorepo import Package, npm_monorepo, record, started

TASKS = {"build": record("build"), "test": record("test")}


def branch_with_a_change(tmp_path: Path) -> Path:
    """core <- api <- web, and lone; the branch `change` edits api (uncommitted edits count too)."""
    root = npm_monorepo(tmp_path, {
        "core": Package(TASKS), "api": Package(TASKS, ["core"]), "web": Package(TASKS, ["api"]),
        "lone": Package(TASKS),
    })
    (root / ".gitignore").write_text(".record/\n")
    repo = Repo.init(root)
    repo.commit("monorepo")
    repo.git("checkout", "-q", "-b", "change")
    repo.write("packages/api/index.js", "module.exports = 2\n").commit("api changes")
    return root


def test_affected_runs_the_changed_service_its_dependents_and_only_builds_their_dependencies(tmp_path: Path) -> None:
    root = branch_with_a_change(tmp_path)
    done = run_cigen("run", "build", "test", "--affected", "--base", "main", "--json", "--root", str(root), cwd=root)
    assert done.exit_code == 0, done.stderr
    services = {s["name"]: s for s in done.json()["services"]}
    assert set(services) == {"core", "api", "web"}  # lone is not affected, nor needed
    assert services["core"]["build_only"] and not services["api"]["build_only"]
    assert [t["status"] for t in services["core"]["tasks"]] == ["passed", "build only"]
    assert started(root, "core", "build") and not started(root, "core", "test")
    assert started(root, "web", "test") and not started(root, "lone", "build")
    assert "affected since main (merge-base " in done.stderr
    assert "2 (api, web), and 1 dependencies built for them" in done.stderr


def test_the_default_base_is_the_workflows_default_branch(tmp_path: Path) -> None:
    root = branch_with_a_change(tmp_path)
    (root / "cigen.yaml").write_text("workflow:\n  default_branch: trunk\n")
    Repo(root).git("branch", "trunk", "main")
    Repo(root).git("add", "-A")
    Repo(root).git("commit", "-qm", "config")  # cigen.yaml changed too: a global file, so everything runs
    done = run_cigen("run", "build", "--affected", "--json", "--root", str(root), cwd=root)
    assert done.exit_code == 0, done.stderr
    assert "affected since trunk" in done.stderr
    assert {s["name"] for s in done.json()["services"]} == {"core", "api", "web", "lone"}


def test_nothing_affected_runs_nothing_and_passes(tmp_path: Path) -> None:
    root = branch_with_a_change(tmp_path)
    done = run_cigen("run", "build", "--affected", "--base", "HEAD", "--root", str(root), cwd=root)
    assert done.exit_code == 0, done.stderr
    assert "no service, nothing to run" in done.stderr
    assert not started(root, "api", "build")


def test_base_without_affected_is_bad_input(tmp_path: Path) -> None:
    root = branch_with_a_change(tmp_path)
    done = run_cigen("run", "build", "--base", "main", "--root", str(root), cwd=root)
    assert done.exit_code == 2
    assert "--base needs --affected" in done.stderr
