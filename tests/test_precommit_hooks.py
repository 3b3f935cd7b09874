"""The pre-commit hooks (.pre-commit-hooks.yaml), run by the real pre-commit in temporary monorepos.

The workflow names no service (the plan job packs them into legs at run
time): it goes stale when the stage structure changes (a package one level
deeper than any before adds a stage job) or when cigen.yaml changes what it
holds; the ecosystem file goes stale when a service comes or goes.

- ``pre-commit try-repo`` of this repository: a package that adds a stage
  fails the ``cigen-generate`` hook once (it rewrote the workflow and the
  ecosystem file), and the next run, with them staged, passes.
- Installed as a git hook: a commit adding such a package fails once, and the
  commit after staging what the hook rewrote passes; so does a cigen.yaml
  change that changes the workflow; a library at an existing depth changes no
  generated file and passes at once; ``cigen-check`` fails on a stale workflow
  and writes nothing; a commit touching no input skips both hooks.

The hook repository is this checkout as it is now (tracked and new files), as
try-repo itself takes it, committed once per session into ``.cache/`` with
fixed dates, so the same files give the same commit and pre-commit's hook
environment (``PRE_COMMIT_HOME``, also under ``.cache/``) is reused while the
files do not change. try-repo always builds a fresh environment of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from testing.cli import run_cigen
from testing.gha.runner import package_mirror
from testing.paths import REPO_ROOT

CACHE = REPO_ROOT / ".cache"
HOOKS = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
PRE_COMMIT = str(Path(sys.executable).with_name("pre-commit"))
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}
WORKFLOW = ".github/workflows/cigen.yml"
LEG_ACTION = ".github/actions/cigen-leg/action.yml"
FIXED_DATES = {"GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}


def hook(hook_id: str) -> dict:
    return next(h for h in HOOKS if h["id"] == hook_id)


def sh(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command as a developer would: the test venv's tools first on PATH, no pytest variables.

    Python writes bytecode, as it does unless told not to: the hook's environment (installed from
    the wheelhouse without it) keeps what its first cigen compiled for every later commit, instead
    of compiling pydantic, Typer and Rich again at each one when this machine sets
    PYTHONDONTWRITEBYTECODE. Nothing lands in the checkout: Python runs here only from the test venv
    (compiled when it was installed) and from pre-commit's environments.
    """
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PYTEST_", "VIRTUAL_ENV", "PRE_COMMIT")) and k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run(argv, cwd=cwd, env={**clean, **GIT_ENV, **env}, capture_output=True, text=True,
                          timeout=900, check=False)


def git(repo: Path, *args: str) -> str:
    result = sh(["git", *args], repo)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# -- the manifest ---------------------------------------------------------------------------------


def test_the_manifest_is_valid_for_pre_commit() -> None:
    result = sh([PRE_COMMIT, "validate-manifest", ".pre-commit-hooks.yaml"], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generate_fails_when_it_wrote_and_check_writes_nothing() -> None:
    assert hook("cigen-generate")["entry"] == "cigen generate --exit-code"
    assert hook("cigen-check")["entry"] == "cigen check"
    for item in HOOKS:
        assert item["language"] == "python" and item["pass_filenames"] is False


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("package.json", True), ("packages/ui/package.json", True), ("services/api/pyproject.toml", True),
        ("pnpm-workspace.yaml", True), ("lerna.json", True), ("rush.json", True),
        ("package-lock.json", True), ("pnpm-lock.yaml", True), ("yarn.lock", True), ("bun.lockb", True),
        ("uv.lock", True), ("poetry.lock", True), (".npmrc", True), (".yarnrc.yml", True), (".nvmrc", True),
        (".node-version", True), (".python-version", True), ("cigen.yaml", True), ("cigen.yml", True),
        ("ecosystem.config.js", True), (".github/workflows/cigen.yml", True),
        (".github/actions/cigen-leg/action.yml", True),
        ("packages/ui/src/index.ts", False), ("README.md", False), ("docs/package.json.md", False),
        ("packages/ui/mypackage.json", False), ("tools/.github/workflows/x.yml", False),
        ("tools/.github/actions/x/action.yml", False),
    ],
)
def test_the_hooks_run_only_when_an_input_of_the_generated_files_changes(path: str, runs: bool) -> None:
    for item in HOOKS:
        assert bool(re.search(item["files"], path)) is runs, (item["id"], path)


def test_generate_rewrites_only_an_ecosystem_file_cigen_generated(tmp_path: Path) -> None:
    root = _monorepo(tmp_path / "mono")
    ecosystem = root / "ecosystem.config.js"
    _add_package(root)
    assert run_cigen("generate", "--exit-code", "--root", str(root)).exit_code == 1
    assert '"name": "@m/worker"' in ecosystem.read_text()
    assert run_cigen("generate", "--exit-code", "--root", str(root)).exit_code == 0

    ecosystem.write_text("module.exports = { apps: [] }; // mine\n")
    (root / "services/worker/package.json").unlink()
    assert run_cigen("generate", "--root", str(root)).exit_code == 0
    assert ecosystem.read_text() == "module.exports = { apps: [] }; // mine\n"
    ecosystem.unlink()
    assert run_cigen("generate", "--root", str(root)).exit_code == 0
    assert not ecosystem.exists()


