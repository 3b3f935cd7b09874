"""cigen.plan.tasks: which tasks a service has, and the command its own package manager runs one with."""

from __future__ import annotations

import pytest

from cigen.config.root import Config
from cigen.model import Dependency, Member
from cigen.plan.tasks import python_commands, service_tasks, task_argv
from cigen.plan.toolchains import Toolchain


def node(scripts: dict[str, str]) -> Member:
    return Member("packages/a", "a", "1.0.0", "package", "node", "npm", scripts=scripts)


def python(*dependencies: str) -> Member:
    deps = tuple(Dependency(name, "*", "project.dependencies") for name in dependencies)
    return Member("py/a", "a", "1.0.0", "package", "python", "uv", dependencies=deps)


def config(**workflow: object) -> Config:
    return Config.model_validate({"workflow": workflow})


@pytest.mark.parametrize(
    ("manager", "argv"),
    [
        ("npm", ("npm", "run", "build")),
        ("pnpm", ("pnpm", "run", "build")),
        ("yarn", ("yarn", "run", "build")),
        ("yarn-berry", ("yarn", "run", "build")),
        ("bun", ("bun", "run", "build")),
    ],
)
def test_a_node_task_runs_the_script_of_its_name_through_the_services_manager(manager: str, argv: tuple) -> None:
    assert task_argv("build", Toolchain(key=manager, manager=manager, root=".", lockfile=None)) == argv


def test_a_task_name_is_one_argument_never_split_or_expanded() -> None:
    npm = Toolchain(key="npm", manager="npm", root=".", lockfile="package-lock.json")
    assert task_argv("test:unit $HOME", npm)[-1] == "test:unit $HOME"


@pytest.mark.parametrize(
    ("manager", "lockfile", "argv"),
    [
        ("uv", "uv.lock", ("uv", "run", "--locked", "bash", "-c", "pytest -q")),
        ("uv", None, ("uv", "run", "bash", "-c", "pytest -q")),  # --locked needs a lockfile
        ("poetry", "poetry.lock", ("poetry", "run", "bash", "-c", "pytest -q")),
        ("pip", None, ("bash", "-c", "pytest -q")),
    ],
)
def test_a_python_task_runs_its_command_inside_the_services_environment(
    manager: str, lockfile: str | None, argv: tuple
) -> None:
    assert task_argv("test", Toolchain(key=manager, manager=manager, root=None, lockfile=lockfile), "pytest -q") == argv


def test_a_python_task_without_a_command_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="needs its command"):
        task_argv("test", Toolchain(key="pip", manager="pip", root=None, lockfile=None))


def test_a_node_service_has_the_tasks_its_package_json_scripts_define_in_the_order_asked() -> None:
    member = node({"test": "node --test", "build": "tsc"})
    assert service_tasks(member, Config(), ("lint", "test", "build")) == ("test", "build")


def test_python_tasks_apply_to_every_python_service_when_configured() -> None:
    cfg = config(tasks=["build", "test"], python_tasks={"test": "python -m unittest"})
    assert service_tasks(python(), cfg, ("build", "test")) == ("test",)
    assert python_commands(cfg) == {"test": "python -m unittest"}


def test_default_python_tasks_apply_only_where_the_service_declares_the_tool() -> None:
    assert service_tasks(python("PyTest"), Config(), ("lint", "test")) == ("test",)
    assert service_tasks(python("ruff", "pytest"), Config(), ("lint", "test")) == ("lint", "test")
    assert service_tasks(python(), Config(), ("lint", "test")) == ()
    assert python_commands(Config()) == {"lint": "ruff check .", "test": "pytest"}
