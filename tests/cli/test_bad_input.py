"""Bad input: every broken monorepo gets one clear line, a non-zero exit, no traceback.

Each case writes a small npm-workspaces monorepo, breaks one thing, runs
``cigen graph`` (in process, through testing.cli) and asserts the exact place
(file, line, column where the format has them), what is wrong, and how to fix it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing.cli import run_cigen


def _monorepo(root: Path) -> None:
    (root / "packages" / "a").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": "root", "private": True, "workspaces": ["packages/*"]}))
    (root / "packages" / "a" / "package.json").write_text(json.dumps({"name": "a", "version": "1.0.0"}))


def _write(rel: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)

    return apply


def _dangling_manifest(root: Path) -> None:
    manifest = root / "packages" / "a" / "package.json"
    manifest.unlink()
    manifest.symlink_to(root / "nowhere.json")


def _rush_instead_of_npm(root: Path) -> None:
    (root / "package.json").unlink()
    (root / "rush.json").write_text('{ // rush allows comments\n  "projects": [\n    {"packageName": "a" "projectFolder": "packages/a"}\n  ]\n}\n')


@dataclass(frozen=True)
class Case:
    id: str
    breakage: Callable[[Path], None]
    where: str  # file[:line[:column]] as printed, relative to the monorepo root
    what: str
    fix: str


CASES = [
    Case(
        "malformed package.json",
        _write("packages/a/package.json", '{"name": "a",\n  "version": 1.0.0\n}'),
        "packages/a/package.json:2:17", "invalid JSON: Expecting ',' delimiter", "fix the syntax",
    ),
    Case(
        "malformed pnpm-workspace.yaml",
        lambda root: (
            _write("package.json", '{"name": "root", "packageManager": "pnpm@10.0.0"}')(root),
            _write("pnpm-workspace.yaml", 'packages:\n  - "packages/*\n')(root),
        ),
        "pnpm-workspace.yaml:3:1", "invalid YAML", "fix the syntax",
    ),
    Case(
        "malformed rush.json (JSON with comments)",
        _rush_instead_of_npm,
        "rush.json:3:25", "invalid JSON", "fix the syntax",
    ),
    Case(
        "malformed uv workspace pyproject.toml",
        _write("pyproject.toml", '[project]\nname = "root"\n[tool.uv.workspace]\nmembers = ["py/*"\n'),
        "pyproject.toml:5:1", "invalid TOML", "fix the syntax",
    ),
    Case(
        "manifest that is not UTF-8",
        _write("packages/a/package.json", b'{"name": "a\xff"}'),
        "packages/a/package.json:1", "not valid UTF-8", "save the file as UTF-8",
    ),
    Case(
        "unreadable manifest (dangling symlink)",
        _dangling_manifest,
        "packages/a/package.json", "cannot read file", "check that it exists and is readable",
    ),
    Case(
        "workspace glob that escapes the root",
        _write("package.json", '{"name": "root", "workspaces": ["../outside/*"]}'),
        "package.json:1:34", "'../outside/*' points outside the repository root", "must stay inside it",
    ),
    Case(
        "workspace: dependency on a missing member",
        _write("packages/b/package.json", '{"name": "b", "dependencies": {"nope": "workspace:*"}}'),
        "packages/b/package.json", "workspace:* on nope, but no workspace member is named nope",
        "add the member or fix the name",
    ),
    Case(
        "unknown cigen.yaml key",
        _write("cigen.yaml", "plan:\n  mode: auto\n  fastt: 1\n"),
        "cigen.yaml:3:3", "unknown key plan.fastt", "allowed keys: concurrency, cycles, ignore, mode",
    ),
    Case(
        "wrong value type in cigen.yaml",
        _write("cigen.yaml", "plan:\n  concurrency: many\n"),
        "cigen.yaml:2:3", "plan.concurrency: input should be a valid integer", "reference in the README",
    ),
    Case(
        "value outside the allowed set in cigen.yaml",
        _write("cigen.yaml", "kinds:\n  a: daemon\n"),
        "cigen.yaml:2:3", "kinds.a: input should be 'package', 'service' or 'app' (got 'daemon')",
        "reference in the README",
    ),
    Case(
        "cigen.yaml that is not a mapping",
        _write("cigen.yaml", "- a\n- b\n"),
        "cigen.yaml:1:1", "the top level must be a mapping of keys", "reference in the README",
    ),
    Case(
        "malformed cigen.yaml",
        _write("cigen.yaml", "plan: [unclosed\n"),
        "cigen.yaml:2:1", "invalid YAML", "fix the syntax",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_monorepo_gets_one_clear_line(tmp_path: Path, case: Case) -> None:
    _monorepo(tmp_path)
    case.breakage(tmp_path)

    result = run_cigen("graph", "--format", "json", cwd=tmp_path)

    assert result.exit_code == 2, result.stderr
    assert result.stdout == "", "nothing on stdout when the command failed"
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{result.stderr}"
    line = lines[0].replace(str(tmp_path) + os.sep, "")
    assert line.startswith(f"cigen: error: {case.where}: "), line
    assert case.what in line
    assert case.fix in line


def test_a_missing_root_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-monorepo"

    result = run_cigen("graph", "--root", str(missing), cwd=tmp_path)

    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert str(missing) in result.stderr


def test_a_file_cigen_did_not_write_is_left_as_it_was(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    broken = '{"name": "a",\n  "version": 1.0.0\n}'
    _write("packages/a/package.json", broken)(tmp_path)

    run_cigen("graph", cwd=tmp_path)

    assert (tmp_path / "packages" / "a" / "package.json").read_text() == broken