# -- the real pre-commit ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hook_repository() -> tuple[Path, str]:
    """This checkout's current files committed into .cache/pre-commit-hook-repo-DIGEST: (path, commit).

    The folder is named by a digest of the files, so pytest-xdist workers (each has its own
    session) and concurrent runs of the suite share it while the files are the same, and never
    delete it from under each other when they differ. It is made under a temporary name and
    renamed into place, so a folder of that name is always complete; the commit has fixed
    dates, so the same files give the same commit and pre-commit reuses its hook environment.
    """
    listed = sh(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO_ROOT)
    files = sorted({name for name in listed.stdout.split("\0") if name and (REPO_ROOT / name).exists()})
    digest = hashlib.sha256()
    for name in files:
        source = REPO_ROOT / name
        if source.is_symlink():
            content = b"link " + os.readlink(source).encode()
        elif source.is_file():
            content = (b"exec " if os.access(source, os.X_OK) else b"file ") + source.read_bytes()
        else:
            continue
        digest.update(f"{name}\0{len(content)}\0".encode() + content)
    target = CACHE / f"pre-commit-hook-repo-{digest.hexdigest()[:16]}"
    if not target.is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".pre-commit-hook-repo-", dir=CACHE))
        for name in files:
            source, dest = REPO_ROOT / name, partial / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                dest.symlink_to(os.readlink(source))
            elif source.is_file():
                shutil.copy2(source, dest)
        git(partial, "init", "-q", "-b", "main")
        git(partial, "add", "-A")
        result = sh(["git", "commit", "-q", "-m", "cigen as checked out"], partial, **FIXED_DATES)
        assert result.returncode == 0, result.stderr
        try:
            partial.rename(target)
        except OSError:  # another worker made it first: the same files, the same commit
            shutil.rmtree(partial, ignore_errors=True)
    return target, git(target, "rev-parse", "HEAD")


def _monorepo(root: Path) -> Path:
    """A git repository: @m/lib <- @m/api (a service), its workflow and ecosystem file generated and committed."""
    def write(rel: str, data: object) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(data, indent=2) + "\n")

    write("package.json", {"name": "m", "private": True, "workspaces": ["packages/*", "services/*"]})
    write("packages/lib/package.json", {"name": "@m/lib", "version": "1.0.0", "scripts": {"build": "true"}})
    write("services/api/package.json", {"name": "@m/api", "version": "1.0.0", "scripts": {"start": "node ."},
                                        "dependencies": {"@m/lib": "*"}})
    assert run_cigen("generate", "--root", str(root)).exit_code == 0
    assert run_cigen("ecosystem", "--root", str(root)).exit_code == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the monorepo")
    return root


def _add_package(root: Path, depends_on: str = "@m/lib") -> None:
    """A service, @m/worker: on @m/lib it sits beside @m/api; on @m/api it is a level deeper (a new stage)."""
    folder = root / "services/worker"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps(
        {"name": "@m/worker", "version": "1.0.0", "scripts": {"start": "node ."}, "dependencies": {depends_on: "*"}}))
    git(root, "add", "services/worker/package.json")


def _add_library(root: Path) -> None:
    """A library with no workspace dependencies: one more member of the first stage, not a service."""
    folder = root / "packages/util"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": "@m/util", "version": "1.0.0", "scripts": {"build": "true"}}))
    git(root, "add", "packages/util/package.json")


def _stage_jobs(root: Path) -> list[str]:
    workflow = yaml.safe_load((root / WORKFLOW).read_text())
    return sorted(job for job in workflow["jobs"] if job.startswith("stage-"))


@pytest.mark.slow
def test_try_repo_fails_once_for_a_package_that_adds_a_stage_then_passes(
    hook_repository: tuple[Path, str], cigen_wheelhouse: Path, tmp_path: Path
) -> None:
    hook_repo, rev = hook_repository
    repo = _monorepo(tmp_path / "mono")
    _add_package(repo, depends_on="@m/api")
    argv = [PRE_COMMIT, "try-repo", str(hook_repo), "cigen-generate", "--ref", rev]
    # try-repo installs the hook afresh each time: from the wheels cigen needs (the pip of a
    # developer with a package mirror), not by searching this machine's whole index twice.
    mirror = package_mirror(cigen_wheelhouse)

    first = sh(argv, repo, **mirror)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert f"cigen: wrote {WORKFLOW}" in first.stdout
    assert _stage_jobs(repo) == ["stage-0", "stage-1", "stage-2", "stage-3"]
    assert '"name": "@m/worker"' in (repo / "ecosystem.config.js").read_text()

    git(repo, "add", "-A")
    second = sh(argv, repo, **mirror)
    assert second.returncode == 0, second.stdout + second.stderr
    assert re.search(r"cigen generate\.+Passed", second.stdout)


