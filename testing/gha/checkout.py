"""actions/checkout, for real: a fresh clone of the source repository into the workspace.

It mirrors what the action does with its defaults: empty the target folder
(whatever was there, downloaded artifacts included, is gone), ``git init``,
fetch the event's commit with ``--depth`` = ``fetch-depth`` (default 1; 0 =
all branches and tags, then the commit itself if no branch holds it, as for a
pull request's merge commit), then check out a local branch for a branch ref
or a detached HEAD otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cigen.adapters.proc import CommandFailed, run
from testing.gha.model import ActionError

if TYPE_CHECKING:
    from testing.gha.actions import LegContext

_SHA = re.compile(r"[0-9a-f]{40}")
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}


def _git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd=cwd, env=_GIT_ENV, timeout=300).stdout.strip()


def _resolve(source: Path, ref: str) -> tuple[str, str]:
    """(full ref, commit) of a branch, tag, full ref or SHA in the source repository."""
    if _SHA.fullmatch(ref):
        return "", ref
    for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
        if not candidate.startswith("refs/"):
            continue
        try:
            return candidate, _git(source, "rev-parse", "--verify", f"{candidate}^{{commit}}")
        except CommandFailed:
            continue
    raise ActionError(f"A branch or tag with the name '{ref}' could not be found")


def _local_ref(ref: str) -> str:
    if ref.startswith("refs/heads/"):
        return "refs/remotes/origin/" + ref[len("refs/heads/") :]
    if ref.startswith("refs/pull/"):
        return "refs/remotes/pull/" + ref[len("refs/pull/") :]
    return ref  # tags keep their name; "" for a bare SHA


def _flag(inputs: dict[str, str], name: str, default: bool) -> bool:
    return inputs.get(name, str(default)).strip().lower() == "true"


def checkout(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, Any], str]:
    github = leg.github
    repository = inputs.get("repository", "") or github["repository"]
    if repository.lower() != github["repository"].lower():
        raise ActionError(f"only the workflow's own repository can be checked out locally, not {repository!r}")
    for unsupported in ("sparse-checkout", "filter"):
        if inputs.get(unsupported):
            raise ActionError(f"checkout's {unsupported} is not supported by the local executor")
    if _flag(inputs, "lfs", False) or inputs.get("submodules", "false").lower() not in ("", "false"):
        raise ActionError("checkout of LFS files or submodules is not supported by the local executor")
    target = Path(os.path.normpath(leg.workspace / inputs.get("path", "")))
    if target != leg.workspace and leg.workspace not in target.parents:
        raise ActionError(f"Repository path '{target}' is not under '{leg.workspace}'")
    try:
        depth = int(inputs.get("fetch-depth", "1") or "1")
    except ValueError:
        raise ActionError(f"fetch-depth must be a number, got {inputs['fetch-depth']!r}") from None

    if inputs.get("ref"):
        ref, commit = _resolve(leg.source_repo, inputs["ref"])
    else:
        ref, commit = github["ref"], github["sha"]

    if target.exists():
        for child in target.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    target.mkdir(parents=True, exist_ok=True)
    _git(target, "init", "--quiet", "--initial-branch=cigen-local-unborn")
    _git(target, "remote", "add", "origin", leg.source_repo.resolve().as_uri())
    _git(target, "config", "--local", "gc.auto", "0")
    local = _local_ref(ref)
    wanted = f"+{commit}:{local}" if local else commit
    if depth > 0:
        tags = [] if _flag(inputs, "fetch-tags", False) else ["--no-tags"]
        _git(target, "fetch", *tags, "--prune", "--no-recurse-submodules", f"--depth={depth}", "origin", wanted)
    else:
        _git(target, "fetch", "--prune", "--no-recurse-submodules", "origin",
             "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
        try:
            _git(target, "cat-file", "-e", f"{commit}^{{commit}}")
        except CommandFailed:
            _git(target, "fetch", "--prune", "--no-recurse-submodules", "origin", wanted)
    if ref.startswith("refs/heads/"):
        branch = ref[len("refs/heads/") :]
        _git(target, "checkout", "--quiet", "--force", "-B", branch, local)
    else:
        _git(target, "checkout", "--quiet", "--force", "--detach", commit)
    head = _git(target, "rev-parse", "HEAD")
    log = f"checked out {ref or commit} at {head} into {target} (fetch-depth {depth})"
    return {"ref": ref, "commit": head}, log
