"""Reading a member's manifest into a Member: fields, kinds, odd manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.config.root import Config
from cigen.discovery import discover, mark_startable
from cigen.errors import InputError
from testing.trees import make_tree, paths, pkg, pyproject


def workspace_of(tmp_path: Path, members: dict, **root_fields) -> object:  # noqa: ANN003
    make_tree(tmp_path, {"package.json": pkg("root", private=True, workspaces=["*/*"], **root_fields), **members})
    return discover(tmp_path)


def test_a_node_member_carries_its_manifest_fields(tmp_path: Path) -> None:
    ws = workspace_of(tmp_path, {"services/api/package.json": pkg(
        "@acme/api", "2.3.4", private=True,
        scripts={"build": "tsc", "start": "node dist/server.js", "broken": 42},
    )})
    api = ws.member("services/api")
    assert (api.name, api.version, api.kind, api.language, api.package_manager) == (
        "@acme/api", "2.3.4", "service", "node", "npm",
    )
    assert api.scripts == {"build": "tsc", "start": "node dist/server.js"}
    assert api.private and api.startable and not api.is_root


def test_a_node_member_without_a_start_script_cannot_start(tmp_path: Path) -> None:
    ws = workspace_of(tmp_path, {"packages/lib/package.json": pkg("lib", scripts={"build": "tsc"})})
    assert not ws.member("packages/lib").startable
    assert not ws.member("packages/lib").private


def test_the_root_package_is_a_member_marked_as_root(tmp_path: Path) -> None:
    ws = workspace_of(tmp_path, {"packages/lib/package.json": pkg("lib")})
    root = ws.member(".")
    assert root.is_root and root.name == "root" and root.kind == "package"


@pytest.mark.parametrize(("folder", "kind"), [("services", "service"), ("apps", "app"), ("packages", "package"),
                                              ("libs", "package"), ("tools", "package")])
def test_the_folder_gives_the_kind(tmp_path: Path, folder: str, kind: str) -> None:
    ws = workspace_of(tmp_path, {f"{folder}/x/package.json": pkg("x")})
    assert ws.member(f"{folder}/x").kind == kind


def test_cigen_yaml_kinds_by_name_or_path_glob_win_over_the_folder(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", workspaces=["*/*"]),
        "packages/worker/package.json": pkg("worker"),
        "packages/gateway/package.json": pkg("@acme/gateway"),
        "services/docs/package.json": pkg("docs"),
        "tools/cli/package.json": pkg("cli"),
    })
    kinds = {"tools/*": "app", "worker": "service", "@acme/*": "service", "services/docs": "package"}
    ws = discover(tmp_path, Config(kinds=kinds))
    assert {m.path: m.kind for m in ws.members} == {
        ".": "package", "packages/gateway": "service", "packages/worker": "service",
        "services/docs": "package", "tools/cli": "app",
    }


def test_an_exact_name_beats_an_earlier_glob_in_cigen_yaml(tmp_path: Path) -> None:
    make_tree(tmp_path, {"package.json": pkg("root", workspaces=["packages/*"]), "packages/a/package.json": pkg("a")})
    ws = discover(tmp_path, Config(kinds={"packages/*": "app", "a": "service"}))
    assert ws.member("packages/a").kind == "service"


def test_a_manifest_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    make_tree(tmp_path, {
        "package.json": bom + json.dumps(pkg("root", workspaces=["packages/*"])).encode(),
        "packages/a/package.json": bom + json.dumps(pkg("a")).encode(),
        "pyproject.toml": bom + b'[tool.uv.workspace]\nmembers = ["py/*"]\n',
        "py/b/pyproject.toml": bom + pyproject("b").encode(),
    })
    assert paths(discover(tmp_path)) == [".", "packages/a", "py/b"]


def test_a_malformed_member_manifest_is_an_error_with_file_line_and_column(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", workspaces=["packages/*"]),
        "packages/a/package.json": '{\n  "name": "a",\n  "version": 1.0.0\n}\n',
    })
    with pytest.raises(InputError) as caught:
        discover(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'packages/a/package.json'}:3:17: invalid JSON")


def test_a_malformed_pyproject_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["py/*"]\n',
        "py/b/pyproject.toml": '[project]\nname = "b\n',
    })
    with pytest.raises(InputError) as caught:
        discover(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'py/b/pyproject.toml'}:2:")


def test_a_manifest_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    make_tree(tmp_path, {"package.json": pkg("root", workspaces=["packages/*"]), "packages/a/package.json": "[]"})
    with pytest.raises(InputError, match=r"packages/a/package\.json:1:1: a manifest must hold an object"):
        discover(tmp_path)


def test_unnamed_packages_are_listed_by_path_with_a_warning(tmp_path: Path) -> None:
    ws = workspace_of(tmp_path, {"packages/anon/package.json": {"private": True}})
    assert ws.member("packages/anon").name is None
    assert ws.member("packages/anon").label == "packages/anon"
    assert ws.warnings == ("packages/anon/package.json has no name; listed by its path, and nothing can depend on it",)


def test_yarn_classic_skips_workspaces_without_a_name_or_version(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", packageManager="yarn@1.22.22", workspaces=["packages/*"]),
        "packages/anon/package.json": {"version": "1.0.0"},
        "packages/unversioned/package.json": {"name": "unversioned"},
        "packages/ok/package.json": pkg("ok"),
    })
    ws = discover(tmp_path)
    assert paths(ws) == [".", "packages/ok"]
    assert ws.warnings == (
        "packages/anon/package.json has no name; yarn 1 skips such workspaces, and so does cigen",
        "packages/unversioned/package.json has no version; yarn 1 skips such workspaces, and so does cigen",
    )


def test_an_unnamed_root_is_no_cause_for_a_warning(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": {"private": True, "workspaces": ["packages/*"]},
        "packages/a/package.json": pkg("a"),
    })
    assert discover(tmp_path).warnings == ()


def test_duplicate_names_are_all_listed_with_a_warning(tmp_path: Path) -> None:
    ws = workspace_of(tmp_path, {"packages/a/package.json": pkg("same"), "apps/a/package.json": pkg("same")})
    assert paths(ws) == [".", "apps/a", "packages/a"]
    assert ws.warnings == ("2 members are named 'same': apps/a, packages/a",)


def test_a_member_nested_inside_another_is_its_own_member(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", workspaces=["packages/*", "packages/*/examples/*"]),
        "packages/a/package.json": pkg("a"),
        "packages/a/examples/demo/package.json": pkg("demo"),
    })
    assert paths(discover(tmp_path)) == [".", "packages/a", "packages/a/examples/demo"]


def test_a_matched_folder_without_a_manifest_is_no_member(tmp_path: Path) -> None:
    ws = workspace_of(tmp_path, {"packages/a/package.json": pkg("a"), "packages/docs/README.md": "docs"})
    assert paths(ws) == [".", "packages/a"]
    assert ws.warnings == ()


def test_pnpm_reads_package_yaml_manifests(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "package.json": pkg("root", packageManager="pnpm@10.0.0"),
        "pnpm-workspace.yaml": "packages: ['packages/*']\n",
        "packages/y/package.yaml": "name: yaml-pkg\nversion: 1.2.3\nscripts:\n  start: node .\n",
    })
    y = discover(tmp_path).member("packages/y")
    assert (y.name, y.version, y.startable) == ("yaml-pkg", "1.2.3", True)


def test_a_python_member_carries_its_project_table(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["services/*"]\n',
        "services/api/pyproject.toml": pyproject(
            "api", "0.4.0", 'classifiers = ["Private :: Do Not Upload"]\n[project.scripts]\napi = "api:main"\n'
        ),
    })
    api = discover(tmp_path).member("services/api")
    assert (api.name, api.version, api.kind, api.language, api.package_manager) == (
        "api", "0.4.0", "service", "python", "uv",
    )
    assert api.private and api.scripts == {} and not api.startable


def test_a_python_member_with_a_dynamic_version_has_none(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["py/*"]\n',
        "py/a/pyproject.toml": '[project]\nname = "a"\ndynamic = ["version"]\n',
    })
    assert discover(tmp_path).member("py/a").version is None


def test_uv_leaves_out_unmanaged_projects_and_hidden_folders(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["py/*"]\n',
        "py/a/pyproject.toml": pyproject("a"),
        "py/legacy/pyproject.toml": pyproject("legacy", extra="[tool.uv]\nmanaged = false\n"),
        "py/.cache/": None,
        "py/empty/": None,
    })
    ws = discover(tmp_path)
    assert paths(ws) == ["py/a"]
    assert ws.warnings == ()


def test_uv_members_without_pyproject_or_project_table_are_warnings(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["py/*"]\n',
        "py/notes/README.md": "no project here",
        "py/tool/pyproject.toml": "[tool.ruff]\nline-length = 100\n",
    })
    ws = discover(tmp_path)
    assert paths(ws) == []
    assert ws.warnings == (
        "py/tool/pyproject.toml has no [project] table; skipped",
        "pyproject.toml: py/notes matches [tool.uv.workspace] members but has no pyproject.toml "
        "(uv refuses this); skipped",
    )


def test_mark_startable_marks_the_members_a_selector_picks(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["services/*"]\n',
        "services/api/pyproject.toml": pyproject("api"),
        "services/worker/pyproject.toml": pyproject("worker"),
    })
    ws = mark_startable(discover(tmp_path), ["api"])
    assert {m.path: m.startable for m in ws.members} == {"services/api": True, "services/worker": False}
    assert mark_startable(ws, ["services/*"]).member("services/worker").startable
