"""Which toolchain each service's leg sets up, read from the repository's files."""

from __future__ import annotations

from pathlib import Path

from cigen.model import Member, Workspace
from cigen.plan.toolchains import detect, versions


def member(path: str, manager: str, language: str = "node") -> Member:
    return Member(path=path, name=path.rsplit("/", 1)[-1], version="1.0.0", kind="package",
                  language=language, package_manager=manager)  # type: ignore[arg-type]


def workspace(root: Path, manager: str, *members: Member) -> Workspace:
    return Workspace(root=root, definition="package.json", package_manager=manager,  # type: ignore[arg-type]
                     members=tuple(sorted(members, key=lambda m: m.path)))


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_workspace_members_share_the_root_lockfile_toolchain(tmp_path: Path) -> None:
    write(tmp_path, {"package-lock.json": "{}", "package.json": "{}"})
    ws = workspace(tmp_path, "npm", member("packages/a", "npm"), member("packages/b", "npm"))
    found = detect(ws, ("packages/a", "packages/b"))
    assert found["packages/a"] is found["packages/b"]
    assert (found["packages/a"].key, found["packages/a"].root, found["packages/a"].lockfile) == (
        "npm", ".", "package-lock.json",
    )


def test_the_nearest_lockfile_above_a_member_decides_its_folder(tmp_path: Path) -> None:
    write(tmp_path, {"pnpm-lock.yaml": "lockfileVersion: '9.0'\n", "tools/gen/yarn.lock": "__metadata:\n"})
    ws = workspace(tmp_path, "pnpm", member("packages/ui", "pnpm"), member("tools/gen", "yarn-berry"))
    found = detect(ws, ("packages/ui", "tools/gen"))
    assert (found["tools/gen"].root, found["tools/gen"].lockfile) == ("tools/gen", "tools/gen/yarn.lock")
    assert found["packages/ui"].pnpm_version == "10"


def test_pnpm_without_a_pinned_version_gets_the_major_its_lockfile_format_needs(tmp_path: Path) -> None:
    for lockfile_version, pnpm in (("'6.0'", "8"), ("5.4", "7"), ("'9.0'", "10")):
        write(tmp_path, {"pnpm-lock.yaml": f"lockfileVersion: {lockfile_version}\n"})
        ws = workspace(tmp_path, "pnpm", member("a", "pnpm"))
        assert detect(ws, ("a",))["a"].pnpm_version == pnpm


def test_a_package_manager_field_pins_the_version(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": '{"packageManager": "pnpm@10.12.1"}', "pnpm-lock.yaml": ""})
    ws = workspace(tmp_path, "pnpm", member("a", "pnpm"))
    assert detect(ws, ("a",))["a"].pinned is True
    write(tmp_path, {"package.json": '{"packageManager": "yarn@4.5.0"}'})
    assert detect(ws, ("a",))["a"].pinned is False  # it pins another manager


def test_a_member_without_a_lockfile_of_another_manager_installs_in_its_own_folder(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "npm", member("py/app", "pip", "python"), member("py/lib", "pip", "python"))
    found = detect(ws, ("py/app", "py/lib"))
    assert found["py/app"] is found["py/lib"]
    assert (found["py/app"].key, found["py/app"].root, found["py/app"].lockfile) == ("pip", None, None)


def test_two_toolchains_of_one_manager_get_distinct_keys_in_a_stable_order(tmp_path: Path) -> None:
    write(tmp_path, {"a/uv.lock": "", "b/uv.lock": ""})
    ws = workspace(tmp_path, "npm", member("b", "uv", "python"), member("a", "uv", "python"))
    found = detect(ws, ("b", "a"))
    assert (found["a"].key, found["b"].key) == ("uv", "uv-2")


def test_versions_come_from_config_then_version_files_then_defaults(tmp_path: Path) -> None:
    plain = versions(tmp_path, None, None)
    assert (plain.node, plain.node_file, plain.python, plain.python_file) == ("24", None, "3.13", None)
    write(tmp_path, {".nvmrc": "22\n", ".python-version": "3.12\n"})
    files = versions(tmp_path, None, None)
    assert (files.node, files.node_file, files.python, files.python_file) == (None, ".nvmrc", None, ".python-version")
    configured = versions(tmp_path, "20", "3.11")
    assert (configured.node, configured.node_file, configured.python, configured.python_file) == (
        "20", None, "3.11", None,
    )
