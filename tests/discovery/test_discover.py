"""discover() end to end on trees built on disk: links, loops, node_modules, nesting, order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cigen.discovery import discover
from cigen.errors import InputError
from testing.trees import make_tree, paths, pkg


def test_members_come_sorted_by_path_with_slashes(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", workspaces=["packages/**"]),
        "packages/b/package.json": pkg("b"),
        "packages/a-c/package.json": pkg("a-c"),
        "packages/a/package.json": pkg("a"),
        "packages/a/inner/package.json": pkg("inner"),
    })
    assert paths(discover(tmp_path)) == [".", "packages/a", "packages/a-c", "packages/a/inner", "packages/b"]


def test_discovery_is_deterministic(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", workspaces=["*/*"]),
        **{f"packages/p{i}/package.json": pkg(f"p{i % 3}") for i in range(20)},
    })
    assert discover(tmp_path) == discover(tmp_path)


def test_node_modules_is_never_entered(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", workspaces=["**"]),
        "packages/a/package.json": pkg("a"),
        "packages/a/node_modules/dep/package.json": pkg("dep"),
        "node_modules/other/package.json": pkg("other"),
    })
    assert paths(discover(tmp_path)) == [".", "packages/a"]


def test_a_symlinked_member_folder_is_listed_once(tmp_path: Path) -> None:
    make_tree(tmp_path, {"package.json": pkg("root", workspaces=["packages/*", "vendor/*"]),
                         "vendor/real/package.json": pkg("real")})
    (tmp_path / "packages").mkdir()
    (tmp_path / "packages" / "alias").symlink_to(tmp_path / "vendor" / "real", target_is_directory=True)
    ws = discover(tmp_path)
    assert paths(ws) == [".", "vendor/real"]
    assert ws.warnings == ("packages/alias is a link to vendor/real; listed once, as vendor/real",)


def test_a_member_reached_only_through_a_link_is_listed_under_the_link(tmp_path: Path) -> None:
    make_tree(tmp_path, {"package.json": pkg("root", workspaces=["packages/*"])})
    make_tree(tmp_path / "elsewhere", {"lib/package.json": pkg("lib")})
    (tmp_path / "packages").mkdir()
    (tmp_path / "packages" / "lib").symlink_to(tmp_path / "elsewhere" / "lib", target_is_directory=True)
    assert paths(discover(tmp_path)) == [".", "packages/lib"]


def test_a_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    make_tree(tmp_path, {"package.json": pkg("root", workspaces=["packages/**"]), "packages/a/package.json": pkg("a")})
    os.symlink(tmp_path / "packages", tmp_path / "packages" / "a" / "again", target_is_directory=True)
    os.symlink(tmp_path, tmp_path / "packages" / "a" / "top", target_is_directory=True)
    assert paths(discover(tmp_path)) == [".", "packages/a"]


def test_yarn_berry_reads_the_workspaces_of_a_member(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", packageManager="yarn@4.1.0", workspaces=["packages/*"]),
        "packages/group/package.json": pkg("group", private=True, workspaces=["parts/*"]),
        "packages/group/parts/one/package.json": pkg("one"),
    })
    assert paths(discover(tmp_path)) == [".", "packages/group", "packages/group/parts/one"]


def test_npm_does_not_read_the_workspaces_of_a_member(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", packageManager="npm@10.0.0", workspaces=["packages/*"]),
        "packages/group/package.json": pkg("group", workspaces=["parts/*"]),
        "packages/group/parts/one/package.json": pkg("one"),
    })
    assert paths(discover(tmp_path)) == [".", "packages/group"]


def test_a_root_that_is_not_a_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the monorepo root"):
        discover(tmp_path / "missing")


def test_a_repository_without_manifests_has_no_members(tmp_path: Path) -> None:
    ws = discover(make_tree(tmp_path, {"README.md": "hello"}))
    assert ws.members == () and ws.definition == "default"


def test_a_single_package_repository_is_its_root(tmp_path: Path) -> None:
    ws = discover(make_tree(tmp_path, {"package.json": pkg("solo", scripts={"start": "node ."})}))
    assert [(m.path, m.name, m.is_root, m.startable) for m in ws.members] == [(".", "solo", True, True)]


def test_a_folder_with_both_manifests_under_the_default_globs_is_the_node_package(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "services/api/package.json": pkg("api-js"),
        "services/api/pyproject.toml": "[project]\nname='api'\n",
    })
    ws = discover(tmp_path)
    assert [(m.path, m.language) for m in ws.members] == [("services/api", "node")]


def test_a_folder_in_both_the_node_and_the_uv_workspace_is_listed_once(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", workspaces=["services/*"]),
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["services/*"]\n',
        "services/api/package.json": pkg("api-js"),
        "services/api/pyproject.toml": "[project]\nname = 'api'\n",
    })
    ws = discover(tmp_path)
    assert [(m.path, m.language) for m in ws.members] == [(".", "node"), ("services/api", "node")]
    assert ws.warnings == (
        "services/api is a member of both the node and the python workspace; it is listed once, as the node package",
    )


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        ("package.json", '{\n  "version": "1.0.0",\n  "name": 42\n}\n', "a/package.json:3:3"),
        ("pyproject.toml", '[project]\nversion = "1.0.0"\nname = 42\n', "a/pyproject.toml:3:1"),
    ],
)
def test_a_name_that_is_no_string_is_refused_where_it_is_written(tmp_path: Path, file: str, text: str, where: str) -> None:
    # npm, yarn, pnpm and uv all refuse such a manifest; "has no name" would hide what is wrong.
    if file == "package.json":
        (tmp_path / "package.json").write_text('{"private": true, "workspaces": ["a"]}')
    else:
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "root"\n[tool.uv.workspace]\nmembers = ["a"]\n')
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / file).write_text(text)
    with pytest.raises(InputError) as raised:
        discover(tmp_path)
    assert "name must be a string, not a number (42)" in str(raised.value)
    assert f"{tmp_path}/{where}" in str(raised.value)
