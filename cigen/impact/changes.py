"""What changed: the caller's question (two revisions, the working tree, a list of files,
or the GitHub event of the running workflow) turned into changed paths.

This is the effectful half of change impact (it runs git through
:mod:`cigen.adapters.git`); :mod:`cigen.impact.affected` decides what the paths mean. Every
way of failing to find a base ends in a :class:`ChangeSet` whose
``everything`` says why, and a warning: never in a silently empty change.
"""

from __future__ import annotations

import json
import posixpath
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cigen import reporting
from cigen.adapters import git
from cigen.adapters.github_env import event_range, read_event
from cigen.adapters.proc import CommandFailed
from cigen.impact.affected import MANIFESTS, NARROWABLE_LOCKFILES, LockfileImpact, removed_member_folders
from cigen.errors import InputError
from cigen.impact.lockfiles import lockfile_impact
from cigen.model import Workspace



@dataclass(frozen=True)
class ChangeSet:
    files: tuple[str, ...]  # changed paths relative to the monorepo root, sorted (both sides of renames)
    deleted: tuple[str, ...] = ()  # the changed paths that no longer exist
    base: str | None = None  # as the caller named it
    head: str | None = None
    merge_base: str | None = None
    everything: str | None = None  # why every service runs regardless of the files
    repo: Path | None = None  # the git repository, to read old versions of files
    prefix: str = ""  # the monorepo root inside the repository ("" or "sub/dir/")
    old_rev: str | None = None  # what the files are compared against (None: unknown)
    new_rev: str | None = None  # the compared revision (None: the working tree)


def _to_root(path: str, prefix: str) -> str:
    """A repository-relative path made relative to the monorepo root ("../x" when outside it)."""
    if not prefix:
        return path
    if path.startswith(prefix):
        return path[len(prefix):]
    return posixpath.relpath(path, prefix.rstrip("/"))