@pytest.fixture
def installed(
    hook_repository: tuple[Path, str], cigen_wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A monorepo with both hooks installed as its git pre-commit hook (environments cached in .cache/).

    The hook's environment, made at its first run for each version of the files, installs from
    the run's cigen wheelhouse, as try-repo's does (the commands below see it through sh()).
    """
    for name, value in package_mirror(cigen_wheelhouse).items():
        monkeypatch.setenv(name, value)
    hook_repo, rev = hook_repository
    repo = _monorepo(tmp_path / "mono")
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{
        "repo": str(hook_repo), "rev": rev, "hooks": [{"id": "cigen-generate"}, {"id": "cigen-check"}],
    }]}))
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "pre-commit")
    result = sh([PRE_COMMIT, "install"], repo, PRE_COMMIT_HOME=str(CACHE / "pre-commit"))
    assert result.returncode == 0, result.stdout + result.stderr
    return repo


def commit(repo: Path, message: str) -> subprocess.CompletedProcess[str]:
    return sh(["git", "commit", "-m", message], repo, PRE_COMMIT_HOME=str(CACHE / "pre-commit"))


def _fails_once_then_passes(repo: Path, message: str, rewritten: list[str]) -> None:
    """The commit fails, the hook having rewritten exactly these files; staged, the same commit passes."""
    failed = commit(repo, message)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "files were modified by this hook" in failed.stderr
    assert git(repo, "rev-list", "--count", "HEAD") == "2"
    assert sorted(git(repo, "diff", "--name-only").split()) == rewritten

    git(repo, "add", "-A")
    passed = commit(repo, message)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    shown = passed.stdout + passed.stderr  # as a git hook, pre-commit's report goes to stderr
    assert re.search(r"cigen generate\.+Passed", shown) and re.search(r"cigen check\.+Passed", shown)
    assert git(repo, "rev-list", "--count", "HEAD") == "3"
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_a_commit_adding_a_package_that_adds_a_stage_fails_once_then_the_next_commit_passes(installed: Path) -> None:
    repo = installed
    assert _stage_jobs(repo) == ["stage-0", "stage-1", "stage-2"]
    _add_package(repo, depends_on="@m/api")
    _fails_once_then_passes(repo, "add the worker", [WORKFLOW, "ecosystem.config.js"])
    assert _stage_jobs(repo) == ["stage-0", "stage-1", "stage-2", "stage-3"]
    assert '"name": "@m/worker"' in (repo / "ecosystem.config.js").read_text()


@pytest.mark.slow
def test_a_commit_changing_what_cigen_yaml_puts_in_the_workflow_fails_once_then_the_next_commit_passes(
    installed: Path,
) -> None:
    repo = installed
    (repo / "cigen.yaml").write_text("workflow:\n  timeout_minutes: 30\n")
    git(repo, "add", "cigen.yaml")
    _fails_once_then_passes(repo, "legs get 30 minutes", [WORKFLOW])
    assert yaml.safe_load((repo / WORKFLOW).read_text())["jobs"]["stage-1"]["timeout-minutes"] == 30


@pytest.mark.slow
def test_a_commit_adding_a_library_at_an_existing_depth_passes_at_once(installed: Path) -> None:
    repo = installed
    before = {name: (repo / name).read_bytes() for name in (WORKFLOW, LEG_ACTION, "ecosystem.config.js")}
    _add_library(repo)
    result = commit(repo, "add util")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"cigen generate\.+Passed", result.stderr) and re.search(r"cigen check\.+Passed", result.stderr)
    assert {name: (repo / name).read_bytes() for name in before} == before
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_the_check_hook_fails_on_a_stale_workflow_and_writes_nothing(installed: Path) -> None:
    repo = installed
    workflow = repo / ".github/workflows/cigen.yml"
    stale = workflow.read_text().replace("timeout-minutes: 15", "timeout-minutes: 14", 1)
    workflow.write_text(stale)
    result = sh([PRE_COMMIT, "run", "cigen-check", "--all-files"], repo, PRE_COMMIT_HOME=str(CACHE / "pre-commit"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "-  timeout-minutes: 14" in result.stdout or "-    timeout-minutes: 14" in result.stdout
    assert "is out of date; run `cigen generate`" in result.stdout
    assert workflow.read_text() == stale


@pytest.mark.slow
def test_a_commit_touching_no_input_skips_both_hooks(installed: Path) -> None:
    repo = installed
    (repo / "packages/lib/index.js").write_text("module.exports = 1;\n")
    git(repo, "add", "-A")
    result = commit(repo, "code only")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"cigen generate\.+\(no files to check\)Skipped", result.stderr)
    assert re.search(r"cigen check\.+\(no files to check\)Skipped", result.stderr)
