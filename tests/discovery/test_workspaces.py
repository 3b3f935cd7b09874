"""Which workspace definition counts, and how a bad one is reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cigen.config.root import Config
from cigen.discovery import discover
from cigen.errors import InputError
from testing.trees import make_tree, paths, pkg, pyproject

THREE = {
    "packages/a/package.json": pkg("a"),
    "packages/b/package.json": pkg("b"),
    "tools/t/package.json": pkg("t"),
}


def test_pnpm_reads_pnpm_workspace_yaml_and_ignores_package_json_workspaces(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        **THREE,
        "package.json": pkg("root", packageManager="pnpm@10.0.0", workspaces=["packages/*"]),
        "pnpm-workspace.yaml": "packages:\n  - 'tools/*'\n",
    })
    workspace = discover(tmp_path)
    assert (workspace.definition, workspace.package_manager) == ("pnpm-workspace.yaml", "pnpm")
    assert paths(workspace) == [".", "tools/t"]


def test_yarn_reads_package_json_workspaces_even_beside_a_pnpm_workspace_yaml(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        **THREE,
        "package.json": pkg("root", packageManager="yarn@4.1.0", workspaces=["packages/*"]),
        "pnpm-workspace.yaml": "packages:\n  - 'tools/*'\n",
    })
    workspace = discover(tmp_path)
    assert (workspace.definition, workspace.package_manager) == ("package.json", "yarn-berry")
    assert paths(workspace) == [".", "packages/a", "packages/b"]


def test_workspaces_may_be_an_object_with_packages(tmp_path: Path) -> None:
    make_tree(tmp_path, {**THREE, "package.json": pkg("root", workspaces={"packages": ["tools/*"], "nohoist": ["**"]})})
    assert paths(discover(tmp_path)) == [".", "tools/t"]


def test_pnpm_workspace_yaml_without_packages_lists_only_the_root(tmp_path: Path) -> None:
    make_tree(tmp_path, {**THREE, "package.json": pkg("root"), "pnpm-workspace.yaml": "catalog:\n  react: ^19.0.0\n"})
    assert paths(discover(tmp_path)) == ["."]


def test_pnpm_without_pnpm_workspace_yaml_falls_back_to_package_json_workspaces_with_a_warning(tmp_path: Path) -> None:
    make_tree(tmp_path, {**THREE, "package.json": pkg("root", packageManager="pnpm@10.0.0", workspaces=["tools/*"])})
    workspace = discover(tmp_path)
    assert paths(workspace) == [".", "tools/t"]
    assert any("pnpm ignores `workspaces`" in w for w in workspace.warnings)


def test_lerna_packages_count_when_the_package_manager_has_no_workspaces(tmp_path: Path) -> None:
    make_tree(tmp_path, {**THREE, "package.json": pkg("root"), "lerna.json": {"packages": ["tools/*"]}})
    workspace = discover(tmp_path)
    assert workspace.definition == "lerna.json"
    assert paths(workspace) == [".", "tools/t"]


def test_lerna_without_packages_uses_packages_star(tmp_path: Path) -> None:
    make_tree(tmp_path, {**THREE, "package.json": pkg("root"), "lerna.json": {"version": "independent"}})
    assert paths(discover(tmp_path)) == [".", "packages/a", "packages/b"]


def test_the_package_managers_workspaces_win_over_lerna_packages(tmp_path: Path) -> None:
    # jest's layout: lerna.json lists a subset; yarn installs and links every workspace.
    make_tree(tmp_path, {
        **THREE,
        "package.json": pkg("root", workspaces=["packages/*", "tools/*"]),
        "lerna.json": {"packages": ["packages/*"], "npmClient": "yarn"},
    })
    workspace = discover(tmp_path)
    assert workspace.definition == "package.json"
    assert paths(workspace) == [".", "packages/a", "packages/b", "tools/t"]


RUSH_JSON = """{
  // rush.json is JSON with comments
  "rushVersion": "5.100.0",
  "pnpmVersion": "8.15.0",
  /* projects are exact folders, not globs */
  "projects": [
    { "packageName": "a", "projectFolder": "packages/a" },
    { "packageName": "t", "projectFolder": "tools/t", },
  ],
}
"""


def test_rush_json_lists_its_projects_and_not_the_root(tmp_path: Path) -> None:
    make_tree(tmp_path, {**THREE, "rush.json": RUSH_JSON, "package.json": pkg("root", workspaces=["packages/*"])})
    workspace = discover(tmp_path)
    assert (workspace.definition, workspace.package_manager) == ("rush.json", "pnpm")
    assert paths(workspace) == ["packages/a", "tools/t"]


def test_a_rush_project_without_package_json_is_a_warning(tmp_path: Path) -> None:
    make_tree(tmp_path, {"rush.json": RUSH_JSON, "packages/a/package.json": pkg("a")})
    workspace = discover(tmp_path)
    assert paths(workspace) == ["packages/a"]
    assert workspace.warnings == ("rush.json: project t has no package.json in tools/t",)


UV_ROOT = pyproject("root", extra='[tool.uv.workspace]\nmembers = ["libs/*", "services/*"]\nexclude = ["libs/old"]\n')


def test_uv_workspace_members_and_exclude(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": UV_ROOT,
        "libs/a/pyproject.toml": pyproject("a"),
        "libs/old/pyproject.toml": pyproject("old"),
        "services/api/pyproject.toml": pyproject("api"),
    })
    workspace = discover(tmp_path)
    assert (workspace.definition, workspace.package_manager) == ("pyproject.toml", "uv")
    assert paths(workspace) == [".", "libs/a", "services/api"]
    assert workspace.member(".").is_root and workspace.member(".").language == "python"


def test_a_virtual_uv_root_is_no_member(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["libs/*"]\n',
        "libs/a/pyproject.toml": pyproject("a"),
    })
    assert paths(discover(tmp_path)) == ["libs/a"]


def test_node_and_uv_workspaces_coexist(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", packageManager="pnpm@10.0.0"),
        "pnpm-workspace.yaml": "packages: ['packages/*']\n",
        "packages/web/package.json": pkg("web"),
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["python/*"]\n',
        "python/api/pyproject.toml": pyproject("api"),
    })
    workspace = discover(tmp_path)
    assert workspace.package_manager == "pnpm"
    assert workspace.definition == "pnpm-workspace.yaml"
    assert [(m.path, m.language, m.package_manager) for m in workspace.members] == [
        (".", "node", "pnpm"), ("packages/web", "node", "pnpm"), ("python/api", "python", "uv"),
    ]


def test_without_a_definition_packages_services_and_apps_hold_the_members(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "packages/lib/package.json": pkg("lib"),
        "services/api/pyproject.toml": pyproject("api"),
        "apps/web/package.json": pkg("web"),
        "tools/t/package.json": pkg("t"),
        "packages/notes/README.md": "not a member",
    })
    workspace = discover(tmp_path)
    assert workspace.definition == "default"
    assert [(m.path, m.language, m.kind) for m in workspace.members] == [
        ("apps/web", "node", "app"), ("packages/lib", "node", "package"), ("services/api", "python", "service"),
    ]


def test_cigen_yaml_workspaces_replace_every_definition(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        **THREE, "package.json": pkg("root", workspaces=["packages/*"]), "py/x/pyproject.toml": pyproject("x"),
    })
    workspace = discover(tmp_path, Config(workspaces=["tools/*", "py/*", "packages/*", "!packages/b"]))
    assert workspace.definition == "cigen.yaml"
    assert paths(workspace) == [".", "packages/a", "py/x", "tools/t"]


@pytest.mark.parametrize(
    ("files", "file", "glob"),
    [
        ({"package.json": pkg("r", workspaces=["packages/*", "../outside/*"])}, "package.json", "../outside/*"),
        ({"package.json": pkg("r", packageManager="pnpm@9.0.0"), "pnpm-workspace.yaml": "packages:\n  - '/abs/*'\n"},
         "pnpm-workspace.yaml", "/abs/*"),
        ({"pyproject.toml": '[tool.uv.workspace]\nmembers = ["libs/../../x"]\n'}, "pyproject.toml", "libs/../../x"),
        ({"rush.json": '{"pnpmVersion": "8.0.0", "projects": [{"packageName": "a", "projectFolder": "../a"}]}'},
         "rush.json", "../a"),
        ({"lerna.json": {"packages": ["../*"]}, "package.json": pkg("r")}, "lerna.json", "../*"),
    ],
)
def test_a_glob_that_escapes_the_root_is_an_error_naming_the_file_the_line_and_the_glob(
    tmp_path: Path, files: dict, file: str, glob: str
) -> None:
    make_tree(tmp_path, files)
    with pytest.raises(InputError) as caught:
        discover(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / file}:")
    assert repr(glob) in message and "outside the repository root" in message
    assert caught.value.line is not None


def test_a_cigen_yaml_glob_that_escapes_the_root_names_cigen_yaml(tmp_path: Path) -> None:
    make_tree(tmp_path, {"cigen.yaml": "workspaces:\n  - packages/*\n  - ../x\n"})
    with pytest.raises(InputError, match=r"cigen\.yaml:3:5: workspace glob '\.\./x' points outside"):
        discover(tmp_path, Config(workspaces=["packages/*", "../x"]))


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"package.json": pkg("r", workspaces="packages/*")}, "package.json:"),
        ({"package.json": pkg("r", workspaces=[1, 2])}, "`workspaces` must be a list of globs"),
        ({"package.json": pkg("r", packageManager="pnpm@9.0.0"), "pnpm-workspace.yaml": "packages: packages/*\n"},
         "`packages` must be a list of globs"),
        ({"pnpm-workspace.yaml": "- a\n- b\n", "package.json": pkg("r", packageManager="pnpm@9.0.0")},
         "must hold a mapping"),
        ({"pyproject.toml": '[tool.uv.workspace]\nmembers = "libs/*"\n'}, "`tool.uv.workspace.members` must be"),
        ({"rush.json": '{"projects": [{"packageName": "a"}]}'}, "every project needs a `projectFolder`"),
    ],
)
def test_a_malformed_definition_is_an_input_error(tmp_path: Path, files: dict, fragment: str) -> None:
    make_tree(tmp_path, files)
    with pytest.raises(InputError, match=re.escape(fragment)):
        discover(tmp_path)


@pytest.mark.parametrize(
    ("file", "content", "where"),
    [
        ("package.json", '{\n  "name": "r",\n  "workspaces": ["a",]\n}', "package.json:3:"),
        ("pnpm-workspace.yaml", "packages:\n  - 'a\n  - b: [\n", "pnpm-workspace.yaml:"),
        ("pyproject.toml", "[tool.uv.workspace\nmembers = []\n", "pyproject.toml:1:"),
        ("rush.json", '{\n  // ok\n  "projects": [\n    {"projectFolder": "a" "packageName": "b"}\n  ]\n}',
         "rush.json:4:"),
    ],
)
def test_a_definition_that_does_not_parse_is_located(tmp_path: Path, file: str, content: str, where: str) -> None:
    files = {file: content}
    if file == "pnpm-workspace.yaml":
        files["package.json"] = pkg("r", packageManager="pnpm@9.0.0")
    make_tree(tmp_path, files)
    with pytest.raises(InputError) as caught:
        discover(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / where))
