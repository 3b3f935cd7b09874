"""Manifests and member folders at the edges: nested past the parser's recursion, scripts npm ignores,
folders that cannot be read. Each is one located line (an error, or a warning where npm goes on)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cigen.discovery import discover
from cigen.errors import InputError
from testing.monorepos import write_monorepo
from testing.paths import REPO_ROOT

DEEP = 100_000
MONOREPO: dict[str, dict[str, Any]] = {".": {"name": "root", "private": True, "workspaces": ["packages/*"]},
            "packages/a": {"name": "a", "version": "1.0.0"}}


def refusal(root: Path) -> str:
    with pytest.raises(InputError) as caught:
        discover(root)
    return str(caught.value).replace(f"{root}/", "")


@pytest.mark.parametrize("manifest", ["package.json", "packages/a/package.json"])
def test_a_package_json_nested_past_the_parser_is_one_located_line(tmp_path: Path, manifest: str) -> None:
    write_monorepo(tmp_path, MONOREPO)
    (tmp_path / manifest).write_text('{"name": "x",\n "deep": ' + "[" * DEEP + "]" * DEEP + "}\n")
    # The deepest point, counting the object around it: 100,001 levels.
    assert refusal(tmp_path) == f"{manifest}:2:{9 + DEEP}: nested 100,001 levels deep, deeper than cigen reads (flatten it)"


def test_a_pyproject_nested_past_the_parser_is_one_located_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "root"\n[tool.uv.workspace]\nmembers = ["py/*"]\n')
    member = tmp_path / "py" / "p" / "pyproject.toml"
    member.parent.mkdir(parents=True)
    # Brackets inside strings and comments do not count.
    member.write_text('[project]\nname = "p" # [[[\n[tool.x]\ns = "[[["\na = ' + "[" * DEEP + "]" * DEEP + "\n")
    assert refusal(tmp_path) == (
        f"py/p/pyproject.toml:5:{4 + DEEP}: nested 100,000 levels deep, deeper than cigen reads (flatten it)")


def test_a_rush_json_nested_past_the_parser_is_one_located_line(tmp_path: Path) -> None:
    (tmp_path / "rush.json").write_text('// rush\n{"projects": [], "x": ' + "{\"a\": " * DEEP + "1" + "}" * DEEP + "}\n")
    assert refusal(tmp_path).startswith("rush.json:2:")


def test_a_script_that_is_no_string_is_a_located_warning(tmp_path: Path) -> None:
    write_monorepo(tmp_path, MONOREPO)
    (tmp_path / "packages/a/package.json").write_text(
        '{"name": "a",\n "config": {"scripts": {"build": 1}},\n "scripts": {\n  "test": "node t.js",\n  "build": 5,\n'
        '  "lint": ["eslint", "."]}}\n')
    workspace = discover(tmp_path)
    a = next(m for m in workspace.members if m.name == "a")
    assert a.scripts == {"test": "node t.js"}  # as npm: `npm run build` says "Missing script"
    assert workspace.warnings == (
        "packages/a/package.json:5:3: scripts.build is 5, not a command; npm runs it as a missing script, "
        "and so does cigen (write the command as a string)",
        'packages/a/package.json:6:3: scripts.lint is ["eslint", "."], not a command; npm runs it as a missing '
        "script, and so does cigen (write the command as a string)",
    )


def test_scripts_that_are_no_object_are_a_located_warning(tmp_path: Path) -> None:
    write_monorepo(tmp_path, {**MONOREPO, ".": {**MONOREPO["."], "scripts": "npm test"}})
    assert discover(tmp_path).warnings == (
        'package.json:7:3: scripts is "npm test", not an object of commands; npm ignores it, and so does cigen',)


# -- folders that cannot be read -------------------------------------------------------------------
#
# The tests run as root, whom permission bits do not stop. The command runs in a child process without the
# two capabilities that let root read any folder (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so a folder of
# mode 000 refuses it as it refuses any user; as another user, the mode alone does.


def graph_without_override(root: Path) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) drops root's capability to read any folder"
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run([*prefix, sys.executable, "-m", "cigen", "graph"], cwd=root, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


@pytest.mark.parametrize("folder", ["packages/b", "packages"])
def test_a_folder_the_globs_reach_that_cannot_be_read_is_an_error(tmp_path: Path, folder: str) -> None:
    write_monorepo(tmp_path, {**MONOREPO, "packages/b": {"name": "b", "version": "1.0.0"}})
    locked = tmp_path / folder
    locked.chmod(0)
    try:
        done = graph_without_override(tmp_path)
    finally:
        locked.chmod(0o755)
    # It dropped out of the graph, with every edge to it, and the command passed.
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (f"cigen: error: {locked}: cannot read this folder: Permission denied (make it readable, "
                           "or leave it out of the workspace globs with a !pattern)\n")


def test_a_folder_excluded_from_the_globs_is_never_read(tmp_path: Path) -> None:
    write_monorepo(tmp_path, {**MONOREPO, ".": {**MONOREPO["."], "workspaces": ["packages/*", "!packages/b"]},
                              "packages/b": {"name": "b", "version": "1.0.0"}})
    locked = tmp_path / "packages/b"
    locked.chmod(0)
    try:
        done = graph_without_override(tmp_path)
    finally:
        locked.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert "packages/a" in done.stdout and "packages/b" not in done.stdout
