"""``cigen generate``, ``check`` and ``ecosystem`` on repositories a careless person or an attacker prepared.

The pre-commit hook runs ``cigen generate`` on cloned repositories, so what a
repository holds must never make cigen write outside it: a symbolic link at a
target, or at a folder on the way to it, is refused with one line, whatever
``--force`` says. And a file is cigen's only when it opens with the header
cigen writes, not when the marker text appears somewhere near its top.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.cli import CliResult, run_cigen
from testing.monorepos import SHOP, write_monorepo

WORKFLOW = ".github/workflows/cigen.yml"
SERVICES = "services:\n  api:\n    port: 4000\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_monorepo(tmp_path / "repo", SHOP, SERVICES)


def snapshot(top: Path) -> dict[str, str]:
    """Every entry under ``top`` (links not followed): what a link points to, a file's text, or a folder."""
    found = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(folder) / name
            key = path.relative_to(top).as_posix()
            if path.is_symlink():
                found[key] = f"-> {os.readlink(path)}"
            elif path.is_file():
                found[key] = path.read_text()
            else:
                found[key] = "folder"
    return found


def assert_refused(done: CliResult, where: str, what: str) -> None:
    assert done.exit_code == 2, done
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    line = done.stderr
    assert line.startswith("cigen: error: ") and where in line and what in line, line


# --- symbolic links: never followed, never written through -------------------------------------------


@pytest.mark.parametrize("force", [False, True], ids=["plain", "--force"])
def test_a_dangling_link_at_the_workflow_creates_nothing_outside(tmp_path: Path, repo: Path, force: bool) -> None:
    # The repro: the link climbs out of the repository to a file (and folders) that do not exist.
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / WORKFLOW).symlink_to("../../../outside/deep/.profile")
    before = snapshot(tmp_path)

    done = run_cigen("generate", *(["--force"] if force else []), cwd=repo)

    assert_refused(done, WORKFLOW, "symbolic link")
    assert not (tmp_path / "outside").exists()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("force", [False, True], ids=["plain", "--force"])
def test_a_link_to_a_file_outside_never_changes_that_file(tmp_path: Path, repo: Path, force: bool) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text("# someone else's file\nsecret: 1\n")
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / WORKFLOW).symlink_to(outside)

    for args in (("generate", *(["--force"] if force else [])), ("check",)):
        done = run_cigen(*args, cwd=repo)
        assert_refused(done, WORKFLOW, "symbolic link")
        assert "secret" not in done.stdout  # check shows no diff of what the link points to
    assert outside.read_text() == "# someone else's file\nsecret: 1\n"
    assert (repo / WORKFLOW).is_symlink()


def test_a_link_to_a_generated_workflow_outside_is_not_followed_either(tmp_path: Path, repo: Path) -> None:
    # A file that carries cigen's own header passes the ownership check: only the link stops the write.
    assert run_cigen("generate", cwd=repo).exit_code == 0
    outside = tmp_path / "outside.yml"
    shutil.move(repo / WORKFLOW, outside)
    (repo / WORKFLOW).symlink_to(outside)
    (repo / "cigen.yaml").write_text(SERVICES + "workflow:\n  name: changed\n")
    before = outside.read_text()

    assert_refused(run_cigen("generate", cwd=repo), WORKFLOW, "symbolic link")
    assert outside.read_text() == before


@pytest.mark.parametrize("force", [False, True], ids=["plain", "--force"])
@pytest.mark.parametrize("linked", [".github/workflows", ".github"])
def test_a_linked_folder_on_the_way_is_never_written_into(
    tmp_path: Path, repo: Path, linked: str, force: bool
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "workflows").mkdir(parents=True)
    (repo / linked).parent.mkdir(parents=True, exist_ok=True)
    (repo / linked).symlink_to(elsewhere / "workflows" if linked.endswith("workflows") else elsewhere)

    done = run_cigen("generate", *(["--force"] if force else []), cwd=repo)

    assert_refused(done, linked, "symbolic link")
    assert snapshot(elsewhere) == {"workflows": "folder"}


def test_a_link_at_the_ecosystem_file_is_left_alone_by_generate_and_refused_by_ecosystem(
    tmp_path: Path, repo: Path
) -> None:
    assert run_cigen("ecosystem", cwd=repo).exit_code == 0
    outside = tmp_path / "ecosystem.config.js"
    shutil.move(repo / "ecosystem.config.js", outside)
    (repo / "ecosystem.config.js").symlink_to(outside)
    (repo / "cigen.yaml").write_text(SERVICES.replace("4000", "4100"))
    before = outside.read_text()

    generated = run_cigen("generate", cwd=repo)
    assert generated.exit_code == 0, generated
    assert "ecosystem.config.js" not in generated.stderr  # not one of the files cigen generated: not touched
    assert_refused(run_cigen("ecosystem", cwd=repo), "ecosystem.config.js", "symbolic link")
    assert_refused(run_cigen("ecosystem", "--force", cwd=repo), "ecosystem.config.js", "symbolic link")
    assert outside.read_text() == before


