"""cigen.adapters.write: atomic writes that never clobber a person's file, and --check diffs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cigen.errors import EXIT_USAGE, InputError
from cigen.adapters.write import MARKER, diff_generated, has_marker, write_generated

GENERATED = f"# {MARKER}; regenerate with `cigen generate`\nname: ci\n"
UPDATED = f"# {MARKER}; regenerate with `cigen generate`\nname: ci2\n"


def test_writes_a_new_file_and_its_missing_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / ".github" / "workflows" / "cigen.yml"
    assert write_generated(target, GENERATED) is True
    assert target.read_bytes() == GENERATED.encode()


def test_rewriting_identical_content_reports_no_change_and_leaves_the_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "cigen.yml"
    write_generated(target, GENERATED)
    os.utime(target, (1_000_000, 1_000_000))
    assert write_generated(target, GENERATED) is False
    assert target.stat().st_mtime == 1_000_000


def test_replaces_a_file_that_cigen_generated(tmp_path: Path) -> None:
    target = tmp_path / "cigen.yml"
    write_generated(target, GENERATED)
    assert write_generated(target, UPDATED) is True
    assert target.read_text() == UPDATED


def test_refuses_to_overwrite_a_file_a_person_wrote_and_names_the_fix(tmp_path: Path) -> None:
    target = tmp_path / "ci.yml"
    target.write_text("name: handwritten\n")
    with pytest.raises(InputError) as caught:
        write_generated(target, GENERATED)
    assert caught.value.exit_code == EXIT_USAGE
    assert str(target) in str(caught.value) and "--force" in str(caught.value)
    assert target.read_text() == "name: handwritten\n"


def test_force_overwrites_a_file_a_person_wrote(tmp_path: Path) -> None:
    target = tmp_path / "ci.yml"
    target.write_text("name: handwritten\n")
    assert write_generated(target, GENERATED, force=True) is True
    assert target.read_text() == GENERATED


def test_the_marker_counts_only_as_the_header_on_the_first_line() -> None:
    """Issue 15: ownership is cigen's header at the top, not the marker text anywhere near it."""
    assert has_marker(f"# {MARKER} 0.1.0: edit cigen.yaml\nname: ci\n")
    assert not has_marker(f"\n# {MARKER}\n")
    assert not has_marker(f"name: ci  # {MARKER}\n")


def test_content_without_the_marker_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="marker|@generated"):
        write_generated(tmp_path / "x.yml", "name: ci\n")
    assert not (tmp_path / "x.yml").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot write file"):
            write_generated(folder / "cigen.yml", GENERATED)
    finally:
        folder.chmod(0o700)


def test_a_folder_in_the_way_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "cigen.yml").mkdir()
    with pytest.raises(InputError, match="not a file"):
        write_generated(tmp_path / "cigen.yml", GENERATED)


def test_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "cigen.yml"
    write_generated(target, GENERATED)
    target.chmod(0o640)
    write_generated(target, UPDATED)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_file_gets_the_usual_permissions_not_the_private_temp_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "cigen.yml"
    old = os.umask(0o022)
    try:
        write_generated(target, GENERATED)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_crlf_line_endings_alone_do_not_make_a_file_stale(tmp_path: Path) -> None:
    target = tmp_path / "cigen.yml"
    target.write_bytes(GENERATED.replace("\n", "\r\n").encode())
    assert diff_generated(target, GENERATED) is None
    assert write_generated(target, GENERATED) is False


def test_diff_is_none_when_the_file_is_current(tmp_path: Path) -> None:
    target = tmp_path / "cigen.yml"
    write_generated(target, GENERATED)
    assert diff_generated(target, GENERATED) is None


def test_diff_of_a_stale_file_is_a_unified_diff_from_disk_to_the_new_content(tmp_path: Path) -> None:
    target = tmp_path / "cigen.yml"
    write_generated(target, GENERATED)
    diff = diff_generated(target, UPDATED, label=".github/workflows/cigen.yml")
    assert diff is not None
    assert diff.splitlines()[:2] == ["--- a/.github/workflows/cigen.yml", "+++ b/.github/workflows/cigen.yml"]
    assert "-name: ci\n" in diff and "+name: ci2\n" in diff


def test_diff_of_a_missing_file_adds_every_line(tmp_path: Path) -> None:
    diff = diff_generated(tmp_path / "cigen.yml", GENERATED, label="cigen.yml")
    assert diff is not None
    assert diff.startswith("--- /dev/null\n+++ b/cigen.yml\n")
    assert all(line.startswith("+") for line in diff.splitlines()[3:])


def test_diff_marks_a_last_line_without_newline(tmp_path: Path) -> None:
    target = tmp_path / "cigen.yml"
    target.write_text(GENERATED + "tail")
    diff = diff_generated(target, GENERATED)
    assert diff is not None
    assert "-tail\n\\ No newline at end of file\n" in diff
