"""``cigen run --worktree`` on real git repositories: isolation, the changes carried over, outputs both ways.

The scripts are real npm scripts run by cigen; the worktrees are real
``git worktree``s, listed with ``git worktree list --porcelain``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.cli import CliResult, run_cigen
from testing.gitrepos import Repo
from testing.npm_monorepo import Package, npm_monorepo, record, started

# Holds ROOT/shared.lock for a second: a second holder at the same time fails (EEXIST), as a shared cache would.
COLLIDE_JS = """\
const fs = require("fs");
const path = require("path");
const lock = path.join(__dirname, "shared.lock");
fs.writeFileSync(lock, process.cwd(), { flag: "wx" });
setTimeout(() => fs.unlinkSync(lock), 1500);
"""
# Prints what the worktree holds, then builds dist/out.txt from its dependency's dist/out.txt (when it has one).
BUILD_JS = """\
const fs = require("fs");
const [dep] = process.argv.slice(2);
console.log("note: " + (fs.existsSync("note.txt") ? fs.readFileSync("note.txt", "utf8").trim() : "none"));
console.log("index: " + fs.readFileSync("index.js", "utf8").trim());
const from = dep ? fs.readFileSync(`../${dep}/dist/out.txt`, "utf8").trim() + " > " : "";
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/out.txt", from + process.env.npm_package_name + "\\n");
"""


def git_monorepo(root: Path, packages: dict[str, Package], cigen_yaml: str | None = None) -> Repo:
    npm_monorepo(root, packages, cigen_yaml=cigen_yaml)
    (root / "collide.js").write_text(COLLIDE_JS)
    (root / "build.js").write_text(BUILD_JS)
    for name in packages:
        (root / "packages" / name / "index.js").write_text(f"module.exports = {name!r}\n")
    (root / ".gitignore").write_text(".record/\ndist/\nnode_modules/\n")
    repo = Repo.init(root)
    repo.commit("monorepo")
    return repo


def run(root: Path, *args: str) -> CliResult:
    return run_cigen("run", *args, "--root", str(root), cwd=root)


def worktrees(root: Path) -> list[str]:
    out = subprocess.run(["git", "worktree", "list", "--porcelain"], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    return [line[len("worktree "):] for line in out.splitlines() if line.startswith("worktree ")]


def ours(root: Path) -> list[str]:
    return [p for p in worktrees(root) if "/cigen-worktrees/" in p]


def test_two_services_writing_one_root_file_collide_in_one_tree_and_not_in_worktrees(tmp_path: Path) -> None:
    writer = Package({"build": "node ../../collide.js"})
    root = tmp_path / "repo"
    git_monorepo(root, {"a": writer, "b": writer}, cigen_yaml="plan:\n  mode: parallel\n")
    shared = run(root, "build", "-j", "2")
    assert shared.exit_code == 1 and "EEXIST" in shared.stdout  # the second writer found the first's lock
    (root / "shared.lock").unlink(missing_ok=True)
    isolated = run(root, "build", "-j", "2", "--worktree")
    assert isolated.exit_code == 0, isolated.stdout + isolated.stderr
    assert len(ours(root)) == 2


def test_uncommitted_changes_are_in_the_worktree_and_outputs_go_both_ways(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    git_monorepo(root, {
        "core": Package({"build": "node ../../build.js"}),
        "app": Package({"build": "node ../../build.js core"}, ["core"]),
    })
    (root / "packages" / "core" / "index.js").write_text("module.exports = 'edited'\n")  # tracked, not committed
    (root / "packages" / "core" / "note.txt").write_text("untracked\n")  # untracked, not ignored
    done = run(root, "build", "--worktree", "-j", "2")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "core:build: index: module.exports = 'edited'" in done.stdout.splitlines()
    assert "core:build: note: untracked" in done.stdout.splitlines()
    # core's dist came back to the main tree, reached app's worktree, and app's came back too
    assert (root / "packages" / "core" / "dist" / "out.txt").read_text() == "core\n"
    assert (root / "packages" / "app" / "dist" / "out.txt").read_text() == "core > app\n"
    assert not (root / "packages" / "app" / "note.txt").exists()  # nothing flows the other way but outputs


def test_worktrees_are_reused_and_follow_the_working_tree(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    git_monorepo(root, {"core": Package({"build": "node ../../build.js"})})
    (root / "packages" / "core" / "note.txt").write_text("first\n")
    assert run(root, "build", "--worktree").exit_code == 0
    (tree,) = ours(root)
    (Path(tree) / "marker").write_text("kept?\n")
    (root / "packages" / "core" / "note.txt").unlink()  # the untracked file is gone now
    partial = Path(tree).parent / ".partial-left-by-a-killed-run"  # what SIGKILL during `git worktree add` leaves
    Repo(root).git("worktree", "add", "-q", "--detach", str(partial))
    again = run(root, "build", "--worktree")
    assert again.exit_code == 0 and ours(root) == [tree]  # the partial one is gone, from git's list too
    assert "cigen: worktrees: 0 made, 1 reused, 0 uncommitted files carried over, in " in again.stderr
    assert "core:build: note: none" in again.stdout.splitlines()
    assert not (Path(tree) / "marker").exists()  # a reused worktree starts clean


def test_node_modules_of_the_main_tree_are_linked_not_installed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    git_monorepo(root, {"a": Package({"build": "tool"})})
    tool = root / "node_modules" / ".bin" / "tool"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\necho tool from $(cd \"$(dirname \"$0\")\" && pwd -P)\n")
    tool.chmod(0o755)
    done = run(root, "build", "--worktree")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert f"a:build: tool from {tool.parent.resolve()}" in done.stdout.splitlines()


def test_clean_worktrees_removes_cigens_and_never_the_users(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = git_monorepo(root, {"a": Package({"build": record("build")})})
    repo.git("worktree", "add", "-q", "-b", "mine", str(tmp_path / "my-tree"))
    repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "my-detached"))
    assert run(root, "build", "--worktree").exit_code == 0
    assert len(ours(root)) == 1
    cleaned = run_cigen("run", "--clean-worktrees", "--root", str(root), cwd=root)
    assert cleaned.exit_code == 0 and "removed 1 worktree of cigen run" in cleaned.stderr
    assert sorted(worktrees(root)) == sorted(str(p.resolve()) for p in (root, tmp_path / "my-tree",
                                                                         tmp_path / "my-detached"))
    assert "mine" in repo.git("branch", "--list", "mine")
    assert (tmp_path / "my-tree" / "package.json").is_file()


def test_ctrl_c_leaves_no_process_and_no_half_made_worktree(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    git_monorepo(root, {name: Package({"build": record("build", 60)}) for name in ("a", "b")},
                 cigen_yaml="plan:\n  mode: parallel\n")
    cigen = subprocess.Popen([sys.executable, "-m", "cigen", "run", "build", "--worktree", "-j", "2"], cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    trees = Path(subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=root,
                                capture_output=True, text=True, check=True).stdout.strip()) / "cigen-worktrees"
    deadline = time.monotonic() + 60
    pids: list[int] = []
    while time.monotonic() < deadline and len(pids) < 2:  # each task records its start in its own worktree
        time.sleep(0.05)
        spans = [started(tree, name, "build") for tree in trees.glob("*-*") for name in ("a", "b")]
        pids = [s.pid for s in spans if s is not None]
    assert len(pids) == 2, cigen.communicate(timeout=30)
    os.killpg(cigen.pid, signal.SIGINT)
    _, stderr = cigen.communicate(timeout=60)
    assert cigen.returncode == 130, stderr
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists() and _alive(pid)]
    for tree in ours(root):  # every worktree left is whole: a checkout git knows, at a real name
        assert (Path(tree) / "package.json").is_file() and ".partial-" not in tree
    assert not list(trees.glob(".partial-*"))


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _cwds_inside(folder: Path) -> list[int]:
    """The processes whose working directory is inside ``folder`` (git, node, a shell: anything cigen started)."""
    inside = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == folder or folder in cwd.parents:
                inside.append(int(entry.name))
    return inside


@pytest.mark.parametrize("to", ["the process group", "cigen alone"])
def test_an_interrupt_while_worktrees_are_made_leaves_each_whole_or_none_and_no_process(tmp_path: Path,
                                                                                        to: str) -> None:
    """A terminal's Ctrl-C reaches cigen's git too (the process group); a runner's SIGTERM, cigen alone.

    Either way each worktree is whole under its name (checked out, the uncommitted change carried over) or
    gone, partial ones included, and nothing runs on.
    """
    root = tmp_path / "repo"
    names = [f"p{i:02}" for i in range(12)]
    git_monorepo(root, {name: Package({"build": record("build")}) for name in names},
                 cigen_yaml="plan:\n  mode: parallel\n")
    (root / "packages" / "p00" / "index.js").write_text("module.exports = 'uncommitted'\n")
    home = root / ".git" / "cigen-worktrees"
    cigen = subprocess.Popen([sys.executable, "-m", "cigen", "run", "build", "--worktree", "-j", "2"], cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not [p for p in home.glob("*") if p.is_dir()] and cigen.poll() is None:
        time.sleep(0.01)  # until the first worktree is being made (its partial folder appears)
    if to == "the process group":
        os.killpg(cigen.pid, signal.SIGINT)
    else:
        cigen.send_signal(signal.SIGTERM)
    _, stderr = cigen.communicate(timeout=60)
    assert cigen.returncode == 130, stderr
    assert "cigen: interrupted" in stderr
    made = ours(root)
    assert len(made) < len(names)  # stopped while making them
    for tree in made:
        assert ".partial-" not in tree
        assert (Path(tree) / "packages" / "p00" / "index.js").read_text() == "module.exports = 'uncommitted'\n"
    assert not list(home.glob(".partial-*"))
    assert not (root / ".record").exists()  # no task started
    assert _cwds_inside(tmp_path) == []
    if to == "the process group":  # the next run makes the rest (git's own records of the partial are gone too)
        again = run(root, "build", "--worktree", "-j", "4")
        assert again.exit_code == 0, again.stdout + again.stderr
        assert len(ours(root)) == len(names)


# -- uv workspaces ---------------------------------------------------------------------------

UV = str(Path(sys.executable).with_name("uv"))  # a test dependency (pyproject.toml)
REPORT = 'python -c "import lib_pkg, sys; print(lib_pkg.VALUE, lib_pkg.__file__, sys.prefix)"'


def uv_workspace(root: Path) -> Repo:
    """A uv workspace: lib-pkg and app-pkg (which depends on it), both editable members built by hatchling,
    locked and synced in the main tree (uv may fetch hatchling from PyPI once; it stays in uv's cache)."""
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    (root / "cigen.yaml").write_text(f"plan:\n  mode: parallel\nworkflow:\n  python_tasks:\n    test: {REPORT}\n")
    (root / ".gitignore").write_text(".venv/\n")
    for name, deps in (("lib", ""), ("app", 'dependencies = ["lib-pkg"]\n[tool.uv.sources]\nlib-pkg = { workspace = true }\n')):
        folder = root / "packages" / name
        (folder / "src" / f"{name}_pkg").mkdir(parents=True)
        (folder / "src" / f"{name}_pkg" / "__init__.py").write_text('VALUE = "committed"\n')
        (folder / "pyproject.toml").write_text(
            f'[project]\nname = "{name}-pkg"\nversion = "1.0.0"\nrequires-python = ">=3.11"\n'
            + deps.replace("[tool", "\n[tool", 1).replace("dependencies", "dependencies", 1)
            + '\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    for args in (["lock"], ["sync", "--all-packages"]):
        subprocess.run([UV, *args], cwd=root, check=True, capture_output=True, timeout=300)
    repo = Repo.init(root)
    repo.commit("uv workspace")
    return repo


def test_a_uv_workspace_gets_an_environment_per_worktree_made_once_from_uvs_cache(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    uv_workspace(root)
    (root / "packages" / "lib" / "src" / "lib_pkg" / "__init__.py").write_text('VALUE = "edited"\n')  # uncommitted
    offline = {**os.environ, "UV_OFFLINE": "1"}  # nothing is downloaded: uv's cache has what the main tree used

    def report() -> tuple[CliResult, dict[str, tuple[str, ...]]]:
        done = run_cigen("run", "test", "--worktree", "-j", "2", "--root", str(root), cwd=root, env=offline)
        assert done.exit_code == 0, done.stdout + done.stderr
        seen = {line.split(":")[0]: tuple(line.split(": ", 1)[1].split()) for line in done.stdout.splitlines()
                if line.startswith(("lib-pkg:test: edited", "app-pkg:test: edited"))}
        return done, seen

    _, seen = report()
    trees = {service: Path(prefix).parent for service, (_, _, prefix) in seen.items()}
    assert sorted(trees) == ["app-pkg", "lib-pkg"] and len(set(trees.values())) == 2
    for service, (value, module, prefix) in seen.items():
        tree = trees[service]
        assert tree.parent.name == "cigen-worktrees"  # its own environment, in its own worktree
        assert (value, module) == ("edited", str(tree / "packages" / "lib" / "src" / "lib_pkg" / "__init__.py"))
        (tree / ".venv" / "made-by-the-first-run").touch()
    again, seen_again = report()  # the environments are reused as they are: nothing is built or installed
    assert seen_again == seen
    assert not [line for line in again.stdout.splitlines() if "Built " in line or "Installed " in line]
    assert all((tree / ".venv" / "made-by-the-first-run").exists() for tree in trees.values())
    assert (root / ".venv").is_dir() and not (root / ".venv" / "made-by-the-first-run").exists()
