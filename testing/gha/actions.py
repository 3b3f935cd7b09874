"""The ``uses:`` actions the local executor knows, and what each does on this machine.

- actions/checkout: a real clone of the source repository into the workspace
  (see :mod:`testing.gha.checkout`).
- actions/upload-artifact, actions/download-artifact: real, on disk
  (see :mod:`testing.gha.artifacts`).
- Toolchain setup and caching (setup-node, setup-python, pnpm/action-setup,
  setup-uv, setup-bun, cache): no-ops, because this machine already has node and
  Python. setup-python gives the job its own virtual environment (a copy of
  one made once per interpreter), so that ``pip install`` lands in the job,
  never in the machine's Python; setup-uv puts
  the dev environment's uv (a test extra) on PATH. Requested versions are
  logged, not installed. A cache is always a miss, as on a first run.
- actions/github-script: the script runs under node against a local stand-in
  of the REST API for comments (see :mod:`testing.gha.github_script`).
- Anything else fails the step: an action the executor cannot honour must
  not pass silently.

Inputs are checked against the action's declared inputs; GitHub only warns
about an unexpected input, but a typo in a generated workflow is a bug.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cigen.errors import ToolError
from cigen.adapters.proc import run
from testing.gha import artifacts, checkout
from testing.gha.github_script import INPUTS as GITHUB_SCRIPT_INPUTS
from testing.gha.github_script import github_script
from testing.gha.environment import base_path
from testing.gha.model import ActionError
from testing.paths import REPO_ROOT


class LegContext(Protocol):
    """What an action may see and change of the leg it runs in."""

    workspace: Path
    temp: Path
    home: Path
    tool_dir: Path
    artifact_store: Path
    run_id: str
    source_repo: Path
    github: dict[str, Any]
    spec: dict[str, Any]  # the job's
    files_used: int
    step_env: dict[str, str]  # the process environment of the running step

    def add_path(self, directory: Path) -> None: ...

    def set_env(self, name: str, value: str) -> None: ...


Handler = Callable[[LegContext, dict[str, str]], tuple[dict[str, str], str]]


@dataclass(frozen=True)
class Action:
    inputs: frozenset[str]
    required: frozenset[str]
    run: Handler


def _checkout(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
    return checkout.checkout(leg, inputs)


def _upload(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
    return artifacts.upload(leg.artifact_store, inputs, leg.workspace, leg.home)


def _download(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
    return artifacts.download(leg.artifact_store, inputs, leg.workspace, leg.home, leg.run_id)


def _version_of(argv: list[str]) -> str:
    try:
        out = run(argv, check=False, timeout=60).stdout.strip()
    except ToolError:
        return ""
    return out.split()[-1].lstrip("v") if out else ""


def _setup_node(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
    version = _version_of(["node", "--version"])
    wanted = inputs.get("node-version", "")
    log = f"setup-node: using this machine's node {version} (asked for {wanted or 'the default'})"
    return {"node-version": f"v{version}", "cache-hit": "false"}, log


def _venv_template(base: str) -> Path:
    """``python -m venv`` of ``base``, made once per machine and interpreter and kept in .cache/.

    Making a venv installs pip (ensurepip), about 3.5 s of CPU; copying a made one takes a
    tenth of a second. The key follows the interpreter's real path, size and modification
    time, so an upgraded Python gets a new template; an flock lets one test worker make it
    while the others wait.
    """
    real = Path(base).resolve()
    stat = real.stat()
    key = hashlib.sha256(f"{real}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = REPO_ROOT / ".cache" / "gha-venv"
    template = cache / key
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            partial = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=cache))
            shutil.rmtree(partial)
            run([base, "-m", "venv", str(partial)], timeout=300)
            _relocate(partial, partial, template)
            partial.rename(template)
    return template


def _relocate(venv: Path, old: Path, new: Path) -> None:
    """Point a venv made at ``old`` (now at ``venv``) to ``new``: its scripts' shebangs, activate, pyvenv.cfg.

    The rest does not name its folder (compiled files get their path fixed when imported).
    """
    for path in [venv / "pyvenv.cfg", *(venv / "bin").iterdir()]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if str(old).encode() in data:
            path.write_bytes(data.replace(str(old).encode(), str(new).encode()))


def _new_venv(base: str, venv: Path) -> None:
    """What ``base -m venv VENV`` makes, copied from the template."""
    template = _venv_template(base)
    shutil.copytree(template, venv, symlinks=True)
    _relocate(venv, template, venv)


def _setup_python(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
    venv = leg.tool_dir / "python"
    if not venv.exists():
        # The machine's Python, isolated: what the job installs stays in the job.
        base = shutil.which("python3", path=base_path()) or sys.executable
        _new_venv(base, venv)
    if inputs.get("update-environment", "true").strip().lower() != "false":
        # update-environment: false leaves PATH and the variables alone; only the outputs tell where it is.
        leg.add_path(venv / "bin")
        leg.set_env("pythonLocation", str(venv))
    version = _version_of([str(venv / "bin" / "python"), "--version"])
    log = f"setup-python: a virtual environment of this machine's Python {version} at {venv}"
    return {"python-version": version, "python-path": str(venv / "bin" / "python"), "cache-hit": "false"}, log


def _setup_uv(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
    # uv comes from the dev environment (a test extra), linked alone onto the
    # job's PATH: the rest of that venv (cigen itself) must stay invisible.
    found = Path(sys.executable).with_name("uv")
    uv = found if found.exists() else shutil.which("uv", path=base_path())
    if uv is None:
        raise ActionError("uv is not installed here: pip install -e '.[test]' provides it")
    bin_dir = leg.tool_dir / "uv" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    if not (bin_dir / "uv").exists():
        (bin_dir / "uv").symlink_to(uv)
    leg.add_path(bin_dir)
    # Only this machine's Python exists here; uv must not try to download another.
    leg.set_env("UV_PYTHON_DOWNLOADS", "never")
    version = _version_of([str(uv), "--version"])
    wanted = inputs.get("python-version", "")
    log = f"setup-uv: uv {version} from the dev environment; Python: this machine's (asked for {wanted or 'the default'})"
    return {"uv-version": version, "uv-path": str(bin_dir / "uv"), "cache-hit": "false"}, log


def _noop(what: str, outputs: dict[str, str]) -> Handler:
    def run(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
        return dict(outputs), f"{what}: a no-op on this machine"

    return run


def _any(*names: str) -> frozenset[str]:
    return frozenset(names)


ACTIONS: dict[str, Action] = {
    "actions/checkout": Action(
        _any(
            "repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user",
            "persist-credentials", "path", "clean", "filter", "sparse-checkout", "sparse-checkout-cone-mode",
            "fetch-depth", "fetch-tags", "show-progress", "lfs", "submodules", "set-safe-directory",
            "github-server-url",
        ),
        frozenset(),
        _checkout,
    ),
    "actions/upload-artifact": Action(
        _any(
            "name", "path", "if-no-files-found", "retention-days", "compression-level", "overwrite",
            "include-hidden-files", "archive",
        ),
        _any("path"),
        _upload,
    ),
    "actions/download-artifact": Action(
        _any(
            "name", "artifact-ids", "path", "pattern", "merge-multiple", "github-token", "repository", "run-id",
            "skip-decompress", "digest-mismatch",
        ),
        frozenset(),
        _download,
    ),
    "actions/setup-node": Action(
        _any(
            "node-version", "node-version-file", "architecture", "check-latest", "registry-url", "scope",
            "token", "cache", "package-manager-cache", "cache-dependency-path", "always-auth", "mirror",
            "mirror-token",
        ),
        frozenset(),
        _setup_node,
    ),
    "actions/setup-python": Action(
        _any(
            "python-version", "python-version-file", "cache", "architecture", "check-latest", "token",
            "cache-dependency-path", "update-environment", "allow-prereleases", "freethreaded", "pip-version",
            "pip-install",
        ),
        frozenset(),
        _setup_python,
    ),
    "pnpm/action-setup": Action(
        _any("version", "dest", "run_install", "package_json_file", "standalone"),
        frozenset(),
        _noop("pnpm/action-setup", {}),
    ),
    "astral-sh/setup-uv": Action(
        _any(
            "version", "version-file", "python-version", "activate-environment", "working-directory",
            "checksum", "github-token", "enable-cache", "cache-dependency-glob", "restore-cache", "save-cache",
            "cache-suffix", "cache-local-path", "prune-cache", "cache-python", "ignore-nothing-to-cache",
            "ignore-empty-workdir", "tool-dir", "tool-bin-dir", "manifest-file", "add-problem-matchers",
            "resolution-strategy", "server-url",
        ),
        frozenset(),
        _setup_uv,
    ),
    "oven-sh/setup-bun": Action(
        _any("bun-version", "bun-version-file", "registry-url", "scope", "no-cache", "token"),
        frozenset(),
        _noop("oven-sh/setup-bun", {"cache-hit": "false"}),
    ),
}
ACTIONS["actions/github-script"] = Action(GITHUB_SCRIPT_INPUTS, _any("script"), github_script)
_CACHE_INPUTS = _any(
    "path", "key", "restore-keys", "upload-chunk-size", "enableCrossOsArchive", "fail-on-cache-miss",
    "lookup-only", "save-always",
)
ACTIONS["actions/cache"] = Action(_CACHE_INPUTS, _any("path", "key"), _noop("actions/cache", {"cache-hit": "false"}))
ACTIONS["actions/cache/restore"] = Action(
    _CACHE_INPUTS, _any("path", "key"), _noop("actions/cache/restore", {"cache-hit": "false"})
)
ACTIONS["actions/cache/save"] = Action(_CACHE_INPUTS, _any("path", "key"), _noop("actions/cache/save", {}))

_USES = re.compile(r"(?P<name>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?)@(?P<ref>[^\s@]+)")


def resolve(uses: str) -> Action:
    """The action a ``uses:`` names (any ref: a SHA pin and a tag run the same here)."""
    match = _USES.fullmatch(uses.strip())
    if match is None:
        raise ActionError(f"the local executor cannot run {uses!r} (only owner/repo@ref actions it knows)")
    action = ACTIONS.get(match["name"])
    if action is None:
        known = ", ".join(sorted(ACTIONS))
        raise ActionError(f"the local executor does not know the action {match['name']!r} (it knows {known})")
    return action


def run_action(uses: str, leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
    """Run the action with evaluated ``with:`` inputs; returns its outputs and log."""
    action = resolve(uses)
    unexpected = sorted(set(inputs) - action.inputs)
    if unexpected:
        raise ActionError(f"unexpected input(s) {unexpected} for {uses.split('@')[0]}")
    missing = sorted(name for name in action.required if not inputs.get(name, "").strip())
    if missing:
        raise ActionError(f"Input required and not supplied: {', '.join(missing)}")
    return action.run(leg, inputs)
