"""link_members: which dependency becomes an edge, and why the others do not.

Each rule was first observed with the package manager itself (npm 11, yarn
1.22 and 4.18, pnpm 8 to 12, bun 1.4, uv 0.13); test_linking_npm.py replays the
npm rows against the real npm on every run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.discovery.linking import Linked, link_members
from cigen.errors import InputError
from cigen.model import Dependency, Edge, Member, PackageManager

F = "dependencies"


def node(
    path: str, name: str | None, version: str | None = "1.0.0", deps: dict | None = None, field: str = F
) -> Member:
    return Member(
        path=path, name=name, version=version, kind="package", language="node", package_manager="npm",
        dependencies=tuple(Dependency(k, v, field) for k, v in (deps or {}).items()),
    )


def py(path: str, name: str, deps: list[str] = (), field: str = "project.dependencies") -> Member:
    from cigen.discovery.dependencies import normalize, requirement_name

    return Member(
        path=path, name=name, version="1.0.0", kind="package", language="python", package_manager="uv",
        dependencies=tuple(Dependency(normalize(requirement_name(r)), r, field) for r in deps),
    )


def link(
    tmp_path: Path, members: list[Member], pm: PackageManager = "pnpm", files: dict | None = None,
    definition: str = "package.json",
) -> Linked:
    for name, content in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content) if isinstance(content, dict) else content, encoding="utf-8")
    return link_members(tmp_path, tuple(members), pm, definition)


def pairs(linked: Linked) -> list[tuple[str, str]]:
    return [(e.source, e.target) for e in linked.edges]


def reasons(linked: Linked) -> list[str]:
    return [u.reason for u in linked.unlinked]


A = node("packages/a", "@x/a", "1.4.0")

# --- the workspace: protocol ----------------------------------------------------------------------


def test_one_edge_per_pair_with_every_field_in_a_fixed_order(tmp_path: Path) -> None:
    b = Member(
        path="packages/b", name="b", version="1.0.0", kind="package", language="node", package_manager="pnpm",
        dependencies=(
            Dependency("@x/a", "workspace:*", "optionalDependencies"),
            Dependency("@x/a", "workspace:^", "devDependencies"),
            Dependency("@x/a", "workspace:~", "dependencies"),
        ),
    )
    assert link(tmp_path, [b, A]).edges == (
        Edge("packages/b", "packages/a", ("dependencies", "devDependencies", "optionalDependencies")),
    )


def test_workspace_protocol_on_a_missing_member_is_an_error_naming_both(tmp_path: Path) -> None:
    web = node("packages/web", "web", deps={"@x/missing": "workspace:^"})
    with pytest.raises(InputError) as err:
        link(tmp_path, [web, A])
    assert str(err.value) == (
        "packages/web/package.json: dependency workspace:^ on @x/missing, but no workspace member is named "
        "@x/missing (add the member or fix the name)"
    )


def test_workspace_range_the_member_does_not_satisfy_is_an_error(tmp_path: Path) -> None:
    web = node("packages/web", "web", deps={"@x/a": "workspace:^2.0.0"})
    with pytest.raises(InputError, match=r"no workspace member named @x/a satisfies \^2.0.0 \(found 1.4.0 \(packages/a\)\)"):
        link(tmp_path, [web, A])


@pytest.mark.parametrize("spec", ["workspace:*", "workspace:^", "workspace:~", "workspace:^1.2.0", "workspace:1.4.0"])
def test_workspace_versions_the_member_satisfies_link(tmp_path: Path, spec: str) -> None:
    assert pairs(link(tmp_path, [node("packages/b", "b", deps={"@x/a": spec}), A])) == [("packages/b", "packages/a")]


def test_workspace_star_takes_a_prerelease_or_a_member_without_version(tmp_path: Path) -> None:
    beta = node("packages/a", "@x/a", "2.0.0-beta.1")
    bare = node("packages/c", "c", None)
    b = node("packages/b", "b", deps={"@x/a": "workspace:*", "c": "workspace:0.0.0"})
    assert pairs(link(tmp_path, [b, beta, bare])) == [("packages/b", "packages/a"), ("packages/b", "packages/c")]


def test_workspace_alias_links_the_aliased_member(tmp_path: Path) -> None:
    b = node("packages/b", "b", deps={"a-alias": "workspace:@x/a@^1"})
    assert pairs(link(tmp_path, [b, A])) == [("packages/b", "packages/a")]


def test_workspace_paths_relative_to_the_dependent_or_to_the_root(tmp_path: Path) -> None:
    b = node("packages/b", "b", deps={"@x/a": "workspace:../a"})
    c = node("packages/c", "c", deps={"@x/a": "workspace:packages/a"})  # yarn's form
    linked = link(tmp_path, [b, c, A], "yarn-berry")
    assert pairs(linked) == [("packages/b", "packages/a"), ("packages/c", "packages/a")]


def test_npm_rejects_workspace_protocol_so_it_links_with_a_warning(tmp_path: Path) -> None:
    linked = link(tmp_path, [node("packages/b", "b", deps={"@x/a": "workspace:*"}), A], "npm")
    assert pairs(linked) == [("packages/b", "packages/a")]
    assert linked.warnings == (
        "1 dependencies use workspace:, which npm does not support (packages/b -> @x/a); "
        "cigen links them as the package managers that support it do",
    )


# --- folders: link:, file:, portal: ---------------------------------------------------------------


def test_link_and_file_to_a_member_folder_are_edges_whatever_the_key(tmp_path: Path) -> None:
    b = node("packages/b", "b", deps={"@x/a": "link:../a", "copy-of-a": "file:../a"}, field="devDependencies")
    assert link(tmp_path, [b, A], "pnpm").edges == (Edge("packages/b", "packages/a", ("devDependencies",)),)


def test_a_folder_that_is_no_member_does_not_link_a_dependency_named_like_a_member(tmp_path: Path) -> None:
    b = node("packages/b", "b", deps={"@x/a": "file:../../vendor/a.tgz"})
    linked = link(tmp_path, [b, A], "pnpm")
    assert pairs(linked) == []
    assert reasons(linked) == ["file:../../vendor/a.tgz points to vendor/a.tgz, which is not a workspace member"]


def test_an_unnamed_member_is_reached_only_by_its_folder(tmp_path: Path) -> None:
    tool = node("tools/gen", None)
    b = node("packages/b", "b", deps={"gen": "link:../../tools/gen"})
    assert pairs(link(tmp_path, [b, tool], "pnpm")) == [("packages/b", "tools/gen")]


# --- bare ranges and dist-tags, manager by manager ------------------------------------------------


@pytest.mark.parametrize(
    ("pm", "spec", "version", "linked"),
    [
        ("npm", "^1.0.0", "1.4.0", True),
        ("npm", "^2.0.0", "1.4.0", False),
        ("npm", "*", "2.0.0-beta.1", True),  # npm: "*" is any version
        ("npm", "*", None, True),
        ("npm", "", "1.4.0", True),
        ("npm", "x", "2.0.0-beta.1", False),  # but "x" is a semver range
        ("npm", "^1.0.0", "1.4.0-rc.1", False),
        ("npm", "latest", "1.4.0", False),
        ("yarn", "^1.0.0", "1.4.0", True),
        ("yarn", "*", "2.0.0-beta.1", False),
        ("yarn", "", "1.4.0", True),
        ("yarn-berry", "^1.0.0", "1.4.0", True),
        ("yarn-berry", "*", None, False),
        ("yarn-berry", "latest", "1.4.0", False),
        ("bun", "x", "2.0.0-beta.1", True),  # bun: any unbounded range takes every version
        ("bun", ">=0.0.0", None, True),
        ("bun", "", "1.4.0", False),
        ("bun", "<2", "1.4.0-rc.1", False),
    ],
)
def test_bare_ranges_link_when_the_manager_would(
    tmp_path: Path, pm: PackageManager, spec: str, version: str | None, linked: bool
) -> None:
    a = node("packages/a", "@x/a", version)
    result = link(tmp_path, [node("packages/b", "b", deps={"@x/a": spec}), a], pm)
    assert bool(result.edges) is linked
    assert len(result.unlinked) == (0 if linked else 1)


def test_unlinked_reason_names_the_range_the_version_and_the_member(tmp_path: Path) -> None:
    linked = link(tmp_path, [node("packages/b", "b", deps={"@x/a": "^2.0.0"}, field="peerDependencies"), A], "npm")
    assert [(u.source, u.name, u.spec, u.field) for u in linked.unlinked] == [
        ("packages/b", "@x/a", "^2.0.0", "peerDependencies")
    ]
    assert reasons(linked) == ["^2.0.0 is not satisfied by 1.4.0 (packages/a)"]


def test_dist_tags_never_link_under_npm(tmp_path: Path) -> None:
    linked = link(tmp_path, [node("packages/b", "b", deps={"@x/a": "next"}), A], "npm")
    assert reasons(linked) == ["npm installs dist-tag 'next' from the registry"]


def test_pnpm_without_link_workspace_packages_links_only_the_workspace_protocol(tmp_path: Path) -> None:
    linked = link(
        tmp_path, [node("packages/b", "b", deps={"@x/a": "^1.0.0"}), A], "pnpm",
        {"package.json": {"packageManager": "pnpm@10.3.0"}, "pnpm-workspace.yaml": "packages: [packages/*]\n"},
    )
    assert reasons(linked) == [
        "pnpm link-workspace-packages is false (the default of pnpm 10); "
        "use workspace: to link it, or set linkWorkspacePackages: true"
    ]


def test_pnpm_with_link_workspace_packages_links_ranges_and_dist_tags(tmp_path: Path) -> None:
    b = node("packages/b", "b", deps={"@x/a": "^1.0.0"})
    c = node("packages/c", "c", deps={"@x/a": "latest"})
    d = node("packages/d", "d", deps={"@x/a": "^2.0.0"})
    linked = link(tmp_path, [b, c, d, A], "pnpm", {"pnpm-workspace.yaml": "linkWorkspacePackages: true\n"})
    assert pairs(linked) == [("packages/b", "packages/a"), ("packages/c", "packages/a")]
    assert reasons(linked) == ["^2.0.0 is not satisfied by 1.4.0 (packages/a)"]


def test_pnpm_8_links_ranges_by_default(tmp_path: Path) -> None:
    linked = link(
        tmp_path, [node("packages/b", "b", deps={"@x/a": "^1.0.0"}), A], "pnpm",
        {"package.json": {"packageManager": "pnpm@8.15.9"}},
    )
    assert pairs(linked) == [("packages/b", "packages/a")]


def test_yarn_without_transparent_workspaces_links_only_the_workspace_protocol(tmp_path: Path) -> None:
    b = node("packages/b", "b", deps={"@x/a": "^1.0.0", "c": "workspace:^"})
    c = node("packages/c", "c")
    linked = link(tmp_path, [b, c, A], "yarn-berry", {".yarnrc.yml": "enableTransparentWorkspaces: false\n"})
    assert pairs(linked) == [("packages/b", "packages/c")]
    assert reasons(linked) == ["yarn enableTransparentWorkspaces is false (.yarnrc.yml); use workspace: to link it"]


# --- npm: aliases and catalogs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pm", "linked"), [("pnpm", True), ("yarn-berry", True), ("bun", True), ("npm", False), ("yarn", False)]
)
def test_npm_alias_resolves_to_the_aliased_name(tmp_path: Path, pm: PackageManager, linked: bool) -> None:
    b = node("packages/b", "b", deps={"a-v1": "npm:@x/a@^1"})
    result = link(tmp_path, [b, A], pm, {"pnpm-workspace.yaml": "linkWorkspacePackages: true\n"})
    assert bool(result.edges) is linked
    if not linked:
        assert result.unlinked[0].name == "a-v1" and "installs npm: aliases from the registry" in reasons(result)[0]


def test_catalog_entries_are_resolved_before_linking(tmp_path: Path) -> None:
    yaml = "catalog:\n  '@x/a': workspace:*\ncatalogs:\n  old:\n    c: ^1.0.0\nlinkWorkspacePackages: true\n"
    b = node("packages/b", "b", deps={"@x/a": "catalog:", "c": "catalog:old", "react": "catalog:"})
    linked = link(tmp_path, [b, A, node("packages/c", "c")], "pnpm", {"pnpm-workspace.yaml": yaml})
    assert pairs(linked) == [("packages/b", "packages/a"), ("packages/b", "packages/c")]


def test_a_catalog_without_the_members_entry_is_an_error(tmp_path: Path) -> None:
    b = node("packages/b", "b", deps={"@x/a": "catalog:react19"})
    with pytest.raises(InputError, match="catalog 'react19' has no entry for @x/a .add @x/a to the catalog in pnpm-workspace.yaml"):
        link(tmp_path, [b, A], "pnpm", {"pnpm-workspace.yaml": "catalogs:\n  react19:\n    react: ^19\n"})


def test_npm_has_no_catalogs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="npm has no catalogs"):
        link(tmp_path, [node("packages/b", "b", deps={"@x/a": "catalog:"}), A], "npm")


# --- duplicates, self references, rush ------------------------------------------------------------


def test_duplicate_names_link_as_pnpm_picks_with_a_warning(tmp_path: Path) -> None:
    one = node("packages/a1", "@x/a", "1.0.0")
    two = node("packages/a2", "@x/a", "2.0.0")
    same = node("packages/a0", "@x/a", "2.0.0")  # equal versions: the last by path wins
    b = node("packages/b", "b", deps={"@x/a": "workspace:*"})
    c = node("packages/c", "c", deps={"@x/a": "workspace:^1"})
    linked = link(tmp_path, [b, c, one, two, same], "pnpm")
    assert pairs(linked) == [("packages/b", "packages/a2"), ("packages/c", "packages/a1")]
    assert linked.warnings == (
        "dependencies on @x/a, the name of 3 members (packages/a0 (2.0.0), packages/a1 (1.0.0), packages/a2 (2.0.0)): "
        "packages/b -> packages/a2, packages/c -> packages/a1; linked as pnpm links: the highest version that "
        "satisfies the range, the last by path among equals",
    )


def test_a_package_depending_on_its_own_name_is_no_edge(tmp_path: Path) -> None:
    a = node("packages/a", "@x/a", deps={"@x/a": "workspace:*"})
    assert link(tmp_path, [a], "pnpm") == Linked((), (), ())


def test_rush_links_satisfied_ranges_except_decoupled_local_dependencies(tmp_path: Path) -> None:
    rush = {"pnpmVersion": "10.0.0", "projects": [
        {"packageName": "b", "projectFolder": "apps/b", "decoupledLocalDependencies": ["@x/a"]},
    ]}
    b = node("apps/b", "b", deps={"@x/a": "1.2.0"}, field="devDependencies")
    c = node("apps/c", "c", deps={"@x/a": "^1.0.0"})
    linked = link(tmp_path, [b, c, A], "pnpm", {"rush.json": rush}, definition="rush.json")
    assert pairs(linked) == [("apps/c", "packages/a")]
    assert reasons(linked) == [
        "apps/b lists @x/a in decoupledLocalDependencies (rush.json): rush installs the published version"
    ]


# --- Python: uv workspace sources, paths, pip -----------------------------------------------------

UV_ROOT = "[project]\nname = 'root'\n[tool.uv.workspace]\nmembers = ['packages/*']\n"


def test_uv_links_members_marked_workspace_in_the_member_or_the_root(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": UV_ROOT + "[tool.uv.sources]\nlib-b = { workspace = true }\n",
        "packages/app/pyproject.toml": "[tool.uv.sources]\nLib_A = { workspace = true }\n",
    }
    app = py("packages/app", "app", ["lib-a>=1", "lib-b[extra]"])
    linked = link(tmp_path, [app, py("packages/a", "lib-a"), py("packages/b", "Lib.B")], "uv", files, "pyproject.toml")
    assert pairs(linked) == [("packages/app", "packages/a"), ("packages/app", "packages/b")]


def test_uv_member_without_a_source_is_unlinked_with_uvs_reason(tmp_path: Path) -> None:
    linked = link(tmp_path, [py("packages/app", "app", ["lib-a"]), py("packages/a", "lib-a")], "uv",
                  {"pyproject.toml": UV_ROOT}, "pyproject.toml")
    assert reasons(linked) == [
        "lib-a is a uv workspace member without a tool.uv.sources entry, which uv refuses to lock "
        "(add lib-a = { workspace = true })"
    ]


def test_uv_workspace_source_for_a_name_no_member_has_is_an_error(tmp_path: Path) -> None:
    files = {"pyproject.toml": UV_ROOT, "packages/app/pyproject.toml": "[tool.uv.sources]\nghost = { workspace = true }\n"}
    with pytest.raises(InputError, match="packages/app/pyproject.toml: tool.uv.sources marks ghost as"):
        link(tmp_path, [py("packages/app", "app", ["ghost"])], "uv", files, "pyproject.toml")


def test_uv_path_source_to_a_member_links_with_a_warning(tmp_path: Path) -> None:
    files = {"pyproject.toml": UV_ROOT, "packages/app/pyproject.toml": "[tool.uv.sources]\nlib-a = { path = '../a' }\n"}
    app, lib = py("packages/app", "app", ["lib-a"]), py("packages/a", "lib-a")
    linked = link(tmp_path, [app, lib], "uv", files, "pyproject.toml")
    assert pairs(linked) == [("packages/app", "packages/a")]
    assert "uv refuses to lock until they are declared { workspace = true }" in linked.warnings[0]


def test_uv_git_source_is_unlinked(tmp_path: Path) -> None:
    files = {"pyproject.toml": UV_ROOT + "[tool.uv.sources]\nlib-a = { git = 'https://example.com/a.git' }\n"}
    app, lib = py("packages/app", "app", ["lib-a"]), py("packages/a", "lib-a")
    linked = link(tmp_path, [app, lib], "uv", files, "pyproject.toml")
    assert reasons(linked) == ["tool.uv.sources installs lib-a from git, not from the workspace"]


def test_python_extras_of_the_package_itself_are_no_edge(tmp_path: Path) -> None:
    files = {"pyproject.toml": UV_ROOT + "[tool.uv.sources]\nmcp = { workspace = true }\n"}
    root = py(".", "mcp", ["mcp[cli]"], field="dependency-groups")
    assert link(tmp_path, [root], "uv", files, "pyproject.toml") == Linked((), (), ())


def test_pip_links_only_direct_references_to_member_folders(tmp_path: Path) -> None:
    app = Member(
        path="services/app", name="app", version="1", kind="service", language="python", package_manager="pip",
        dependencies=(
            Dependency("lib-a", "lib-a @ file:../../libs/a", "project.dependencies"),
            Dependency("lib-b", "lib-b>=1", "project.dependencies"),
        ),
    )
    linked = link(tmp_path, [app, py("libs/a", "lib-a"), py("libs/b", "lib-b")], "pip", {}, "default")
    assert pairs(linked) == [("services/app", "libs/a")]
    assert reasons(linked) == ["pip installs lib-b from the package index (declare a path to use the member)"]


def test_output_is_sorted_and_repeatable(tmp_path: Path) -> None:
    members = [node(f"packages/p{i}", f"p{i}", deps={f"p{j}": "^1" for j in range(i)}) for i in range(6)]
    first = link(tmp_path, list(reversed(members)), "npm")
    assert first == link(tmp_path, members, "npm")
    assert pairs(first) == sorted(pairs(first)) and len(first.edges) == 15


def test_pnpm_overrides_replace_the_spec_of_every_dependency_of_that_name(tmp_path: Path) -> None:
    # vite's repository: "vite: 'workspace:*'" links plugins whose peer range the member does not satisfy.
    b = node("packages/b", "b", deps={"@x/a": "^9.0.0"}, field="peerDependencies")
    c = node("packages/c", "c", deps={"@x/a": "^1.0.0", "d": "^1.0.0"})
    d = node("packages/d", "d")
    yaml = "overrides:\n  '@x/a': 'workspace:*'\n  d: '-'\n"
    linked = link(tmp_path, [b, c, d, A], "pnpm", {"pnpm-workspace.yaml": yaml})
    assert pairs(linked) == [("packages/b", "packages/a"), ("packages/c", "packages/a")]
    assert linked.unlinked == ()


def test_pnpm_override_paths_are_read_from_the_workspace_root(tmp_path: Path) -> None:
    b = node("packages/b", "b", deps={"@x/a": "^9.0.0"})
    linked = link(tmp_path, [b, A], "pnpm", {"pnpm-workspace.yaml": "overrides:\n  '@x/a': link:packages/a\n"})
    assert pairs(linked) == [("packages/b", "packages/a")]
