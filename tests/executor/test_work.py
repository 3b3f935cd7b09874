"""What each service runs for cigen run: its commands, from its own package manager, and bad task names."""

from __future__ import annotations

from pathlib import Path

import pytest

from cigen.errors import InputError, ToolError
from cigen.executor.work import Command, Step, Work, prepare, require_tools
from testing.npm_monorepo import Package, load, npm_monorepo


def test_each_service_runs_the_tasks_it_defines_with_its_own_package_manager(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": "x", "test": "y"}), "b": Package({"test": "y"})},
                        cigen_yaml="run:\n  scripts: package-manager\n")
    config, workspace, _, plan = load(root)
    work = prepare(workspace, config, plan, ["build", "test"])
    assert [s.commands for s in work["packages/a"].steps] == [(Command(("npm", "run", "build")),),
                                                              (Command(("npm", "run", "test")),)]
    assert [s.task for s in work["packages/b"].steps] == ["test"]
    assert work["packages/b"].cwd == root / "packages" / "b"


def test_an_npm_script_runs_directly_through_the_shell_with_its_pre_and_post_scripts(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"prebuild": "p", "build": "x", "postbuild": "q"})})
    config, workspace, _, plan = load(root)
    work = prepare(workspace, config, plan, ["build"])
    (build,) = work["packages/a"].steps
    assert [c.argv for c in build.commands] == [("sh", "-c", "p"), ("sh", "-c", "x"), ("sh", "-c", "q")]
    assert [c.env["npm_lifecycle_event"] for c in build.commands if c.env] == ["prebuild", "build", "postbuild"]
    assert str(build) == "p && x && q"


def test_a_pnpm_workspace_runs_its_scripts_through_pnpm(tmp_path: Path) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": "x"})})
    (root / "pnpm-workspace.yaml").write_text("packages:\n  - packages/*\n")
    (root / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    config, workspace, _, plan = load(root)
    assert prepare(workspace, config, plan, ["build"])["packages/a"].steps[0].commands[0].argv == ("pnpm", "run", "build")


def test_a_uv_service_runs_its_python_task_inside_uv_run(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["py/*"]\n')
    (tmp_path / "uv.lock").write_text("version = 1\n")
    (tmp_path / "py" / "lib").mkdir(parents=True)
    (tmp_path / "py" / "lib" / "pyproject.toml").write_text('[project]\nname = "lib"\nversion = "1.0.0"\n')
    (tmp_path / "cigen.yaml").write_text("workflow:\n  python_tasks:\n    test: python -m unittest\n")
    config, workspace, _, plan = load(tmp_path)
    (step,) = prepare(workspace, config, plan, ["test"])["py/lib"].steps
    assert step.commands[0].argv == ("uv", "run", "--locked", "bash", "-c", "python -m unittest")


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        (["build", "build"], "task 'build' is named twice"),
        (["bu ild"], "'bu ild' is not a task name"),
        (["-build"], "'-build' is not a task name"),  # npm would read it as an option
        (["build", "deploy"], "no service defines a task 'deploy'"),
    ],
)
def test_bad_task_names_are_bad_input(tmp_path: Path, tasks: list[str], message: str) -> None:
    root = npm_monorepo(tmp_path, {"a": Package({"build": "x"})})
    config, workspace, _, plan = load(root)
    with pytest.raises(InputError, match=message):
        prepare(workspace, config, plan, tasks)


def test_a_missing_package_manager_fails_before_anything_starts() -> None:
    work = {"a": Work("a", "a", "a", Path("."), (Step("build", (Command(("cigen-no-such-tool", "run", "build")),)),), ("build",))}
    with pytest.raises(ToolError, match="cigen-no-such-tool was not found: a's build runs") as caught:
        require_tools(work)
    assert caught.value.exit_code == 3
