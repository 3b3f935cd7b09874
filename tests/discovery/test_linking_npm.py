"""cigen links what the real npm links: each case is installed by npm (offline) and by cigen.

npm either links the dependency to the workspace member (package-lock.json
records the member's folder), or needs the registry (offline it fails with
ENOTCACHED: not linked), or rejects the protocol (EUNSUPPORTEDPROTOCOL, which
cigen links anyway and warns about). Nothing is downloaded: the package names
are unpublished and npm runs with --offline and an empty cache.
"""

from __future__ import annotations

import json
import subprocess  # the test inspects npm's own exit status and output
from pathlib import Path

import pytest

from cigen.discovery import discover
from cigen.discovery.linking import link_members

NAME = "@cigen-test/a"


def npm_verdict(root: Path) -> str:
    done = subprocess.run(
        ["npm", "install", "--package-lock-only", "--offline", "--ignore-scripts", "--no-audit", "--no-fund",
         "--cache", str(root / ".npm-cache")],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    if done.returncode == 0:
        lock = json.loads((root / "package-lock.json").read_text())["packages"]
        nested = [k for k in lock if k.startswith("packages/b/node_modules/")]
        return "registry" if nested else "linked"
    for code in ("ENOTCACHED", "EUNSUPPORTEDPROTOCOL"):
        if code in done.stderr:
            return "registry" if code == "ENOTCACHED" else "unsupported"
    raise AssertionError(f"npm failed unexpectedly:\n{done.stderr}")


def cigen_verdict(root: Path) -> str:
    workspace = discover(root)
    linked = link_members(workspace.root, workspace.members, workspace.package_manager, workspace.definition)
    if any(e.source == "packages/b" and e.target == "packages/a" for e in linked.edges):
        return "unsupported" if linked.warnings else "linked"
    return "registry"


@pytest.mark.parametrize(
    ("key", "spec", "version"),
    [
        (NAME, "^1.0.0", "1.4.0"),
        (NAME, "^2.0.0", "1.4.0"),
        (NAME, "*", "2.0.0-beta.1"),
        (NAME, "*", None),
        (NAME, "^1", None),
        (NAME, "", "1.4.0"),
        (NAME, "x.x", "2.0.0-beta.1"),
        (NAME, "^1.0.0-beta.0", "1.0.0-beta.1"),
        (NAME, "1.0.0 - 2.0.0", "1.4.0"),
        (NAME, "latest", "1.4.0"),
        ("a-alias", f"npm:{NAME}@^1", "1.4.0"),
        (NAME, "file:../a", "1.4.0"),
        ("a-copy", "file:../a", "1.4.0"),
        (NAME, "workspace:*", "1.4.0"),
        (NAME, "link:../a", "1.4.0"),
    ],
)
def test_cigen_links_as_npm_does(tmp_path: Path, key: str, spec: str, version: str | None) -> None:
    (tmp_path / "packages" / "a").mkdir(parents=True)
    (tmp_path / "packages" / "b").mkdir(parents=True)
    (tmp_path / "package.json").write_text(json.dumps({"name": "root", "private": True, "workspaces": ["packages/*"]}))
    a = {"name": NAME, **({"version": version} if version else {})}
    (tmp_path / "packages" / "a" / "package.json").write_text(json.dumps(a))
    b = {"name": "b", "version": "1.0.0", "dependencies": {key: spec}}
    (tmp_path / "packages" / "b" / "package.json").write_text(json.dumps(b))
    assert cigen_verdict(tmp_path) == npm_verdict(tmp_path)
