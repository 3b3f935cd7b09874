"""The events that start a local run, built from a real git repository.

``pull_request_event`` does what GitHub does for a pull request: it creates
the test merge commit of the head branch into the base branch (parents: base,
head) under ``refs/pull/<n>/merge``, and the run checks out that commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cigen.adapters.proc import run
from testing.gha.model import WorkflowError

ZERO_SHA = "0" * 40
_IDENTITY = {
    "GIT_AUTHOR_NAME": "GitHub",
    "GIT_AUTHOR_EMAIL": "noreply@github.com",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


@dataclass(frozen=True)
class Event:
    name: str  # github.event_name
    ref: str  # github.ref
    sha: str  # github.sha
    payload: dict[str, Any]  # github.event
    inputs: dict[str, Any] = field(default_factory=dict)  # workflow_dispatch inputs as given
    head_ref: str = ""
    base_ref: str = ""


def _git(repo: Path, *args: str) -> str:
    return run(["git", *args], cwd=repo, env=_IDENTITY).stdout.strip()


def _repository(repo: Path, default_branch: str) -> dict[str, Any]:
    name = repo.resolve().name
    return {"name": name, "full_name": f"cigen-local/{name}", "default_branch": default_branch}


def push_event(repo: Path, branch: str = "main", *, before: str | None = None) -> Event:
    """A push of ``branch``'s tip; ``before`` defaults to its parent (zeros for a first commit)."""
    sha = _git(repo, "rev-parse", f"refs/heads/{branch}")
    if before is None:
        parents = _git(repo, "rev-list", "--parents", "-n", "1", sha).split()[1:]
        before = parents[0] if parents else ZERO_SHA
    payload = {
        "ref": f"refs/heads/{branch}",
        "before": before,
        "after": sha,
        "created": before == ZERO_SHA,
        "forced": False,
        "head_commit": {"id": sha, "message": _git(repo, "log", "-1", "--format=%B", sha)},
        "repository": _repository(repo, branch),
    }
    return Event("push", f"refs/heads/{branch}", sha, payload)


def dispatch_event(repo: Path, inputs: dict[str, Any] | None = None, branch: str = "main") -> Event:
    """A manual ``workflow_dispatch`` on ``branch`` with these inputs."""
    sha = _git(repo, "rev-parse", f"refs/heads/{branch}")
    payload = {"ref": f"refs/heads/{branch}", "inputs": dict(inputs or {}), "repository": _repository(repo, branch)}
    return Event("workflow_dispatch", f"refs/heads/{branch}", sha, payload, dict(inputs or {}))


def pull_request_event(
    repo: Path, base: str = "main", head: str = "feature", number: int = 1, *, fork: str | None = None
) -> Event:
    """A pull request from ``head`` into ``base``: the merge commit is created as GitHub does.

    ``fork`` names the repository the head branch lives in (``someone/repo``)
    when it is not this one, as for a pull request from a fork.
    """
    base_sha = _git(repo, "rev-parse", f"refs/heads/{base}")
    head_sha = _git(repo, "rev-parse", f"refs/heads/{head}")
    merged = run(["git", "merge-tree", "--write-tree", base_sha, head_sha], cwd=repo, check=False)
    if merged.returncode != 0:
        raise WorkflowError(f"{head} does not merge cleanly into {base}: {merged.stdout.strip()}")
    tree = merged.stdout.split()[0]
    message = f"Merge {head_sha} into {base_sha}"
    merge_sha = _git(repo, "commit-tree", tree, "-p", base_sha, "-p", head_sha, "-m", message)
    _git(repo, "update-ref", f"refs/pull/{number}/merge", merge_sha)
    _git(repo, "update-ref", f"refs/pull/{number}/head", head_sha)
    repository = _repository(repo, base)
    payload = {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"ref": head, "sha": head_sha, "repo": {"full_name": fork or repository["full_name"]}},
            "base": {"ref": base, "sha": base_sha, "repo": {"full_name": repository["full_name"]}},
            "merge_commit_sha": merge_sha,
            "user": {"login": "contributor"},
            "title": f"Change {head}",
        },
        "repository": repository,
    }
    return Event("pull_request", f"refs/pull/{number}/merge", merge_sha, payload, head_ref=head, base_ref=base)