def _collect(changes: Iterable[git.FileChange], prefix: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    files: set[str] = set()
    deleted: set[str] = set()
    for c in changes:
        files.add(_to_root(c.path, prefix))
        if c.old_path is not None:
            # A rename counts both paths: the old folder lost a file, the new one gained it.
            files.add(_to_root(c.old_path, prefix))
            if c.status == "R":
                deleted.add(_to_root(c.old_path, prefix))
        if c.status == "D":
            deleted.add(_to_root(c.path, prefix))
    return tuple(sorted(files)), tuple(sorted(deleted))


def _origin_refspec(ref: str) -> tuple[str, ...]:
    """The refspec that fetches ``origin/x`` / ``refs/remotes/origin/x``, or the name itself."""
    for lead in ("refs/remotes/origin/", "origin/"):
        if ref.startswith(lead):
            branch = ref[len(lead):]
            return (f"+refs/heads/{branch}:refs/remotes/origin/{branch}",)
    return (ref,)


def between(
    root: Path, base: str, head: str = "HEAD", *, fetch: tuple[str, ...] | None = None, event: bool = False
) -> ChangeSet:
    """Files changed from the merge-base of ``base`` and ``head`` to ``head``.

    A base missing from the clone is fetched from origin; a shallow clone is
    deepened in bounded steps. With ``event`` (the base came from GitHub, not
    from the user) a base that still cannot be found runs everything instead
    of failing.
    """
    repo, prefix = git.toplevel(root)
    head_sha = git.resolve(repo, head)
    if head_sha is None:
        raise InputError(f"unknown revision {head!r} (--head)", hint="name a branch, tag or commit of this repository")
    refspecs = fetch if fetch is not None else _origin_refspec(base)
    base_sha = git.resolve(repo, base)
    if base_sha is None and git.has_remote(repo):
        try:
            git.fetch(repo, *refspecs, depth=1 if git.is_shallow(repo) else None)
        except CommandFailed as exc:
            reporting.warn(f"could not fetch {base} from origin: {exc.stderr.strip() or exc}")
        base_sha = git.resolve(repo, base)
    if base_sha is None:
        if not event:
            raise InputError(f"unknown revision {base!r} (--base)", hint="fetch it first, or name a branch, tag or commit")
        why = f"the base {base} could not be fetched, so everything runs"
        reporting.warn(why)
        return ChangeSet((), base=base, head=head, everything=why, repo=repo, prefix=prefix)

    current = git.resolve(repo, "HEAD")
    if head_sha != current:
        reporting.warn(f"the service graph is read from the working tree (HEAD), not from {head}")
    merge_base = git.find_merge_base(repo, base_sha, head_sha, (*refspecs, head_sha))
    if merge_base is None:
        if git.is_shallow(repo):
            why = (f"no merge-base of {base} and {head} within {sum(git.DEEPEN_STEPS)} more commits of this "
                   "shallow clone, so everything runs (check out with fetch-depth: 0 to avoid this)")
        else:
            why = f"{base} and {head} share no history, so everything runs"
        reporting.warn(why)
        return ChangeSet((), base=base, head=head, everything=why, repo=repo, prefix=prefix)
    files, deleted = _collect(git.diff(repo, merge_base, head_sha), prefix)
    return ChangeSet(files, deleted, base, head, merge_base, None, repo, prefix, merge_base, head_sha)


def working_tree(root: Path) -> ChangeSet:
    """Uncommitted changes: staged, unstaged and untracked (not ignored) files against HEAD."""
    repo, prefix = git.toplevel(root)
    head = git.head_or_empty_tree(repo)
    changes = git.diff(repo, head, None)
    changes += [git.FileChange("A", path) for path in git.untracked(repo)]
    files, deleted = _collect(changes, prefix)
    old = None if head == git.EMPTY_TREE else head
    return ChangeSet(files, deleted, "HEAD", None, old, None, repo, prefix, old, None)


def listed(root: Path, paths: Iterable[str]) -> ChangeSet:
    """A list of changed files given by the caller, relative to the root (or absolute below it).

    A path outside the root is refused, written absolute or relative alike:
    ``../x`` matched no member and was silently dropped, so the answer was
    "nothing affected" for a file the caller thought counted.
    """
    files = set()
    for raw in paths:
        text = raw.strip().replace("\\", "/")
        if not text:
            continue
        if posixpath.isabs(text):
            try:
                text = Path(text).resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                text = ".."
        text = posixpath.normpath(text)
        if text == ".." or text.startswith("../"):
            raise InputError(f"{raw!r} is not inside the monorepo root {root}",
                             hint="list paths relative to the root")
        files.add(text)
    return ChangeSet(tuple(sorted(files)))


def from_event(root: Path, env: Mapping[str, str] | None = None) -> ChangeSet:
    """The change a GitHub Actions run is about, from its event (see :func:`cigen.adapters.github_env.event_range`)."""
    name, payload = read_event(env)
    found = event_range(name, payload)
    if found.everything is not None or found.base is None:
        return ChangeSet((), base=None, head="HEAD", everything=found.everything)
    return between(root, found.base, "HEAD", fetch=found.fetch, event=True)


def _read(changes: ChangeSet, rev: str | None, path: str, root: Path) -> str | None:
    if rev is None:
        file = root / path
        return file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None
    assert changes.repo is not None
    return git.show(changes.repo, rev, changes.prefix + path)


def lockfile_impacts(changes: ChangeSet, workspace: Workspace) -> dict[str, LockfileImpact]:
    """For each changed root lockfile, the members whose resolved dependencies changed."""
    out: dict[str, LockfileImpact] = {}
    for name in NARROWABLE_LOCKFILES:
        if name not in changes.files:
            continue
        if changes.old_rev is None:
            out[name] = LockfileImpact(None, f"{name} changed and there is no base revision to compare it with")
            continue
        old = _read(changes, changes.old_rev, name, workspace.root)
        new = _read(changes, changes.new_rev, name, workspace.root)
        out[name] = lockfile_impact(name, old, new, workspace)
    return out


def removed_members(changes: ChangeSet, workspace: Workspace) -> dict[str, str | None]:
    """Folder -> former name of each member the change removed (name None when unreadable)."""
    out: dict[str, str | None] = {}
    for folder in removed_member_folders(changes.deleted, workspace):
        name = None
        if changes.old_rev is not None:
            for manifest in MANIFESTS:
                path = manifest if folder == "." else f"{folder}/{manifest}"
                text = _read(changes, changes.old_rev, path, workspace.root)
                if text is not None:
                    name = name or _manifest_name(manifest, text)
        out[folder] = name
    return out


def _manifest_name(manifest: str, text: str) -> str | None:
    try:
        if manifest == "package.json":
            name = json.loads(text).get("name")
        else:
            data = tomllib.loads(text)
            name = (data.get("project") or {}).get("name") or ((data.get("tool") or {}).get("poetry") or {}).get("name")
    except (ValueError, AttributeError, RecursionError):  # a former manifest is history, not input: no name
        return None
    return name if isinstance(name, str) else None
