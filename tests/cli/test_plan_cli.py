"""``cigen plan`` run in process (testing.cli) on small monorepos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.cli import run_cigen
from testing.monorepos import CYCLIC, SHOP, write_monorepo


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_monorepo(tmp_path / "shop", SHOP)


def plan_json(root: Path, *args: str) -> dict:
    done = run_cigen("plan", "--format", "json", *args, cwd=root)
    assert done.exit_code == 0, done.stderr
    assert done.stderr == ""
    return json.loads(done.stdout)


def stages(doc: dict) -> list[tuple[str, list[str], list[str]]]:
    return [(s["id"], s["services"], s["needs"]) for s in doc["stages"]]


def test_the_default_plan_is_auto_with_stages_needing_only_their_dependencies(shop: Path) -> None:
    doc = plan_json(shop)
    assert (doc["mode"], doc["concurrency"], doc["fail_fast"]) == ("auto", None, False)
    assert stages(doc) == [
        ("stage-1", ["@x/utils", "api", "worker"], []),
        ("stage-2", ["@x/ui"], ["stage-1"]),
        ("stage-3", ["web"], ["stage-1", "stage-2"]),
    ]
    assert doc["stages"][0]["paths"] == ["packages/utils", "services/api", "services/worker"]
    assert [j["id"] for j in doc["jobs"]] == ["stage-1", "stage-2", "stage-3"]


def test_the_root_package_is_never_a_stage_by_default(shop: Path) -> None:
    doc = plan_json(shop)
    assert "." not in [p for s in doc["stages"] for p in s["paths"]]


def test_cigen_yaml_include_root_makes_the_root_package_a_stage(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "shop", SHOP, config="include_root: true\n")
    doc = plan_json(root)
    assert "." in doc["stages"][0]["paths"]


def test_cascade_runs_one_service_after_another_and_stops_at_the_first_failure(shop: Path) -> None:
    doc = plan_json(shop, "--mode", "cascade")
    assert (doc["mode"], doc["fail_fast"], doc["concurrency"]) == ("cascade", True, 1)
    assert [s["services"] for s in doc["stages"]] == [["@x/utils"], ["@x/ui"], ["api"], ["web"], ["worker"]]
    assert [s["needs"] for s in doc["stages"]] == [[], ["stage-1"], ["stage-2"], ["stage-3"], ["stage-4"]]


def test_parallel_runs_everything_together_under_the_concurrency_limit(shop: Path) -> None:
    doc = plan_json(shop, "--mode", "parallel", "--concurrency", "3")
    assert (doc["mode"], doc["fail_fast"], doc["concurrency"]) == ("parallel", False, 3)
    assert stages(doc) == [("stage-1", ["@x/utils", "@x/ui", "api", "web", "worker"], [])]


def test_defaults_come_from_cigen_yaml_and_options_override_them(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "shop", SHOP, config="plan:\n  mode: parallel\n  concurrency: 2\n")
    assert (plan_json(root)["mode"], plan_json(root)["concurrency"]) == ("parallel", 2)
    overridden = plan_json(root, "--mode", "auto", "--concurrency", "5")
    assert (overridden["mode"], overridden["concurrency"]) == ("auto", 5)


def test_select_with_dependencies_plans_only_those(shop: Path) -> None:
    doc = plan_json(shop, "--select", "web...")
    assert [s["services"] for s in doc["stages"]] == [["@x/utils"], ["@x/ui"], ["web"]]


def test_select_with_dependents_and_exclusions(shop: Path) -> None:
    doc = plan_json(shop, "--select", "...@x/utils", "--select", "!./apps/*")
    assert doc["services"] == ["@x/utils", "@x/ui"]


def test_an_unselected_dependency_is_no_stage_but_still_orders_the_plan(shop: Path) -> None:
    doc = plan_json(shop, "-s", "web", "-s", "@x/utils")
    assert stages(doc) == [("stage-1", ["@x/utils"], []), ("stage-2", ["web"], ["stage-1"])]


def test_a_selection_matching_nothing_is_exit_2_with_a_suggestion(shop: Path) -> None:
    done = run_cigen("plan", "--select", "wbe", cwd=shop)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr == "cigen: error: selection 'wbe' matches no member (did you mean web?)\n"


def test_a_cycle_is_exit_1_naming_the_cycle_and_the_edge_to_remove(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "cyclic", CYCLIC)
    done = run_cigen("plan", "--format", "json", cwd=root)
    assert done.exit_code == 1
    assert done.stdout == ""
    assert done.stderr == (
        "cigen: error: dependency cycle: a -> b -> a; breaking it takes removing 1 edge: b -> a [devDependencies] "
        "(fix: drop a from the devDependencies of packages/b/package.json, or set plan.ignore.kinds: [dev], "
        'or plan.ignore.edges: ["b -> a"], or plan.cycles: units in cigen.yaml; cigen plan lists what they leave out)\n'
    )


def test_a_cycle_outside_the_selection_does_not_stop_the_plan(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "cyclic", CYCLIC)
    assert plan_json(root, "--select", "d")["services"] == ["d"]


def test_parallel_needs_no_order_so_a_cycle_does_not_stop_it(tmp_path: Path) -> None:
    root = write_monorepo(tmp_path / "cyclic", CYCLIC)
    assert plan_json(root, "--mode", "parallel")["services"] == ["d", "a", "b", "c"]


@pytest.mark.parametrize("args", [["--concurrency", "0"], ["--mode", "fast"], ["--format", "yaml"]])
def test_bad_options_are_exit_2_without_traceback(shop: Path, args: list[str]) -> None:
    done = run_cigen("plan", *args, cwd=shop)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr


def test_text_reads_at_a_glance(shop: Path) -> None:
    done = run_cigen("plan", cwd=shop)
    assert done.exit_code == 0
    assert done.stdout.splitlines()[:2] == [
        "auto plan: 3 stages, 5 services, concurrency no limit",
        "on failure: a stage runs to the end; stages that need a failed one are skipped",
    ]
    assert "  stage-3  stage-1, stage-2  web" in done.stdout.splitlines()
