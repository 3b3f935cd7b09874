"""Narrowing a lockfile change to the members whose resolved dependencies changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.impact.lockfiles import lockfile_impact
from cigen.model import Dependency, Member, Workspace


def _member(path: str, name: str, deps: dict[str, str] | None = None, *, root: bool = False) -> Member:
    return Member(
        path=path, name=name, version="1.0.0", kind="package", language="node", package_manager="npm",
        dependencies=tuple(Dependency(n, s, "dependencies") for n, s in (deps or {}).items()), is_root=root,
    )


WS = Workspace(
    root=Path("/repo"), definition="package.json", package_manager="pnpm",
    members=(
        _member(".", "monorepo", {"turbo": "^2.0.0"}, root=True),
        _member("packages/a", "a", {"lodash": "^4.17.0"}),
        _member("packages/b", "b", {"a": "workspace:*", "foo": "^1.0.0"}),
        _member("packages/c", "c", {"foo": "^1.0.0", "lodash": "^4.17.0"}),
    ),
)


def members(result) -> list[str] | None:
    return None if result.members is None else sorted(result.members)


# ---------------------------------------------------------------------------------------------- pnpm v9

PNPM9 = """\
lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    devDependencies:
      turbo:
        specifier: ^2.0.0
        version: 2.0.0

  packages/a:
    dependencies:
      lodash:
        specifier: ^4.17.0
        version: 4.17.20

  packages/b:
    dependencies:
      a:
        specifier: workspace:*
        version: link:../a
      foo:
        specifier: ^1.0.0
        version: 1.0.0(react@18.2.0)

  packages/c:
    dependencies:
      lodash:
        specifier: ^4.17.0
        version: 4.17.21

packages:

  bar@2.0.0:
    resolution: {integrity: sha512-bar200}

  foo@1.0.0:
    resolution: {integrity: sha512-foo100}
    peerDependencies:
      react: '*'

  lodash@4.17.20:
    resolution: {integrity: sha512-lodash20}

  lodash@4.17.21:
    resolution: {integrity: sha512-lodash21}

  react@18.2.0:
    resolution: {integrity: sha512-react}

  turbo@2.0.0:
    resolution: {integrity: sha512-turbo}

snapshots:

  bar@2.0.0: {}

  foo@1.0.0(react@18.2.0):
    dependencies:
      bar: 2.0.0
      react: 18.2.0

  lodash@4.17.20: {}

  lodash@4.17.21: {}

  react@18.2.0: {}

  turbo@2.0.0: {}
"""


def test_pnpm_a_direct_dependency_bumped_in_one_importer_affects_only_that_member():
    new = PNPM9.replace("        version: 4.17.20", "        version: 4.17.21")
    assert members(lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS)) == ["packages/a"]


def test_pnpm_a_transitive_dependency_changed_affects_the_members_that_reach_it():
    new = PNPM9.replace("  bar@2.0.0:\n    resolution: {integrity: sha512-bar200}", "  bar@2.0.0:\n    resolution: {integrity: sha512-other}")
    assert members(lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS)) == ["packages/b"]


def test_pnpm_a_shared_package_changed_affects_every_member_using_it():
    new = PNPM9.replace("sha512-lodash21", "sha512-lodash21-republished")
    assert members(lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS)) == ["packages/c"]
    new = new.replace("sha512-lodash20", "sha512-x")
    assert members(lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS)) == ["packages/a", "packages/c"]


def test_pnpm_a_change_to_the_root_importer_makes_everything_affected():
    new = PNPM9.replace("sha512-turbo", "sha512-turbo2")
    result = lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS)
    assert result.members is None and "root's dependencies" in result.reason


def test_pnpm_a_settings_change_makes_everything_affected():
    new = PNPM9.replace("autoInstallPeers: true", "autoInstallPeers: false")
    assert lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS).members is None


def test_pnpm_a_new_member_importer_affects_just_that_member():
    new = PNPM9.replace("\npackages:\n", "\n  packages/d:\n    dependencies:\n      lodash:\n        specifier: ^4\n        version: 4.17.21\n\npackages:\n", 1)
    assert members(lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS)) == ["packages/d"]


def test_pnpm_a_reformatted_but_equal_lockfile_affects_nothing():
    assert members(lockfile_impact("pnpm-lock.yaml", PNPM9, PNPM9.replace("\n\n", "\n"), WS)) == []


def test_pnpm_a_version_without_an_entry_cannot_be_followed():
    new = PNPM9.replace("        version: 4.17.20", "        version: 4.17.19")
    result = lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS)
    assert result.members is None and "lodash@4.17.19 is used but has no entry" in result.reason


def test_pnpm_lockfile_v5_is_not_read_per_member():
    old = "lockfileVersion: 5.4\nimporters:\n  packages/a: {}\n"
    result = lockfile_impact("pnpm-lock.yaml", old, old + "\n# x\n", WS)
    assert result.members is None and "lockfile version 5.4" in result.reason


PNPM6 = """\
lockfileVersion: '6.0'

