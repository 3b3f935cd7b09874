"""The toolchain steps of a leg, per package manager: set up, cache, install, run a task."""

from __future__ import annotations

import pytest

from cigen.render.expressions import condition, escape, json_text, literal
from cigen.render.workflow_steps import install_step, setup_steps
from cigen.plan.toolchains import Toolchain, Versions
from testing.gha.expressions import interpolate

VERSIONS = Versions(node="24", node_file=None, python="3.13", python_file=None)


def actions(steps: list) -> list[str]:
    return [s["uses"].split("@")[0] if "uses" in s else f"run: {s['run']}" for s in steps]


@pytest.mark.parametrize(
    ("manager", "lockfile", "expected"),
    [
        ("npm", "package-lock.json", ["actions/setup-node"]),
        ("pnpm", "pnpm-lock.yaml", ["pnpm/action-setup", "actions/setup-node"]),
        ("yarn", "yarn.lock", ["actions/setup-node"]),
        ("yarn-berry", "yarn.lock", ["actions/setup-node", "run: corepack enable",
                                     "run: echo \"folder=$(yarn config get cacheFolder)\" >> \"$GITHUB_OUTPUT\"",
                                     "actions/cache"]),
        ("bun", "bun.lock", ["oven-sh/setup-bun", "actions/cache"]),
        ("uv", "uv.lock", ["astral-sh/setup-uv"]),
        ("poetry", "poetry.lock", ["run: pipx install poetry", "actions/setup-python"]),
        ("pip", None, ["actions/setup-python"]),
    ],
)
def test_each_manager_sets_up_its_toolchain_with_the_right_actions(
    manager: str, lockfile: str | None, expected: list[str]
) -> None:
    tc = Toolchain(key=manager, manager=manager, root=".", lockfile=lockfile, pinned=True)  # type: ignore[arg-type]
    assert actions(setup_steps(tc, VERSIONS, None)) == expected


def test_without_a_lockfile_node_caching_is_off_and_install_is_not_frozen() -> None:
    tc = Toolchain(key="npm", manager="npm", root=".", lockfile=None)
    (setup,) = setup_steps(tc, VERSIONS, None)
    assert setup["with"] == {"node-version": "24", "package-manager-cache": False}
    assert install_step(tc, None)["run"] == "npm install"


@pytest.mark.parametrize(
    ("manager", "locked", "unlocked"),
    [
        ("npm", "npm ci", "npm install"),
        ("pnpm", "pnpm install --frozen-lockfile", "pnpm install"),
        ("yarn", "yarn install --frozen-lockfile", "yarn install"),
        ("yarn-berry", "yarn install --immutable", "yarn install"),
        ("bun", "bun install --frozen-lockfile", "bun install"),
        ("uv", "uv sync --locked --all-packages", "uv sync"),
    ],
)
def test_install_is_frozen_to_the_lockfile_when_there_is_one(manager: str, locked: str, unlocked: str) -> None:
    with_lock = Toolchain(key=manager, manager=manager, root=".", lockfile="x.lock")  # type: ignore[arg-type]
    without = Toolchain(key=manager, manager=manager, root=".", lockfile=None)  # type: ignore[arg-type]
    assert (install_step(with_lock, None)["run"], install_step(without, None)["run"]) == (locked, unlocked)


def test_a_folder_with_an_expression_in_its_name_stays_literal() -> None:
    tc = Toolchain(key="uv", manager="uv", root="py/${{ x }}", lockfile="py/${{ x }}/uv.lock")
    folder = install_step(tc, None)["working-directory"]
    assert folder != "py/${{ x }}"
    assert interpolate(folder, {}) == "py/${{ x }}"


def test_expression_helpers() -> None:
    assert literal("it's") == "'it''s'"
    assert condition("!cancelled()") == "${{ !cancelled() }}"
    assert condition("always()") == "always()"
    assert interpolate(escape("a ${{ b }} ${{"), {}) == "a ${{ b }} ${{"
    assert "${{" not in json_text({"k": "${{ secrets.X }}"})
    with pytest.raises(ValueError):
        literal("${{ x }}")


def test_the_integration_job_installs_a_toolchain_without_a_shared_folder_in_each_services_folder() -> None:
    from cigen.render.integration import IntegrationCI, integration_job
    from cigen.config.workflow import WorkflowConfig

    pip = Toolchain(key="pip", manager="pip", root=None, lockfile=None)
    integration = IntegrationCI(
        services=(), command=None, cwd=".", logs=".cigen/logs", toolchains=(pip,),
        installs=((pip, "services/a"), (pip, "services/b b")), builds=(),
    )
    job = integration_job(integration, WorkflowConfig(), VERSIONS, ["plan"], "ubuntu-latest", "cigen==1", "3.13")
    installs = [s for s in job["steps"] if s.get("name", "").startswith("Install dependencies")]
    assert [s["working-directory"] for s in installs] == ["services/a", "services/b b"]
    assert "matrix" not in str(job)
