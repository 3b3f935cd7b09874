"""The change a caller names: files outside the root are refused, however they are written; history that
cannot be read is history, not a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.discovery import discover
from cigen.errors import InputError
from cigen.impact import changes
from testing.gitrepos import Repo


@pytest.mark.parametrize("path", ["../x", "packages/../../x", "..", "/etc/passwd", "./../x"])
def test_a_listed_file_outside_the_root_is_refused(tmp_path: Path, path: str) -> None:
    # `../x` was dropped without a word (nothing affected) while `/etc/passwd` was refused.
    with pytest.raises(InputError) as caught:
        changes.listed(tmp_path, [path])
    assert str(caught.value) == f"{path!r} is not inside the monorepo root {tmp_path} (list paths relative to the root)"


def test_listed_files_inside_the_root_are_kept_relative_and_normalised(tmp_path: Path) -> None:
    listed = changes.listed(tmp_path, ["./a/b.js", "a/../c.js", str(tmp_path / "d" / "e.js"), "  ", "x\\y.js"])
    assert listed.files == ("a/b.js", "c.js", "d/e.js", "x/y.js")


def test_a_removed_member_whose_manifest_nests_too_deeply_has_no_name(tmp_path: Path) -> None:
    repo = Repo.init(tmp_path / "repo")
    repo.write("package.json", json.dumps({"name": "root", "private": True, "workspaces": ["packages/*"]}))
    repo.package("packages/kept", "kept")
    repo.write("packages/gone/package.json", '{"name": "gone", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    base = repo.commit("base")
    repo.git("rm", "-q", "-r", "packages/gone")
    repo.commit("remove gone")
    change = changes.between(repo.path, base)
    assert changes.removed_members(change, discover(repo.path)) == {"packages/gone": None}