# --- ownership: the exact header at the top, not the marker text anywhere near it ----------------------------

HAND_WRITTEN = """\
name: mine
on:
  push:
    branches: [release]
jobs:
  plan:
    runs-on: ubuntu-latest
    steps:
      # this step was once @generated by cigen, then rewritten by hand
      - run: echo my plan
"""


def test_a_hand_written_workflow_mentioning_the_marker_is_not_taken_for_cigens(repo: Path) -> None:
    target = repo / WORKFLOW
    target.parent.mkdir(parents=True)
    target.write_text(HAND_WRITTEN)

    done = run_cigen("generate", cwd=repo)

    assert_refused(done, WORKFLOW, "was not generated by cigen")
    assert "--force" in done.stderr
    assert target.read_text() == HAND_WRITTEN  # its name, its trigger and its own plan job
    check = run_cigen("check", cwd=repo)
    assert check.exit_code == 1 and "-      - run: echo my plan\n" in check.stdout

    forced = run_cigen("generate", "--force", cwd=repo)
    assert forced.exit_code == 0, forced
    assert target.read_text().startswith("# @generated by cigen ") and "echo my plan" not in target.read_text()


@pytest.mark.parametrize("header", [
    "# @generated by cigen",  # the marker alone, not cigen's header
    "#  @generated by cigen 0.1.0: edit cigen.yaml and run `cigen generate` to update it.",
    "\n# @generated by cigen 0.1.0: edit cigen.yaml and run `cigen generate` to update it.",  # not at the top
    "# @generated by cigen 0.1.0: edit cigen.yaml (workflow.impact) and run `cigen generate`.",  # the impact's
], ids=["marker alone", "another spacing", "below a blank line", "another file's header"])
def test_only_the_workflow_header_itself_makes_the_file_cigens(repo: Path, header: str) -> None:
    target = repo / WORKFLOW
    target.parent.mkdir(parents=True)
    target.write_text(f"{header}\n{HAND_WRITTEN}")

    assert_refused(run_cigen("generate", cwd=repo), WORKFLOW, "was not generated by cigen")
    assert target.read_text() == f"{header}\n{HAND_WRITTEN}"


def test_a_workflow_an_older_cigen_generated_is_still_cigens_and_keeps_what_a_person_added(repo: Path) -> None:
    assert run_cigen("generate", cwd=repo).exit_code == 0
    target = repo / WORKFLOW
    text = target.read_text()
    first, rest = text.split("\n", 1)
    older = first.replace(first.split()[4], "0.0.1:", 1)  # "# @generated by cigen X:" written by 0.0.1
    assert older != first and older.startswith("# @generated by cigen 0.0.1: ")
    mine = "\n".join([older, rest]).replace("\njobs:\n", "\njobs:\n  mine:\n    runs-on: ubuntu-latest\n"
                                             "    steps:\n      - run: echo mine\n", 1)
    target.write_bytes(mine.replace("\n", "\r\n").encode())  # a Windows checkout, too

    done = run_cigen("generate", cwd=repo)

    assert done.exit_code == 0, done
    assert target.read_text().split("\n", 1)[0] == first
    assert "  mine:\n    runs-on: ubuntu-latest\n" in target.read_text()


def test_an_ecosystem_file_mentioning_the_marker_is_not_taken_for_cigens(repo: Path) -> None:
    mine = "// my own, not @generated by cigen\nmodule.exports = {apps: []};\n"
    (repo / "ecosystem.config.js").write_text(mine)

    assert_refused(run_cigen("ecosystem", cwd=repo), "ecosystem.config.js", "was not generated by cigen")
    done = run_cigen("generate", cwd=repo)
    assert done.exit_code == 0 and "ecosystem.config.js" not in done.stderr
    assert (repo / "ecosystem.config.js").read_text() == mine


# --- a workflows folder cigen may not read --------------------------------------------------------------


def _without_dac_override() -> None:
    """In the child, before exec: drop the capabilities that let root read any folder (prctl PR_CAPBSET_DROP).

    root's capabilities after exec are its bounding set, so the command runs as root whom permission bits
    stop, as they stop any other user; the interpreter (in root's home) stays reachable.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def run_unprivileged(*args: str, cwd: Path) -> CliResult:
    """``cigen ARGS`` as a real process that permission bits stop (root, so without its override)."""
    done = subprocess.run([sys.executable, "-m", "cigen", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, preexec_fn=_without_dac_override if os.geteuid() == 0 else None)
    return CliResult(args, done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("args", [("generate",), ("check",)], ids=" ".join)
def test_an_unreadable_workflows_folder_is_one_line_naming_it(repo: Path, args: tuple[str, ...]) -> None:
    folder = repo / ".github/workflows"
    folder.mkdir(parents=True)
    folder.chmod(0)
    try:
        done = run_unprivileged(*args, cwd=repo)
    finally:
        folder.chmod(0o755)

    assert_refused(done, ".github/workflows", "Permission denied")
    assert not list(folder.iterdir())