importers:
  packages/a:
    dependencies:
      lodash:
        specifier: ^4.17.0
        version: 4.17.20
      sw:
        specifier: npm:string-width@^4
        version: /string-width@4.2.3
  packages/c:
    dependencies:
      lodash:
        specifier: ^4.17.0
        version: 4.17.21

packages:
  /lodash@4.17.20:
    resolution: {integrity: sha512-l20}
    dev: false
  /lodash@4.17.21:
    resolution: {integrity: sha512-l21}
    dev: false
  /string-width@4.2.3:
    resolution: {integrity: sha512-sw}
    dev: false
"""


def test_pnpm_v6_lockfiles_and_aliases_are_followed():
    new = PNPM6.replace("sha512-sw", "sha512-sw2")
    assert members(lockfile_impact("pnpm-lock.yaml", PNPM6, new, WS)) == ["packages/a"]


def test_pnpm_unparsable_yaml_makes_everything_affected_with_the_parse_error():
    result = lockfile_impact("pnpm-lock.yaml", PNPM9, "importers: [\n", WS)
    assert result.members is None and "could not be parsed" in result.reason


def _laughs(levels: int = 30) -> str:
    """A billion laughs: each anchor's list names the one before ten times (10**levels values)."""
    lines = ['lockfileVersion: "9.0"', "l0: &l0 [lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join([*lines, f"importers: {{'.': {{dependencies: {{x: *l{levels - 1}}}}}}}"]) + "\n"


def test_a_lockfile_with_yaml_anchors_is_not_expanded_and_makes_everything_affected():
    """pnpm and yarn never write anchors; a lockfile from a pull request that has them could stand for
    more values than memory holds, so it is not read per member (the safe answer is everything)."""
    result = lockfile_impact("pnpm-lock.yaml", PNPM9, _laughs(), WS)
    assert result.members is None and "anchors" in result.reason


def test_an_ampersand_inside_a_value_is_no_anchor():
    new = PNPM9.replace("sha512-bar200", "sha512-bar&200")
    assert members(lockfile_impact("pnpm-lock.yaml", PNPM9, new, WS)) == ["packages/b"]


@pytest.mark.parametrize(("name", "deep", "reason"), [
    # libyaml stops at its own nesting limit; json and tomllib recurse until Python's limit.
    ("pnpm-lock.yaml", "lockfileVersion: '9.0'\nimporters: " + "[" * 100_000 + "]" * 100_000 + "\n",
     "exceeded maximum nesting depth"),
    ("package-lock.json", '{"lockfileVersion": 3, "packages": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "nested too deeply"),
    ("uv.lock", "version = 1\nx = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
])
def test_a_lockfile_nested_past_the_parsers_limits_makes_everything_affected(name: str, deep: str, reason: str):
    result = lockfile_impact(name, deep, deep + "\n", WS)
    assert result.members is None and reason in result.reason


def test_an_added_or_deleted_lockfile_makes_everything_affected():
    assert lockfile_impact("pnpm-lock.yaml", None, PNPM9, WS).reason == "pnpm-lock.yaml was added"
    assert lockfile_impact("pnpm-lock.yaml", PNPM9, None, WS).reason == "pnpm-lock.yaml was deleted"


def test_a_lockfile_format_that_is_not_narrowed_makes_everything_affected():
    result = lockfile_impact("bun.lockb", "x", "y", WS)
    assert result.members is None and "bun.lockb" in result.reason


# ------------------------------------------------------------------------------------------------ npm

NPM = {
    "name": "monorepo",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {"name": "monorepo", "workspaces": ["packages/*"], "devDependencies": {"turbo": "^2.0.0"}},
        "node_modules/a": {"resolved": "packages/a", "link": True},
        "node_modules/b": {"resolved": "packages/b", "link": True},
        "node_modules/c": {"resolved": "packages/c", "link": True},
        "node_modules/bar": {"version": "2.0.0", "integrity": "sha512-bar200"},
        "node_modules/foo": {"version": "1.0.0", "integrity": "sha512-foo", "dependencies": {"bar": "^2.0.0"}},
        "node_modules/lodash": {"version": "4.17.21", "integrity": "sha512-l21"},
        "node_modules/turbo": {"version": "2.0.0", "dev": True, "integrity": "sha512-turbo"},
        "packages/a": {"name": "a", "version": "1.0.0", "dependencies": {"lodash": "^4.17.0"}},
        "packages/a/node_modules/lodash": {"version": "4.17.20", "integrity": "sha512-l20"},
        "packages/b": {"name": "b", "version": "1.0.0", "dependencies": {"a": "*", "foo": "^1.0.0"}},
        "packages/c": {"name": "c", "version": "1.0.0", "dependencies": {"foo": "^1.0.0", "lodash": "^4.17.0"}},
    },
}


def _npm(change) -> str:
    data = json.loads(json.dumps(NPM))
    change(data["packages"])
    return json.dumps(data, indent=2)


def test_npm_a_nested_install_changed_affects_only_the_member_that_resolves_to_it():
    new = _npm(lambda p: p["packages/a/node_modules/lodash"].update(version="4.17.19", integrity="x"))
    assert members(lockfile_impact("package-lock.json", json.dumps(NPM), new, WS)) == ["packages/a"]


def test_npm_a_hoisted_package_changed_affects_the_members_that_resolve_to_it_through_node_modules():
    new = _npm(lambda p: p["node_modules/bar"].update(version="2.0.1"))
    assert members(lockfile_impact("package-lock.json", json.dumps(NPM), new, WS)) == ["packages/b", "packages/c"]


def test_npm_hoisting_a_package_into_a_member_folder_is_seen_in_either_version():
    def nest(p):
        p["packages/c/node_modules/lodash"] = {"version": "4.17.22", "integrity": "y"}

    assert members(lockfile_impact("package-lock.json", json.dumps(NPM), _npm(nest), WS)) == ["packages/c"]


def test_npm_a_root_dev_dependency_changed_makes_everything_affected():
    new = _npm(lambda p: p["node_modules/turbo"].update(version="2.1.0"))
    assert lockfile_impact("package-lock.json", json.dumps(NPM), new, WS).members is None


def test_npm_lockfile_v1_is_not_read_per_member():
    old = json.dumps({"lockfileVersion": 1, "dependencies": {}})
    result = lockfile_impact("package-lock.json", old, old + " ", WS)
    assert result.members is None and "lockfileVersion 1" in result.reason


# ------------------------------------------------------------------------------------------- yarn 1

YARN1 = """\
# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


bar@^2.0.0:
  version "2.0.0"
  resolved "https://registry.yarnpkg.com/bar/-/bar-2.0.0.tgz#abc"
  integrity sha512-bar

foo@^1.0.0:
  version "1.0.0"
  resolved "https://registry.yarnpkg.com/foo/-/foo-1.0.0.tgz#def"
  integrity sha512-foo
  dependencies:
    bar "^2.0.0"

"lodash@^4.17.0", lodash@^4.17.20:
  version "4.17.21"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#ghi"
  integrity sha512-lodash

turbo@^2.0.0:
  version "2.0.0"
  integrity sha512-turbo
"""


def test_yarn1_members_are_found_from_their_manifest_ranges():
    new = YARN1.replace('bar-2.0.0.tgz#abc"', 'bar-2.0.0.tgz#zzz"')
    assert members(lockfile_impact("yarn.lock", YARN1, new, WS)) == ["packages/b", "packages/c"]


def test_yarn1_a_root_tool_changed_makes_everything_affected():
    new = YARN1.replace("sha512-turbo", "sha512-turbo2")
    assert lockfile_impact("yarn.lock", YARN1, new, WS).members is None


def test_yarn1_an_entry_no_known_member_uses_makes_everything_affected():
    ws = Workspace(root=Path("/r"), definition="package.json", package_manager="yarn", members=WS.members[1:])
    new = YARN1.replace("sha512-turbo", "sha512-turbo2")
    result = lockfile_impact("yarn.lock", YARN1, new, ws)
    assert result.members is None and "no known member" in result.reason


# ------------------------------------------------------------------------------------------ yarn berry

BERRY = """\
# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 8
  cacheKey: 10c0

"a@workspace:^, a@workspace:packages/a":
  version: 0.0.0-use.local
  resolution: "a@workspace:packages/a"
  dependencies:
    lodash: "npm:^4.17.0"
  languageName: unknown
  linkType: soft

"b@workspace:packages/b":
  version: 0.0.0-use.local
  resolution: "b@workspace:packages/b"
  dependencies:
    a: "workspace:^"
    foo: "npm:^1.0.0"
  languageName: unknown
  linkType: soft

"foo@npm:^1.0.0":
  version: 1.0.0
  resolution: "foo@npm:1.0.0"
  checksum: 10c0/foo
  languageName: node
  linkType: hard

"lodash@npm:^4.17.0":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  checksum: 10c0/lodash
  languageName: node
  linkType: hard

"monorepo@workspace:.":
  version: 0.0.0-use.local
  resolution: "monorepo@workspace:."
  languageName: unknown
  linkType: soft
"""


def test_yarn_berry_workspaces_are_read_from_their_workspace_entries():
    new = BERRY.replace("10c0/foo", "10c0/foo2")
    assert members(lockfile_impact("yarn.lock", BERRY, new, WS)) == ["packages/b"]


def test_yarn_berry_a_change_in_one_workspace_does_not_spread_through_workspace_links():
    new = BERRY.replace("10c0/lodash", "10c0/lodash2")
    assert members(lockfile_impact("yarn.lock", BERRY, new, WS)) == ["packages/a"]


def test_yarn_berry_a_cache_key_change_makes_everything_affected():
    assert lockfile_impact("yarn.lock", BERRY, BERRY.replace("cacheKey: 10c0", "cacheKey: 11"), WS).members is None


# ------------------------------------------------------------------------------------------------- uv

UV = """\
version = 1
revision = 2
requires-python = ">=3.11"

[manifest]
members = ["api", "core", "monorepo"]

[[package]]
name = "api"
version = "0.1.0"
source = { editable = "services/api" }
dependencies = [{ name = "core" }, { name = "fastapi" }]

[[package]]
name = "core"
version = "0.1.0"
source = { editable = "packages/core" }
dependencies = [{ name = "pydantic" }]

[[package]]
name = "fastapi"
version = "0.110.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "pydantic" }]

[[package]]
name = "monorepo"
version = "0.0.0"
source = { virtual = "." }

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "pydantic"
version = "2.6.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
"""


def test_uv_a_package_changed_affects_the_members_that_resolve_it():
    new = UV.replace('version = "0.110.0"', 'version = "0.111.0"')
    assert members(lockfile_impact("uv.lock", UV, new, WS)) == ["services/api"]
    new = UV.replace('version = "2.6.0"', 'version = "2.7.0"')
    assert members(lockfile_impact("uv.lock", UV, new, WS)) == ["packages/core", "services/api"]


def test_uv_a_root_dev_group_changed_makes_everything_affected():
    assert lockfile_impact("uv.lock", UV, UV.replace('"8.0.0"', '"8.1.0"'), WS).members is None


def test_uv_a_dependency_without_an_entry_cannot_be_followed():
    new = UV.replace('{ name = "fastapi" }]', '{ name = "fastapi" }, { name = "missing" }]')
    result = lockfile_impact("uv.lock", UV, new, WS)
    assert result.members is None and "missing is used" in result.reason


@pytest.mark.parametrize("name", ["package-lock.json", "yarn.lock", "uv.lock", "pnpm-lock.yaml"])
def test_identical_contents_affect_nothing(name):
    text = {"package-lock.json": json.dumps(NPM), "yarn.lock": YARN1, "uv.lock": UV, "pnpm-lock.yaml": PNPM9}[name]
    assert members(lockfile_impact(name, text, text, WS)) == []


# ------------------------------------------------------------------- lockfiles written by the real tools

# Made by the tools themselves on the workspaces below, one manifest edit between
# versions: npm install --package-lock-only (npm 11), pnpm install --lockfile-only
# (pnpm 9), yarn install (1.22), yarn install --mode=update-lockfile (4.9), uv lock (0.13).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"


def _js_workspace(b_debug: str) -> Workspace:
    """The workspace the fixture lockfiles were made for: a (ms), b (debug, a), c (is-number)."""
    return Workspace(
        root=Path("/repo"), definition="package.json", package_manager="npm",
        members=(
            _member(".", "real", root=True),
            _member("packages/a", "a", {"ms": "2.1.2"}),
            _member("packages/b", "b", {"debug": b_debug, "a": "1.0.0"}),
            _member("packages/c", "c", {"is-number": "7.0.0"}),
        ),
    )


UV_WS = Workspace(
    root=Path("/repo"), definition="pyproject.toml", package_manager="uv",
    members=(_member(".", "monorepo", root=True), _member("packages/core", "core"), _member("services/api", "api")),
)


@pytest.mark.parametrize(
    ("lockfile", "before", "after", "workspace", "expected"),
    [
        # npm 11: b's debug 4.3.4 -> 4.3.5; then a's ms 2.1.2 -> 2.1.3 (nested under packages/a)
        ("package-lock.json", "npm.1.package-lock.json", "npm.2.package-lock.json", _js_workspace("4.3.5"), ["packages/b"]),
        ("package-lock.json", "npm.2.package-lock.json", "npm.3.package-lock.json", _js_workspace("4.3.5"), ["packages/a"]),
        # pnpm 9: b's debug bumped; then c gains react-dom (a peer-suffixed snapshot)
        ("pnpm-lock.yaml", "pnpm.1.pnpm-lock.yaml", "pnpm.2.pnpm-lock.yaml", _js_workspace("4.3.5"), ["packages/b"]),
        ("pnpm-lock.yaml", "pnpm.2.pnpm-lock.yaml", "pnpm.3.pnpm-lock.yaml", _js_workspace("4.3.5"), ["packages/c"]),
        # yarn 1.22 and yarn 4: b's debug bumped
        ("yarn.lock", "yarn1.1.yarn.lock", "yarn1.2.yarn.lock", _js_workspace("4.3.5"), ["packages/b"]),
        ("yarn.lock", "berry.1.yarn.lock", "berry.2.yarn.lock", _js_workspace("4.3.5"), ["packages/b"]),
        # uv 0.13: api's six bumped; then core's idna bumped (api reaches core only through the graph)
        ("uv.lock", "uv.1.uv.lock", "uv.2.uv.lock", UV_WS, ["services/api"]),
        ("uv.lock", "uv.2.uv.lock", "uv.3.uv.lock", UV_WS, ["packages/core"]),
    ],
    ids=["npm-b", "npm-a-nested", "pnpm-b", "pnpm-c-peer", "yarn1-b", "yarn4-b", "uv-api", "uv-core"],
)
def test_lockfiles_written_by_the_real_tools_narrow_to_the_changed_member(lockfile, before, after, workspace, expected):
    old = (FIXTURES / before).read_text(encoding="utf-8")
    new = (FIXTURES / after).read_text(encoding="utf-8")
    assert members(lockfile_impact(lockfile, old, new, workspace)) == expected
