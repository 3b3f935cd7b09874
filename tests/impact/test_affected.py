"""The change-impact rules, on hand-built workspaces (pure logic, no git)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from cigen.graph.graph import Graph, build_graph, display_names
from cigen.impact.affected import (
    LockfileImpact,
    Rules,
    compute_impact,
    owner,
    removed_member_folders,
)
from cigen.model import Dependency, Edge, Member, Workspace
from cigen.pathglob import glob_regex


def member(path: str, name: str | None = None, deps: tuple[str, ...] = (), *, root: bool = False) -> Member:
    return Member(
        path=path,
        name=name if name is not None else path.rpartition("/")[2],
        version="1.0.0",
        kind="package",
        language="node",
        package_manager="pnpm",
        dependencies=tuple(Dependency(d, "workspace:*", "dependencies") for d in deps),
        is_root=root,
    )


def workspace(members: list[Member], edges: list[tuple[str, str]]) -> Workspace:
    return Workspace(
        root=Path("/repo"),
        definition="pnpm-workspace.yaml",
        package_manager="pnpm",
        members=tuple(sorted(members, key=lambda m: m.path)),
        edges=tuple(Edge(s, t, ("dependencies",)) for s, t in sorted(edges)),
    )


def graph(ws: Workspace, *, include_root: bool = False) -> Graph:
    return build_graph(ws, include_root=include_root)


# core <- util <- api <- web ; core <- worker ; docs-site alone ; packages/ui/icons nested in packages/ui
CHAIN = workspace(
    [
        member("packages/core", "core"),
        member("packages/util", "util", ("core",)),
        member("services/api", "api", ("util",)),
        member("apps/web", "web", ("api",)),
        member("services/worker", "worker", ("core",)),
        member("apps/docs-site", "docs-site"),
        member("packages/ui", "ui"),
        member("packages/ui/icons", "icons"),
    ],
    [
        ("packages/util", "packages/core"),
        ("services/api", "packages/util"),
        ("apps/web", "services/api"),
        ("services/worker", "packages/core"),
    ],
)


def impact(files: list[str], ws: Workspace = CHAIN, **kwargs):
    return compute_impact(files, ws, graph(ws), **kwargs)


def test_a_changed_file_affects_its_member_and_every_transitive_dependent():
    result = impact(["packages/util/src/index.ts"])
    assert result.changed == ("packages/util",)
    assert result.affected == ("apps/web", "packages/util", "services/api")
    assert result.everything is None


def test_each_affected_member_carries_the_chain_from_the_file_through_its_dependencies():
    result = impact(["packages/core/index.js"])
    names = display_names(CHAIN.members)
    assert result.reasons["packages/core"].text(names) == "packages/core/index.js -> core"
    assert result.reasons["apps/web"].text(names) == "packages/core/index.js -> core -> util -> api -> web"
    assert result.reasons["services/worker"].text(names) == "packages/core/index.js -> core -> worker"


def test_a_member_with_several_changed_files_names_the_first_and_counts_the_rest():
    result = impact(["packages/core/b.js", "packages/core/a.js", "packages/core/c.js"])
    assert result.reasons["packages/core"].text(display_names(CHAIN.members)) == "packages/core/a.js (+2 more) -> core"


def test_the_deepest_member_folder_owns_a_file():
    result = impact(["packages/ui/icons/star.svg"])
    assert result.changed == ("packages/ui/icons",)
    assert result.affected == ("packages/ui/icons",)


def test_a_file_of_the_outer_member_outside_the_nested_one_belongs_to_the_outer_member():
    assert impact(["packages/ui/button.tsx"]).changed == ("packages/ui",)


def test_a_folder_name_that_only_starts_like_a_member_is_not_that_member():
    assert owner("packages/core-extra/index.js", frozenset({"packages/core"})) is None


def test_direct_option_stops_after_the_first_ring_of_dependents():
    result = impact(["packages/core/index.js"], direct=True)
    assert result.affected == ("packages/core", "packages/util", "services/worker")


def test_build_dependencies_adds_unaffected_dependencies_as_build_only():
    result = impact(["services/api/server.js"], build_dependencies=True)
    assert result.affected == ("apps/web", "services/api")
    assert result.build_only == ("packages/core", "packages/util")
    assert result.reasons["packages/core"].text(display_names(CHAIN.members)) == "build only, needed by api -> util -> core"


def test_build_dependencies_never_lists_an_affected_member_as_build_only():
    result = impact(["packages/core/a.js"], build_dependencies=True)
    assert result.build_only == ()


@pytest.mark.parametrize("path", ["README.md", "docs/guide/setup.md", "docs/img.png"])
def test_default_ignored_files_affect_nothing(path):
    result = impact([path])
    assert result.affected == ()
    assert result.effects[path] == ("ignored", None)


def test_a_file_in_no_member_that_is_not_global_affects_nothing():
    result = impact([".editorconfig", "scripts/release.sh"])
    assert result.affected == ()
    assert {e for e, _ in result.effects.values()} == {"unowned"}


@pytest.mark.parametrize(
    "path", ["pnpm-workspace.yaml", "package.json", "cigen.yaml", ".github/workflows/cigen.yml", ".npmrc", "bun.lockb"]
)
def test_a_global_file_makes_every_service_affected_with_that_file_as_the_reason(path):
    result = impact([path, "packages/core/a.js"])
    assert result.everything == f"{path} changed (a global file)"
    assert result.affected == tuple(sorted(m.path for m in CHAIN.members))
    assert result.reasons["apps/web"].text({}) == f"everything runs: {path} changed (a global file)"
    assert result.changed == ("packages/core",)


def test_several_global_files_name_the_first_and_count_the_rest():
    result = impact(["package.json", "pnpm-workspace.yaml", ".npmrc"])
    assert result.everything == ".npmrc changed (a global file) (and 2 more global files)"


def test_a_manifest_deeper_than_the_root_is_not_global():
    assert impact(["packages/core/package.json"]).everything is None


def test_configured_global_globs_are_added_to_the_built_in_ones():
    rules = Rules(global_files=("tsconfig.base.json", "config/**"))
    assert impact(["config/eslint/base.js"], rules=rules).everything == "config/eslint/base.js changed (a global file)"
    assert impact(["pnpm-workspace.yaml"], rules=rules).everything is not None


def test_an_ignore_glob_wins_over_a_built_in_global_file():
    rules = Rules(ignore=(".github/workflows/cigen.yml",))
    result = impact([".github/workflows/cigen.yml"], rules=rules)
    assert result.everything is None and result.affected == ()


def test_configured_ignore_replaces_the_default_so_root_markdown_can_count():
    rules = Rules(ignore=())
    assert impact(["README.md"], rules=rules).effects["README.md"] == ("unowned", None)


def test_ignore_globs_apply_inside_members_too():
    rules = Rules(ignore=("**/*.md",))
    assert impact(["packages/core/CHANGELOG.md"], rules=rules).affected == ()


def test_an_everything_reason_from_the_event_wins_and_lists_every_service():
    result = impact([], everything="workflow_dispatch runs everything")
    assert result.everything == "workflow_dispatch runs everything"
    assert len(result.affected) == len(CHAIN.members)


def test_a_narrowed_lockfile_change_affects_only_the_listed_members_and_their_dependents():
    lock = {"pnpm-lock.yaml": LockfileImpact(frozenset({"packages/util"}), "")}
    result = impact(["pnpm-lock.yaml"], lockfiles=lock)
    assert result.everything is None
    assert result.affected == ("apps/web", "packages/util", "services/api")
    assert result.reasons["services/api"].text(display_names(CHAIN.members)) == (
        "pnpm-lock.yaml (resolved dependencies changed) -> util -> api"
    )


def test_a_lockfile_change_that_cannot_be_narrowed_makes_everything_affected_with_why():
    lock = {"pnpm-lock.yaml": LockfileImpact(None, "pnpm-lock.yaml: lockfile version 5.4 is not read per member")}
    result = impact(["pnpm-lock.yaml"], lockfiles=lock)
    assert result.everything == "pnpm-lock.yaml: lockfile version 5.4 is not read per member"


def test_a_lockfile_change_that_touches_no_member_affects_nothing():
    result = impact(["pnpm-lock.yaml"], lockfiles={"pnpm-lock.yaml": LockfileImpact(frozenset(), "")})
    assert result.affected == () and result.effects["pnpm-lock.yaml"] == ("lockfile", None)


def test_a_removed_member_affects_the_members_that_still_declare_it():
    ws = workspace([member("packages/a", "a", ("gone",)), member("packages/b", "b")], [])
    assert removed_member_folders(["packages/gone/package.json", "packages/gone/index.js"], ws) == ["packages/gone"]
    result = compute_impact(["packages/gone/package.json"], ws, graph(ws), removed={"packages/gone": "gone"})
    assert result.affected == ("packages/a",)
    assert result.reasons["packages/a"].text(display_names(ws.members)) == "packages/gone (member removed) -> a"


def test_a_deleted_manifest_of_a_member_that_still_exists_is_no_removal():
    assert removed_member_folders(["packages/core/package.json"], CHAIN) == []


def test_the_root_package_owns_loose_files_only_when_it_is_a_service():
    ws = workspace([member(".", "monorepo", root=True), member("packages/a", "a")], [])
    as_service = compute_impact(["scripts/x.sh"], ws, graph(ws, include_root=True))
    assert as_service.affected == (".",)
    not_service = compute_impact(["scripts/x.sh"], ws, graph(ws))
    assert not_service.affected == ()


def test_a_path_outside_the_monorepo_root_belongs_to_no_member_not_even_the_root():
    assert owner("../tools/release.sh", frozenset({".", "packages/a"})) is None


def test_repeated_names_are_shown_with_their_path():
    ws = workspace([member("a/utils", "utils"), member("b/utils", "utils"), member("c", None)], [])
    assert display_names(ws.members) == {"a/utils": "utils (a/utils)", "b/utils": "utils (b/utils)", "c": "c"}


def test_the_result_does_not_depend_on_the_order_of_the_input():
    files = ["services/worker/x.js", "packages/util/y.js", "apps/docs-site/z.md"]
    assert impact(files) == impact(list(reversed(files)))


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("*.md", "README.md", True),
        ("*.md", "packages/a/README.md", False),
        ("**/*.md", "packages/a/README.md", True),
        ("**/*.md", "README.md", True),
        ("docs/**", "docs/a/b/c.txt", True),
        ("docs/", "docs/a.txt", True),
        ("docs/**", "documents/a.txt", False),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "file/.txt", False),
        ("[!a]*.js", "b.js", True),
        ("[!a]*.js", "a.js", False),
        ("a+b (1).txt", "a+b (1).txt", True),
    ],
)
def test_glob_semantics(glob, path, matches):
    import re

    assert (re.fullmatch(glob_regex(glob), path) is not None) is matches


@pytest.mark.parametrize("bad", ["/abs/path", "", "docs\\x"])
def test_a_glob_that_is_not_root_relative_is_rejected_with_the_key(tmp_path, bad):
    from cigen.config.loader import parse_config
    from cigen.errors import InputError

    (tmp_path / "cigen.yaml").write_text(f"affected:\n  ignore:\n    - {bad!r}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"cigen.yaml:2:3: affected.ignore"):
        parse_config(tmp_path / "cigen.yaml")


def test_an_unknown_key_in_the_affected_section_lists_the_allowed_keys(tmp_path):
    from cigen.config.loader import parse_config
    from cigen.errors import InputError

    (tmp_path / "cigen.yaml").write_text("affected:\n  globals: [x]\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key affected.globals.*global_files, ignore"):
        parse_config(tmp_path / "cigen.yaml")


def test_the_graph_holds_the_members_and_the_edges_between_them():
    ws = workspace(
        [member(".", "mono", root=True), *CHAIN.members],
        [*((e.source, e.target) for e in CHAIN.edges), (".", "packages/core"), ("packages/core", "packages/gone")],
    )
    for include_root in (False, True):
        oracle = nx.DiGraph()  # built independently: nodes are paths, edges dependent -> dependency
        oracle.add_nodes_from(m.path for m in ws.members if include_root or not m.is_root)
        oracle.add_edges_from((e.source, e.target) for e in ws.edges if e.source in oracle and e.target in oracle)
        g = build_graph(ws, include_root=include_root)
        assert set(g) == set(oracle.nodes)
        for node in oracle.nodes:
            assert sorted(g.successors(node)) == sorted(oracle.successors(node))
            assert sorted(g.predecessors(node)) == sorted(oracle.predecessors(node))
