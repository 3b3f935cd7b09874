"""cigen reads the example as its package managers do: every member, every internal edge
with the field it comes from, and the levels that make the build order."""

from __future__ import annotations

from functools import cache
from typing import Any

from testing.cli import run_cigen
from testing.paths import EXAMPLES

SHOP = EXAMPLES / "shop"

NODE_DEPENDENCIES = {
    ("@shop/api", "@shop/core"), ("@shop/api", "@shop/data"), ("@shop/api", "@shop/events"), ("@shop/api", "@shop/server"),
    ("@shop/auth", "@shop/core"), ("@shop/auth", "@shop/server"),
    ("@shop/billing", "@shop/core"), ("@shop/billing", "@shop/events"), ("@shop/billing", "@shop/server"),
    ("@shop/broker", "@shop/core"), ("@shop/broker", "@shop/server"),
    ("@shop/data", "@shop/core"),
    ("@shop/events", "@shop/core"),
    ("@shop/inventory", "@shop/core"), ("@shop/inventory", "@shop/data"), ("@shop/inventory", "@shop/server"),
    ("@shop/server", "@shop/core"),
    ("@shop/web", "@shop/api"), ("@shop/web", "@shop/server"),
}
# PEP 621 [project] dependencies, linked through [tool.uv.sources] workspace = true.
PYTHON_DEPENDENCIES = {("shop-recommend", "shop-ranking")}
DEPENDENCIES = NODE_DEPENDENCIES | PYTHON_DEPENDENCIES
NODE_MEMBERS = (
    "@shop/api", "@shop/auth", "@shop/billing", "@shop/broker", "@shop/core", "@shop/data", "@shop/events",
    "@shop/inventory", "@shop/server", "@shop/web",
)
# Every Node member needs the build tooling to build and lint: a devDependency. The broker's
# tests talk to it through the shop's own event client.
DEV_DEPENDENCIES = {(member, "@shop/tooling") for member in NODE_MEMBERS} | {("@shop/broker", "@shop/events")}


@cache
def cigen_json(*args: str) -> Any:
    result = run_cigen(*args, "--format", "json", "--root", str(SHOP))
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_every_member_of_both_workspaces_is_found_with_its_kind_and_package_manager() -> None:
    found = {(s["path"], s["name"], s["kind"], s["package_manager"]) for s in cigen_json("graph")["services"]}
    assert found == {
        (".", "shop", "package", "npm"),
        ("packages/tooling", "@shop/tooling", "package", "npm"),
        ("packages/core", "@shop/core", "package", "npm"),
        ("packages/data", "@shop/data", "package", "npm"),
        ("packages/server", "@shop/server", "package", "npm"),
        ("packages/events", "@shop/events", "package", "npm"),
        ("packages/ranking", "shop-ranking", "package", "uv"),
        ("services/auth", "@shop/auth", "service", "npm"),
        ("services/api", "@shop/api", "service", "npm"),
        ("services/billing", "@shop/billing", "service", "npm"),
        ("services/broker", "@shop/broker", "service", "npm"),
        ("services/inventory", "@shop/inventory", "service", "npm"),
        ("services/recommend", "shop-recommend", "service", "uv"),
        ("apps/web", "@shop/web", "app", "npm"),
    }


def test_the_edges_are_the_internal_dependencies_with_the_field_they_come_from() -> None:
    edges = {(e["from"], e["to"]): e["kinds"] for e in cigen_json("graph")["edges"]}
    assert set(edges) == DEPENDENCIES | DEV_DEPENDENCIES
    assert all(edges[edge] == ["dependencies"] for edge in NODE_DEPENDENCIES)
    assert all(edges[edge] == ["project.dependencies"] for edge in PYTHON_DEPENDENCIES)
    assert all(edges[edge] == ["devDependencies"] for edge in DEV_DEPENDENCIES)


def test_the_levels_go_four_internal_dependencies_deep_from_core_to_web() -> None:
    graph = cigen_json("graph")
    level = {name: index for index, names in enumerate(graph["levels"]) for name in names}
    assert graph["cycles"] == []
    assert [level[n] for n in ("@shop/tooling", "@shop/core", "@shop/data", "@shop/api", "@shop/web")] == [0, 1, 2, 3, 4]
    assert level["@shop/server"] < level["@shop/auth"] and level["shop-ranking"] < level["shop-recommend"]


def test_the_auto_plan_runs_every_service_once_after_the_stages_of_its_dependencies() -> None:
    plan = cigen_json("plan")
    stage_of = {name: stage["id"] for stage in plan["stages"] for name in stage["services"]}
    assert sorted(stage_of) == sorted(plan["services"])
    assert "shop" not in stage_of  # the root package never becomes a stage of its own
    needs = {stage["id"]: set(stage["needs"]) for stage in plan["stages"]}

    def waits_for(stage: str, other: str) -> bool:
        return other in needs[stage] or any(waits_for(n, other) for n in needs[stage])

    for dependent, dependency in DEPENDENCIES | DEV_DEPENDENCIES:
        assert waits_for(stage_of[dependent], stage_of[dependency]), (dependent, dependency)
