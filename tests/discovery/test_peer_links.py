"""A peer dependency on a member is an edge exactly where the package manager itself links it.

Each case is installed by the real package manager (tools/node: npm 11, yarn
1.22, yarn 4.18, pnpm 10.34, bun 1.4; offline, the members depend only on each
other) and its own record of the links is compared with cigen's edges. The
table these cases check is in the docstring of cigen.discovery.node_links.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cigen.discovery import discover
from testing.package_managers import Manager, install, links, write_tree

A, B, C = "packages/a", "packages/b", "packages/c"


def members(a: dict, b_version: str = "1.0.0", c_spec: str = "^1.0.0") -> dict[str, object]:
    return {
        f"{A}/package.json": {"name": "@p/a", "version": "1.0.0", **a},
        f"{B}/package.json": {"name": "@p/b", "version": b_version},
        f"{C}/package.json": {"name": "@p/c", "version": "1.0.0", "dependencies": {"@p/b": c_spec}},
    }


def node_root(**extra: object) -> dict[str, object]:
    return {"package.json": {"name": "root", "private": True, "workspaces": ["packages/*"], **extra}}


def pnpm_root(settings: str = "") -> dict[str, object]:
    return {"package.json": {"name": "root", "private": True}, "pnpm-workspace.yaml": f"packages: [packages/*]\n{settings}"}


PEER_ONLY = {"peerDependencies": {"@p/b": "^1.0.0"}}
PEER_ONLY_WORKSPACE = {"peerDependencies": {"@p/b": "workspace:^"}}

CASES: dict[str, tuple[Manager, dict[str, object], set[tuple[str, str]]]] = {
    # The yarn repro: yarn.lock has no resolution for the peer, workspaceDependencies leave it out.
    "yarn berry: a peer-only dependency is no link": (
        "yarn-berry", {**node_root(), **members(PEER_ONLY, c_spec="workspace:^")}, {(C, B)},
    ),
    "yarn berry: not even through workspace:": (
        "yarn-berry", {**node_root(), **members(PEER_ONLY_WORKSPACE, c_spec="workspace:^")}, {(C, B)},
    ),
    "yarn classic installs no peer": ("yarn", {**node_root(), **members(PEER_ONLY)}, {(C, B)}),
    "npm 7+ installs the peer": ("npm", {**node_root(), **members(PEER_ONLY)}, {(A, B), (C, B)}),
    "npm legacy-peer-deps leaves it out": (
        "npm", {**node_root(), ".npmrc": "legacy-peer-deps=true\n", **members(PEER_ONLY)}, {(C, B)},
    ),
    "bun installs the peer": ("bun", {**node_root(), **members(PEER_ONLY)}, {(A, B), (C, B)}),
    "pnpm autoInstallPeers (the default) links it": (
        "pnpm", {**pnpm_root(), **members(PEER_ONLY_WORKSPACE, c_spec="workspace:^")}, {(A, B), (C, B)},
    ),
    # The pnpm repro.
    "pnpm autoInstallPeers: false does not": (
        "pnpm", {**pnpm_root("autoInstallPeers: false\n"), **members(PEER_ONLY_WORKSPACE, c_spec="workspace:^")},
        {(C, B)},
    ),
    "pnpm 10 reads auto-install-peers from .npmrc too": (
        "pnpm", {**pnpm_root(), ".npmrc": "auto-install-peers=false\n",
                 **members(PEER_ONLY_WORKSPACE, c_spec="workspace:^")}, {(C, B)},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_cigen_links_a_peer_as_the_package_manager_does(tmp_path: Path, case: str) -> None:
    manager, files, expected = CASES[case]
    root = write_tree(tmp_path, files)
    install(root, manager)
    assert links(root, manager) == expected
    assert {(e.source, e.target) for e in discover(root).edges} == expected


def test_an_unlinked_peer_says_which_rule_left_it_out(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {**node_root(packageManager="yarn@4.18.1"), **members(PEER_ONLY, c_spec="workspace:^")})
    [peer] = discover(root).unlinked
    assert (peer.source, peer.name, peer.field) == (A, "@p/b", "peerDependencies")
    assert "yarn links no peer dependency of a workspace" in peer.reason


def test_a_peer_filled_by_a_linked_dev_dependency_says_so_rather_than_unsatisfied(tmp_path: Path) -> None:
    # sveltejs/kit: adapter-netlify's peer @sveltejs/kit@^2.31.0, its devDependency workspace:* on 3.0.0-next.16.
    a = {"peerDependencies": {"@p/b": "^2.31.0"}, "devDependencies": {"@p/b": "workspace:*"}}
    root = write_tree(tmp_path, {**pnpm_root(), **members(a, b_version="3.0.0-next.16", c_spec="workspace:^")})
    install(root, "pnpm")
    assert links(root, "pnpm") == {(A, B), (C, B)}
    workspace = discover(root)
    assert {(e.source, e.target, e.kinds) for e in workspace.edges} == {
        (A, B, ("devDependencies",)), (C, B, ("dependencies",)),
    }
    [peer] = workspace.unlinked
    assert peer.reason == "filled by the linked devDependencies workspace:* (packages/b, 3.0.0-next.16), which orders the build"
    assert "not satisfied" not in peer.reason
