"""Glob dialects and the walk: each package manager's reading of its member globs.

The expectations come from running pnpm 10/12, npm 11 (@npmcli/map-workspaces),
yarn 1.22 and 4.18 and uv 0.13 on this same tree (see cigen/discovery/globs.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cigen.discovery import globs
from testing.trees import make_tree

FOLDERS = [
    "packages/a/", "packages/a/nested/", "packages/b/", "packages/b/deep/x/", "packages/.hidden/",
    "packages/.dot/y/", "packages/node_modules/nm/", "packages/c/node_modules/nm2/", "packages/test/t/",
    "packages/bower_components/bc/", "other/z/",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "repo", {f: None for f in FOLDERS})


def listed(root: Path, patterns: list[str], dialect: globs.Dialect) -> list[str]:
    includes, excludes = globs.split_negations(patterns, dialect)
    found = globs.walk(
        str(root), globs.compile_patterns(includes, dialect), dialect,
        exclusions=globs.Exclusions(excludes, dialect),
    )
    return sorted(m.path for m in found)


NODE_DIALECTS = [globs.PNPM, globs.NPM, globs.YARN_CLASSIC, globs.YARN_BERRY, globs.BUN, globs.LERNA, globs.CIGEN]


@pytest.mark.parametrize("dialect", NODE_DIALECTS, ids=lambda d: d.name)
def test_a_star_skips_dot_folders_in_node_package_managers(tree: Path, dialect: globs.Dialect) -> None:
    expected = ["packages/a", "packages/b", "packages/c", "packages/test"]
    if dialect not in (globs.PNPM, globs.CIGEN):
        expected.append("packages/bower_components")
    assert listed(tree, ["packages/*"], dialect) == sorted(expected)


def test_a_star_matches_dot_folders_in_uv(tree: Path) -> None:
    assert listed(tree, ["packages/*"], globs.UV) == [
        "packages/.dot", "packages/.hidden", "packages/a", "packages/b", "packages/bower_components",
        "packages/c", "packages/test",
    ]


@pytest.mark.parametrize("dialect", NODE_DIALECTS, ids=lambda d: d.name)
def test_a_pattern_segment_that_starts_with_a_dot_matches_dot_folders(tree: Path, dialect: globs.Dialect) -> None:
    # trpc writes 'examples/.*/*' for exactly this reason.
    assert listed(tree, ["packages/.*"], dialect) == ["packages/.dot", "packages/.hidden"]
    assert listed(tree, ["packages/.*/*"], dialect) == ["packages/.dot/y"]


def test_globstar_matches_the_folder_itself_under_pnpm_and_npm(tree: Path) -> None:
    for dialect in (globs.PNPM, globs.NPM, globs.YARN_CLASSIC):
        assert "packages" in listed(tree, ["packages/**"], dialect), dialect.name


def test_globstar_matches_only_descendants_under_yarn_berry_and_uv(tree: Path) -> None:
    for dialect in (globs.YARN_BERRY, globs.UV):
        assert "packages" not in listed(tree, ["packages/**"], dialect), dialect.name
        assert "packages/a/nested" in listed(tree, ["packages/**"], dialect), dialect.name


def test_globstar_does_not_descend_into_dot_folders_except_under_uv(tree: Path) -> None:
    assert listed(tree, ["packages/**"], globs.PNPM) == [
        "packages", "packages/a", "packages/a/nested", "packages/b", "packages/b/deep", "packages/b/deep/x",
        "packages/c", "packages/test", "packages/test/t",
    ]
    assert "packages/.dot/y" in listed(tree, ["packages/**"], globs.UV)


def test_a_globstar_in_the_middle_also_matches_zero_folders(tree: Path) -> None:
    assert listed(tree, ["packages/**/x"], globs.PNPM) == ["packages/b/deep/x"]
    assert listed(tree, ["packages/**/a"], globs.PNPM) == ["packages/a"]


def test_node_modules_is_never_entered_even_when_named(tree: Path) -> None:
    for dialect in [*NODE_DIALECTS, globs.UV]:
        found = listed(tree, ["packages/**", "packages/node_modules/*", "packages/c/node_modules/nm2"], dialect)
        assert not [p for p in found if "node_modules" in p], dialect.name


def test_pnpm_never_enters_bower_components(tree: Path) -> None:
    assert "packages/bower_components/bc" not in listed(tree, ["packages/*/*"], globs.PNPM)
    assert "packages/bower_components/bc" in listed(tree, ["packages/*/*"], globs.NPM)


@pytest.mark.parametrize("dialect", [globs.PNPM, globs.NPM, globs.YARN_BERRY], ids=lambda d: d.name)
def test_a_negation_drops_a_folder_wherever_it_stands_in_the_list(tree: Path, dialect: globs.Dialect) -> None:
    assert listed(tree, ["packages/*", "!packages/b"], dialect) == listed(tree, ["!packages/b", "packages/*"], dialect)
    assert "packages/b" not in listed(tree, ["packages/*", "!packages/b"], dialect)


def test_a_negated_folder_keeps_its_subfolders_unless_the_negation_ends_in_globstar(tree: Path) -> None:
    assert "packages/b/deep/x" in listed(tree, ["packages/**", "!packages/b"], globs.PNPM)
    found = listed(tree, ["packages/**", "!packages/b/**"], globs.PNPM)
    assert [p for p in found if p.startswith("packages/b")] == []


def test_negations_match_dot_folders(tree: Path) -> None:
    assert listed(tree, ["packages/.*", "!packages/*"], globs.PNPM) == []


def test_npm_lets_a_later_pattern_cancel_the_negations_it_matches(tree: Path) -> None:
    patterns = ["packages/**", "!packages/b/**", "packages/b/deep/x"]
    assert "packages/b" in listed(tree, patterns, globs.NPM)
    assert "packages/b" not in listed(tree, patterns, globs.PNPM)


def test_yarn_classic_ignores_negations(tree: Path) -> None:
    assert "packages/b" in listed(tree, ["packages/*", "!packages/b"], globs.YARN_CLASSIC)


def test_uv_exclude_star_crosses_slashes(tree: Path) -> None:
    found = globs.walk(
        str(tree), globs.compile_patterns(["packages/*", "packages/b/deep/x"], globs.UV), globs.UV,
        exclusions=globs.Exclusions(["packages/b*"], globs.UV),
    )
    assert [m.path for m in found if m.path.startswith("packages/b")] == []


def test_uv_exclude_of_a_folder_keeps_members_listed_below_it(tree: Path) -> None:
    found = globs.walk(
        str(tree), globs.compile_patterns(["packages/*", "packages/b/deep/x"], globs.UV), globs.UV,
        exclusions=globs.Exclusions(["packages/b"], globs.UV),
    )
    paths = [m.path for m in found]
    assert "packages/b" not in paths and "packages/b/deep/x" in paths


def test_braces_question_marks_and_classes(tree: Path) -> None:
    assert listed(tree, ["packages/{a,b}"], globs.PNPM) == ["packages/a", "packages/b"]
    assert listed(tree, ["packages/?"], globs.PNPM) == ["packages/a", "packages/b", "packages/c"]
    assert listed(tree, ["packages/[ab]"], globs.PNPM) == ["packages/a", "packages/b"]
    assert listed(tree, ["packages/[!ab]"], globs.PNPM) == ["packages/c"]


def test_leading_dot_slash_and_trailing_slash_are_ignored(tree: Path) -> None:
    assert listed(tree, ["./packages/*/"], globs.NPM) == listed(tree, ["packages/*"], globs.NPM)


def test_a_symlinked_folder_is_followed(tree: Path) -> None:
    (tree / "packages" / "linked").symlink_to(tree / "other" / "z", target_is_directory=True)
    matches = {m.path: m for m in globs.walk(str(tree), globs.compile_patterns(["packages/*"], globs.PNPM), globs.PNPM)}
    assert matches["packages/linked"].real == os.path.realpath(tree / "other" / "z")


def test_a_symlink_loop_ends(tree: Path) -> None:
    (tree / "packages" / "a" / "loop").symlink_to(tree / "packages", target_is_directory=True)
    (tree / "packages" / "b" / "up").symlink_to(tree, target_is_directory=True)
    found = listed(tree, ["**"], globs.PNPM)
    assert "packages/a/nested" in found
    assert not [p for p in found if "/loop/" in p or p.endswith("/loop") or "/up" in p]


def test_the_walk_lists_only_folders_where_a_wildcard_needs_entries(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed_folders: list[str] = []
    real_scandir = os.scandir

    def spy(path: str):  # type: ignore[no-untyped-def]
        listed_folders.append(os.path.relpath(path, tree))
        return real_scandir(path)

    monkeypatch.setattr(globs.os, "scandir", spy)
    found = listed(tree, ["packages/*", "other/z"], globs.PNPM)
    assert "other/z" in found
    assert listed_folders == ["packages"]


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("./packages/*/", "packages/*"), ("a//b", "a/b"), ("a/./b", "a/b"), ("a/../b", "b"), ("a\\b", "a/b"), ("./", ".")],
)
def test_normalize(raw: str, normalized: str) -> None:
    assert globs.normalize(raw) == normalized


@pytest.mark.parametrize("pattern", ["../x", "/abs/*", "packages/../../x", "..", "C:/x", "./../x"])
def test_patterns_that_leave_the_root_escape(pattern: str) -> None:
    assert globs.escapes_root(pattern)


@pytest.mark.parametrize("pattern", ["packages/*", "a/../b", "**", ".", "examples/.*/*"])
def test_patterns_inside_the_root_do_not_escape(pattern: str) -> None:
    assert not globs.escapes_root(pattern)
