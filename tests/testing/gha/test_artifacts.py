"""Artifacts between isolated jobs, with upload-artifact's rooting and download-artifact's layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.gha.artifacts import _minimatch
from testing.gha.harness import Runner
from testing.gha.model import FAILURE, SUCCESS, RunResult
from testing.minimatch import matching, npm_minimatch

BUILD = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          mkdir -p packages/a/dist/sub packages/b/dist
          echo a > packages/a/dist/index.js
          echo s > packages/a/dist/sub/deep.js
          echo hidden > packages/a/dist/.env
          echo b > packages/b/dist/index.js
{uploads}
  use:
    needs: build
    runs-on: ubuntu-latest
    steps:
{downloads}
      - run: find . -type f -not -path './.git/*' | sort
"""


def build_and_use(run_yaml: Runner, uploads: str, downloads: str) -> RunResult:
    return run_yaml(BUILD.format(uploads=uploads, downloads=downloads))


def stored(run: RunResult, name: str) -> list[str]:
    root = run.artifacts[name]
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def listed(run: RunResult) -> list[str]:
    return run["use"].legs[0].steps[-1].log.split()


def upload(name: str, path: str, **extra: str) -> str:
    lines = [f"      - uses: actions/upload-artifact@v4", "        with:", f"          name: {name}", f"          path: {path}"]
    lines += [f"          {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)


def test_a_single_directory_is_stored_relative_to_itself(run_yaml: Runner) -> None:
    run = build_and_use(run_yaml, upload("a", "packages/a/dist"), "      - run: echo")
    assert stored(run, "a") == ["index.js", "sub/deep.js"]


def test_several_paths_are_rooted_at_their_least_common_ancestor(run_yaml: Runner) -> None:
    run = build_and_use(run_yaml, upload("ab", "|\n            packages/a/dist\n            packages/b/dist"), "      - run: echo")
    assert stored(run, "ab") == ["a/dist/index.js", "a/dist/sub/deep.js", "b/dist/index.js"]


def test_a_path_that_matched_nothing_still_moves_the_root(run_yaml: Runner) -> None:
    # The trap: dist/ alone would be stored as index.js, but adding build/ (absent) roots at packages/a.
    run = build_and_use(run_yaml, upload("a", "|\n            packages/a/dist\n            packages/a/build"), "      - run: echo")
    assert stored(run, "a") == ["dist/index.js", "dist/sub/deep.js"]


def test_a_wildcard_keeps_the_hierarchy_after_its_literal_prefix(run_yaml: Runner) -> None:
    run = build_and_use(run_yaml, upload("all", "packages/*/dist/*.js"), "      - run: echo")
    assert stored(run, "all") == ["a/dist/index.js", "b/dist/index.js"]


def test_a_single_literal_file_is_stored_under_its_name(run_yaml: Runner) -> None:
    run = build_and_use(run_yaml, upload("one", "packages/a/dist/sub/deep.js"), "      - run: echo")
    assert stored(run, "one") == ["deep.js"]


def test_exclusions_and_hidden_files(run_yaml: Runner) -> None:
    uploads = upload("x", "|\n            packages/a/dist\n            !packages/a/dist/sub") + "\n" + upload(
        "h", "packages/a/dist", **{"include-hidden-files": "true"}
    )
    run = build_and_use(run_yaml, uploads, "      - run: echo")
    assert stored(run, "x") == ["index.js"]
    assert stored(run, "h") == [".env", "index.js", "sub/deep.js"]


def test_a_dependent_job_sees_the_downloaded_outputs_where_its_build_expects_them(run_yaml: Runner) -> None:
    downloads = """      - uses: actions/checkout@v4
      - uses: actions/download-artifact@v4
        with:
          name: a
          path: packages/a/dist"""
    run = build_and_use(run_yaml, upload("a", "packages/a/dist"), downloads)
    assert run["use"].result == SUCCESS, run.report()
    files = listed(run)
    assert "./packages/a/dist/index.js" in files and "./packages/a/dist/sub/deep.js" in files
    assert "./packages/b/dist/index.js" not in files  # not uploaded: jobs share nothing else


def test_checkout_after_a_download_deletes_what_was_downloaded(run_yaml: Runner) -> None:
    downloads = """      - uses: actions/download-artifact@v4
        with:
          name: a
          path: packages/a/dist
      - uses: actions/checkout@v4"""
    run = build_and_use(run_yaml, upload("a", "packages/a/dist"), downloads)
    assert "./packages/a/dist/index.js" not in listed(run)


def test_download_by_pattern_puts_each_artifact_in_its_own_folder(run_yaml: Runner) -> None:
    uploads = upload("dist-a", "packages/a/dist") + "\n" + upload("dist-b", "packages/b/dist") + "\n" + upload(
        "other", "packages/b/dist"
    )
    downloads = """      - uses: actions/download-artifact@v4
        with:
          pattern: dist-*
          path: got"""
    run = build_and_use(run_yaml, uploads, downloads)
    assert listed(run) == ["./got/dist-a/index.js", "./got/dist-a/sub/deep.js", "./got/dist-b/index.js"]


def test_merge_multiple_extracts_every_artifact_into_one_folder(run_yaml: Runner) -> None:
    uploads = upload("dist-a", "packages/a/dist") + "\n" + upload("dist-b", "packages/b/dist")
    downloads = """      - uses: actions/download-artifact@v4
        with:
          pattern: dist-{a,b}
          merge-multiple: true"""
    run = build_and_use(run_yaml, uploads, downloads)
    assert listed(run) == ["./index.js", "./sub/deep.js"]


def test_a_pattern_that_matches_nothing_downloads_nothing_without_failing(run_yaml: Runner) -> None:
    downloads = "      - uses: actions/download-artifact@v4\n        with:\n          pattern: nope-*"
    run = build_and_use(run_yaml, upload("a", "packages/a/dist"), downloads)
    assert run["use"].result == SUCCESS and listed(run) == []


def test_downloading_a_missing_name_fails(run_yaml: Runner) -> None:
    downloads = "      - uses: actions/download-artifact@v4\n        with:\n          name: missing"
    run = build_and_use(run_yaml, upload("a", "packages/a/dist"), downloads)
    assert run["use"].result == FAILURE
    assert "Artifact 'missing' not found" in run["use"].legs[0].steps[0].log


def test_uploading_a_name_twice_fails_unless_overwrite(run_yaml: Runner) -> None:
    twice = upload("a", "packages/a/dist") + "\n" + upload("a", "packages/b/dist")
    run = build_and_use(run_yaml, twice, "      - run: echo")
    assert run["build"].result == FAILURE
    assert "already exists" in run["build"].legs[0].steps[-1].log
    allowed = upload("a", "packages/a/dist") + "\n" + upload("a", "packages/b/dist", overwrite="true")
    assert stored(build_and_use(run_yaml, allowed, "      - run: echo"), "a") == ["index.js"]


def test_matrix_legs_uploading_the_same_name_collide(run_yaml: Runner) -> None:
    run = run_yaml(
        """
on: push
jobs:
  build:
    strategy: {matrix: {n: [1, 2]}, fail-fast: false}
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ matrix.n }}" > out.txt
      - uses: actions/upload-artifact@v4
        with: {name: out, path: out.txt}
"""
    )
    assert [leg.result for leg in run["build"].legs] == [SUCCESS, FAILURE]


@pytest.mark.parametrize(
    ("if_no_files", "result"),
    [("warn", SUCCESS), ("ignore", SUCCESS), ("error", FAILURE)],
)
def test_if_no_files_found(run_yaml: Runner, if_no_files: str, result: str) -> None:
    run = build_and_use(run_yaml, upload("none", "nothing/here", **{"if-no-files-found": if_no_files}), "      - run: echo")
    assert run["build"].result == result
    assert "none" not in run.artifacts


def test_artifact_names_with_forbidden_characters_fail(run_yaml: Runner) -> None:
    run = build_and_use(run_yaml, upload('"a:b"', "packages/a/dist"), "      - run: echo")
    assert run["build"].result == FAILURE and "invalid characters" in run["build"].legs[0].steps[-1].log


def test_outputs_of_upload(run_yaml: Runner, tmp_path: Path) -> None:
    uploads = upload("a", "packages/a/dist").replace("      - uses:", "      - id: up\n        uses:") + (
        '\n      - run: test -n "${{ steps.up.outputs.artifact-id }}"'
    )
    run = build_and_use(run_yaml, uploads, "      - run: echo")
    assert run["build"].result == SUCCESS, run.report()


NAMES = ["cigen-leg-stage-1-1", "cigen-leg-stage-1-12", "cigen-leg-stage-10-1", "cigen-leg-stage-2-4",
         "cigen-leg-stage-2-2", "cigen-leg-stage-3-part-1-1", "a{b}", "ab", "{a,b", "x-a", "cigen-timings-stage-1-1"]


@pytest.mark.skipif(npm_minimatch() is None, reason="needs npm, which bundles minimatch")
@pytest.mark.parametrize("pattern", [
    "cigen-leg-*", "{cigen-leg-stage-1-*,cigen-leg-stage-2-{1,4}}", "cigen-leg-stage-1-{1,12}",
    "{cigen-leg-stage-3-part-1-*,cigen-leg-stage-10-1}", "a{b}", "{a,b", "x-[ab]", "cigen-leg-stage-?-?",
])
def test_download_patterns_match_what_minimatch_matches(pattern: str) -> None:
    assert [n for n in NAMES if _minimatch(pattern).fullmatch(n)] == matching(pattern, NAMES)
