"""A package.json script run directly is run as ``npm run`` runs it: a case table run both ways against real npm.

Each case is a package whose scripts record their whole environment
(``env -0``) or end in a known way. ``cigen run`` runs the table twice, once
with ``run.scripts: package-manager`` (real ``npm run``) and once with
``run.scripts: direct``; every recorded environment (PATH, every ``npm_*``
variable, INIT_CWD, ...), the order of pre/main/post scripts and every exit
code must be the same.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from cigen.adapters.npm_env import NpmEnvironment
from cigen.executor.scripts import npm_events, package_env
from testing.cli import run_cigen

RECORD = 'env -0 > "out/$CASE_MODE.$npm_lifecycle_event"; echo "$npm_lifecycle_event" >> "out/$CASE_MODE.order"'

CASES: dict[str, dict[str, Any]] = {
    # what the environment holds: PATH, npm_config_*, npm_package_* of every kind of field
    "fields": {"version": "2.0.0-rc.1", "config": {"port": 8080, "flags": ["a", "b"], "off": False, "none": None},
               "engines": {"node": ">=18"}, "bin": {"fieldscli": "cli.js"},
               "scripts": {"build": RECORD}},
    # pre and post scripts, each with its own npm_lifecycle_event and npm_lifecycle_script
    "prepost": {"version": "1.0.0", "scripts": {"prebuild": RECORD, "build": RECORD, "postbuild": RECORD}},
    # a tool from the root's node_modules/.bin, found on PATH
    "bins": {"version": "1.0.0", "scripts": {"build": 'hello > "out/$CASE_MODE.hello"'}},
    # exit codes: the script's own, a failing pre script ends the task, a signal
    "fails": {"version": "1.0.0", "scripts": {"build": "exit 42"}},
    "prefails": {"version": "1.0.0", "scripts": {"prebuild": "exit 3", "build": RECORD}},
    "killed": {"version": "1.0.0", "scripts": {"build": "kill -TERM $$"}},
    "no-version": {"scripts": {"build": RECORD}},
}


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The case table's monorepo and each mode's results (by service name) after running it both ways."""
    root = tmp_path_factory.mktemp("scripts")
    (root / "package.json").write_text(json.dumps({"name": "table", "private": True, "workspaces": ["packages/*"]}))
    hello = root / "node_modules" / ".bin" / "hello"
    hello.parent.mkdir(parents=True)
    hello.write_text("#!/bin/sh\necho hello from the root bin\n")
    hello.chmod(hello.stat().st_mode | stat.S_IXUSR)
    for name, manifest in CASES.items():
        folder = root / "packages" / name
        (folder / "out").mkdir(parents=True)
        (folder / "package.json").write_text(json.dumps({"name": name, **manifest}))
    results = {}
    for mode in ("package-manager", "direct"):
        (root / "cigen.yaml").write_text(f"plan:\n  mode: parallel\nrun:\n  scripts: {mode}\n")
        done = run_cigen("run", "build", "--json", "--root", str(root), cwd=root,
                         env={**os.environ, "CASE_MODE": mode})
        assert done.exit_code == 1, done.stderr  # the failing cases fail
        results[mode] = {s["name"]: s["tasks"][0] for s in done.json()["services"]}
    return root, results


def recorded(root: Path, case: str, mode: str, event: str) -> dict[str, str]:
    text = (root / "packages" / case / "out" / f"{mode}.{event}").read_text()
    return dict(entry.split("=", 1) for entry in text.split("\0") if entry)


@pytest.mark.parametrize(("case", "event"), [
    ("fields", "build"), ("prepost", "prebuild"), ("prepost", "build"), ("prepost", "postbuild"),
    ("no-version", "build"),
])
def test_a_script_sees_the_environment_npm_run_gives_it(both_ways: tuple[Path, Any], case: str, event: str) -> None:
    root, _ = both_ways
    npm, direct = (recorded(root, case, mode, event) for mode in ("package-manager", "direct"))
    for env in (npm, direct):
        env.pop("_", None)  # the last program the calling shell ran: npm's launcher, or nothing
        env.pop("CASE_MODE")  # which way the table ran
    assert direct == npm
    assert npm["npm_lifecycle_event"] == event  # the comparison saw npm's variables
    assert npm["PATH"].startswith(str(root.resolve() / "packages" / case / "node_modules" / ".bin"))


def test_the_package_fields_become_npm_package_variables_as_npm_flattens_them(both_ways: tuple[Path, Any]) -> None:
    env = recorded(both_ways[0], "fields", "direct", "build")
    assert {k: v for k, v in env.items() if k.startswith("npm_package_") and k != "npm_package_json"} == {
        "npm_package_name": "fields", "npm_package_version": "2.0.0-rc.1",
        "npm_package_config_port": "8080", "npm_package_config_flags_0": "a", "npm_package_config_flags_1": "b",
        "npm_package_config_off": "", "npm_package_config_none": "",
        "npm_package_engines_node": ">=18", "npm_package_bin_fieldscli": "cli.js",
    }


def test_pre_and_post_scripts_run_around_the_script_in_npms_order(both_ways: tuple[Path, Any]) -> None:
    root, _ = both_ways
    for mode in ("package-manager", "direct"):
        assert (root / "packages" / "prepost" / "out" / f"{mode}.order").read_text().split() == [
            "prebuild", "build", "postbuild"]


def test_a_tool_in_an_ancestors_node_modules_bin_is_on_path(both_ways: tuple[Path, Any]) -> None:
    root, _ = both_ways
    for mode in ("package-manager", "direct"):
        assert (root / "packages" / "bins" / "out" / f"{mode}.hello").read_text() == "hello from the root bin\n"


@pytest.mark.parametrize(("case", "code"), [("fails", 42), ("prefails", 3), ("killed", -15), ("fields", 0)])
def test_exit_codes_are_those_npm_run_exits_with(both_ways: tuple[Path, Any], case: str, code: int) -> None:
    _, results = both_ways
    assert results["direct"][case]["exit_code"] == results["package-manager"][case]["exit_code"] == code
    if case == "prefails":  # the failing pre script ended the task: the main script never ran
        assert not (both_ways[0] / "packages" / case / "out" / "direct.build").exists()


def test_ignore_scripts_runs_the_main_script_alone() -> None:
    npm = NpmEnvironment({"npm_config_ignore_scripts": "true"}, None)
    assert npm_events({"prebuild": "a", "build": "b"}, "build", npm) == ["build"]
    assert npm_events({"prebuild": "a", "build": "b"}, "build", NpmEnvironment({}, None)) == ["prebuild", "build"]


def test_package_env_leaves_out_fields_the_manifest_does_not_have() -> None:
    assert package_env({"name": "x", "version": 1.0}) == {"npm_package_name": "x", "npm_package_version": "1"}
