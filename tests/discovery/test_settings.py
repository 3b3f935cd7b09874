"""Which settings file each package manager version reads, and the defaults it assumes.

The pnpm table below was observed by running pnpm 8.15, 9.15, 10.34 and 12.4 on
a workspace with each combination of .npmrc and pnpm-workspace.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.discovery.settings import load_settings, manager_version, read_npmrc
from cigen.errors import InputError


def repo(tmp_path: Path, files: dict[str, str | dict]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content) if isinstance(content, dict) else content, encoding="utf-8")
    return tmp_path


def pnpm_repo(tmp_path: Path, version: str | None, npmrc: str | None, yaml: str | None) -> Path:
    manifest: dict = {"name": "root", "private": True}
    if version:
        manifest["packageManager"] = f"pnpm@{version}"
    workspace = "packages: ['packages/*']\n" + (yaml or "")
    files: dict[str, str | dict] = {"package.json": manifest, "pnpm-workspace.yaml": workspace}
    if npmrc is not None:
        files[".npmrc"] = npmrc
    return repo(tmp_path, files)


@pytest.mark.parametrize(
    ("version", "npmrc", "yaml", "expected"),
    [
        ("8.15.9", None, None, True),
        ("8.15.9", None, "linkWorkspacePackages: false\n", True),  # pnpm 8 ignores the yaml setting
        ("8.15.9", "link-workspace-packages=false\n", None, False),
        ("9.15.9", None, None, False),
        ("9.15.9", "link-workspace-packages=true\n", None, True),
        ("9.15.9", None, "linkWorkspacePackages: true\n", False),  # pnpm 9 ignores it too
        ("10.34.9", None, None, False),
        ("10.34.9", "link-workspace-packages=true\n", None, True),
        ("10.34.9", None, "linkWorkspacePackages: true\n", True),
        ("10.34.9", "link-workspace-packages=true\n", "linkWorkspacePackages: false\n", False),  # yaml wins
        ("12.4.2", "link-workspace-packages=true\n", None, False),  # pnpm 11+ reads only auth from .npmrc
        ("12.4.2", None, "linkWorkspacePackages: deep\n", "deep"),
        (None, "link-workspace-packages=true\n", None, True),  # unknown version: read as pnpm 10 does
    ],
)
def test_pnpm_link_workspace_packages_by_version_and_file(
    tmp_path: Path, version: str | None, npmrc: str | None, yaml: str | None, expected: object
) -> None:
    root = pnpm_repo(tmp_path, version, npmrc, yaml)
    assert load_settings(root, "pnpm", "pnpm-workspace.yaml").link_workspace_packages == expected


@pytest.mark.parametrize(
    ("version", "npmrc", "yaml", "expected"),
    [
        ("7.33.0", None, None, False),  # auto-install-peers was off by default up to pnpm 7
        ("8.15.9", None, None, True),
        ("9.15.9", "auto-install-peers=false\n", None, False),
        ("10.34.9", "auto-install-peers=false\n", None, False),
        ("10.34.9", "auto-install-peers=false\n", "autoInstallPeers: true\n", True),  # yaml wins
        ("12.4.2", "auto-install-peers=false\n", None, True),  # pnpm 11+ reads only auth from .npmrc
        (None, None, "autoInstallPeers: false\n", False),
    ],
)
def test_pnpm_auto_install_peers_by_version_and_file(
    tmp_path: Path, version: str | None, npmrc: str | None, yaml: str | None, expected: bool
) -> None:
    settings = load_settings(pnpm_repo(tmp_path, version, npmrc, yaml), "pnpm", "pnpm-workspace.yaml")
    assert settings.links_peers is expected
    assert ("autoInstallPeers is false" in settings.peer_rule) is not expected


def test_a_peer_setting_that_is_no_boolean_is_refused(tmp_path: Path) -> None:
    root = pnpm_repo(tmp_path, "10.0.0", None, "autoInstallPeers: sometimes\n")
    with pytest.raises(InputError, match="pnpm-workspace.yaml: autoInstallPeers must be true or false"):
        load_settings(root, "pnpm", "pnpm-workspace.yaml")


def test_npm_installs_peers_from_npm_7_unless_legacy_peer_deps(tmp_path: Path) -> None:
    assert load_settings(repo(tmp_path / "a", {"package.json": {}}), "npm", "package.json").links_peers
    legacy = repo(tmp_path / "b", {"package.json": {}, ".npmrc": "legacy-peer-deps=true\n"})
    assert not load_settings(legacy, "npm", "package.json").links_peers
    old = repo(tmp_path / "c", {"package.json": {"packageManager": "npm@6.14.18"}})
    assert load_settings(old, "npm", "package.json").peer_rule == "npm 6 never installs peer dependencies"


def test_pnpm_says_where_the_value_came_from(tmp_path: Path) -> None:
    assert load_settings(pnpm_repo(tmp_path, "9.1.0", None, None), "pnpm", "x").link_source == "the default of pnpm 9"
    root = pnpm_repo(tmp_path, "10.0.0", None, "linkWorkspacePackages: false\n")
    assert load_settings(root, "pnpm", "x").link_source == "pnpm-workspace.yaml"


def test_pnpm_rejects_a_link_value_it_does_not_know(tmp_path: Path) -> None:
    root = pnpm_repo(tmp_path, "10.0.0", None, "linkWorkspacePackages: sometimes\n")
    with pytest.raises(InputError, match="pnpm-workspace.yaml: link-workspace-packages must be true, false or deep"):
        load_settings(root, "pnpm", "pnpm-workspace.yaml")


def test_pnpm_catalogs_default_and_named(tmp_path: Path) -> None:
    yaml = "catalog:\n  react: ^19.0.0\ncatalogs:\n  legacy:\n    react: ^18.0.0\n"
    settings = load_settings(pnpm_repo(tmp_path, None, None, yaml), "pnpm", "pnpm-workspace.yaml")
    assert settings.catalogs == {"default": {"react": "^19.0.0"}, "legacy": {"react": "^18.0.0"}}


def test_pnpm_default_catalog_defined_twice_is_an_error(tmp_path: Path) -> None:
    yaml = "catalog:\n  a: ^1\ncatalogs:\n  default:\n    a: ^2\n"
    with pytest.raises(InputError, match="the default catalog is defined twice"):
        load_settings(pnpm_repo(tmp_path, None, None, yaml), "pnpm", "pnpm-workspace.yaml")


def test_yarn_berry_transparent_workspaces_default_on_and_off(tmp_path: Path) -> None:
    assert load_settings(repo(tmp_path, {"package.json": {}}), "yarn-berry", "package.json").transparent_workspaces
    repo(tmp_path, {".yarnrc.yml": "enableTransparentWorkspaces: false\ncatalog:\n  lodash: ^4.17.0\n"})
    settings = load_settings(tmp_path, "yarn-berry", "package.json")
    assert not settings.transparent_workspaces
    assert settings.catalogs == {"default": {"lodash": "^4.17.0"}}


def test_bun_catalogs_from_the_top_level_or_the_workspaces_object(tmp_path: Path) -> None:
    manifest = {"workspaces": {"packages": ["packages/*"], "catalogs": {"t": {"x": "^1"}}}, "catalog": {"y": "^2"}}
    settings = load_settings(repo(tmp_path, {"package.json": manifest}), "bun", "package.json")
    assert settings.catalogs == {"t": {"x": "^1"}, "default": {"y": "^2"}}


def test_rush_decoupled_local_dependencies_by_project_folder(tmp_path: Path) -> None:
    rush = """// rush.json holds comments
    {
      "pnpmVersion": "10.27.0",
      "projects": [
        {"packageName": "a", "projectFolder": "apps/a", "decoupledLocalDependencies": ["b"]},
        {"packageName": "c", "projectFolder": "./libs/c/", "cyclicDependencyProjects": ["d"]},
        {"packageName": "e", "projectFolder": "libs/e"},
      ]
    }"""
    settings = load_settings(repo(tmp_path, {"rush.json": rush}), "pnpm", "rush.json")
    assert settings.decoupled == {"apps/a": frozenset({"b"}), "libs/c": frozenset({"d"})}
    assert settings.manager_version == (10, 27, 0)


def test_manager_version_from_package_manager_or_dev_engines_of_the_same_manager() -> None:
    assert manager_version({"packageManager": "pnpm@9.12.1+sha512.abc"}, None, "pnpm") == (9, 12, 1)
    assert manager_version({"packageManager": "yarn@4.1.0"}, None, "pnpm") is None
    dev_engines = {"devEngines": {"packageManager": {"name": "pnpm", "version": "^10.2"}}}
    assert manager_version(dev_engines, None, "pnpm") == (10, 2)


def test_npmrc_pairs_comments_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / ".npmrc"
    path.write_text('; comment\n# another\nlink-workspace-packages = "true"\nregistry=https://r.example/\n')
    assert read_npmrc(path) == {"link-workspace-packages": "true", "registry": "https://r.example/"}
    assert read_npmrc(tmp_path / "missing") == {}


def test_pnpm_overrides_by_name_with_root_references_and_no_selectors(tmp_path: Path) -> None:
    yaml = (
        "overrides:\n  vite: 'workspace:*'\n  debug: 'npm:obug@^1'\n  rolldown: $rolldown\n"
        "  'a>b': '1.0.0'\n  'c@^2': '2.1.0'\n  'd@*': '-'\n"
    )
    root = pnpm_repo(tmp_path, "10.0.0", None, yaml)
    manifest = json.loads((root / "package.json").read_text())
    manifest["devDependencies"] = {"rolldown": "1.0.0-rc.3"}
    (root / "package.json").write_text(json.dumps(manifest))
    assert load_settings(root, "pnpm", "pnpm-workspace.yaml").overrides == {
        "vite": "workspace:*", "debug": "npm:obug@^1", "rolldown": "1.0.0-rc.3", "d": "-",
    }


def test_pnpm_override_referring_to_a_root_dependency_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    root = pnpm_repo(tmp_path, "10.0.0", None, "overrides:\n  x: $x\n")
    with pytest.raises(InputError, match="override x: \\$x refers to x, which the root package.json does not depend on"):
        load_settings(root, "pnpm", "pnpm-workspace.yaml")


def test_pnpm_package_json_overrides_count_up_to_pnpm_10_only(tmp_path: Path) -> None:
    manifest = {"packageManager": "pnpm@12.4.2", "pnpm": {"overrides": {"a": "workspace:*"}}}
    repo(tmp_path, {"package.json": manifest, "pnpm-workspace.yaml": "packages: []\n"})
    assert load_settings(tmp_path, "pnpm", "pnpm-workspace.yaml").overrides == {}
    manifest["packageManager"] = "pnpm@9.0.0"
    repo(tmp_path, {"package.json": manifest})
    assert load_settings(tmp_path, "pnpm", "pnpm-workspace.yaml").overrides == {"a": "workspace:*"}
