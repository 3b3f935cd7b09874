"""@actions/glob matching: segments, globstars, negation order, implicit descendants, search paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.gha.globs import least_common_ancestor, match_files, parse_patterns, search_paths


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("a/dist/x.js", "a/dist/sub/y.js", "a/dist/.map", "b/dist/z.js", "b/src/w.ts", ".hidden/h.js"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    return tmp_path


def names(tree: Path, text: str, **options: bool) -> list[str]:
    return [str(p.relative_to(tree)) for p in match_files(parse_patterns(text, tree), **options)]


def test_a_directory_pattern_matches_everything_below_it(tree: Path) -> None:
    assert names(tree, "a/dist") == ["a/dist/.map", "a/dist/sub/y.js", "a/dist/x.js"]


def test_star_stays_in_a_segment_and_globstar_crosses_segments(tree: Path) -> None:
    assert names(tree, "*/dist/*.js") == ["a/dist/x.js", "b/dist/z.js"]
    assert names(tree, "**/*.js") == [".hidden/h.js", "a/dist/sub/y.js", "a/dist/x.js", "b/dist/z.js"]


def test_the_last_matching_pattern_decides(tree: Path) -> None:
    assert names(tree, "a/dist\n!a/dist/sub\na/dist/sub/y.js") == ["a/dist/.map", "a/dist/sub/y.js", "a/dist/x.js"]
    assert names(tree, "# comment\n\n**/*.js\n!**/sub/**") == [".hidden/h.js", "a/dist/x.js", "b/dist/z.js"]


def test_hidden_files_can_be_left_out(tree: Path) -> None:
    assert names(tree, "**/*.js", exclude_hidden=True) == ["a/dist/sub/y.js", "a/dist/x.js", "b/dist/z.js"]
    assert names(tree, ".hidden", exclude_hidden=True) == []


def test_search_paths_are_literal_prefixes_without_nested_duplicates(tree: Path) -> None:
    patterns = parse_patterns("a/dist\na/dist/sub\nb/*/z.js\n!b/src\nmissing/dir", tree)
    assert search_paths(patterns) == [str(tree / "a/dist"), str(tree / "b"), str(tree / "missing/dir")]


def test_least_common_ancestor_of_paths() -> None:
    assert least_common_ancestor(["/w/p/a/dist", "/w/p/a/build"]) == "/w/p/a"
    assert least_common_ancestor(["/w/p/a/dist", "/w/p/b/dist"]) == "/w/p"
    assert least_common_ancestor(["/x/a", "/y/b"]) == "/"
