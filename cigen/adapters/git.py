"""The few git calls change impact needs, all through :func:`cigen.adapters.proc.run`.

Paths come back exactly as git stores them (``-z`` output, never quoted),
relative to the repository's top level. Nothing here decides what a change
means; :mod:`cigen.impact.changes` does, and :mod:`cigen.impact.affected` turns the result
into services.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cigen import reporting
from cigen.errors import InputError
from cigen.adapters.proc import CommandFailed, Completed, run


REMOTE = "origin"
# A shallow clone is deepened by these many commits at a time (about 2,000 in
# all) while looking for a merge-base: enough for any branch a person reviews,
# bounded so that a wrong base never turns into a full clone of a huge history.
DEEPEN_STEPS = (64, 128, 256, 512, 1024)
# `git hash-object -t tree /dev/null`: the tree of a commit with no files.
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True, slots=True)
class FileChange:
    """One path in a diff. A rename carries both paths: both count as changed."""

    status: str  # git's letter: A added, M modified, D deleted, R renamed, T type, U unmerged, ...
    path: str
    old_path: str | None = None


def _git(repo: Path, *args: str, check: bool = True, timeout: float | None = 600) -> Completed[str]:
    # -c core.quotePath=false: keep non-ASCII names readable in messages;
    # every listing below uses -z anyway, so nothing is ever quoted or escaped.
    return run(["git", "-c", "core.quotePath=false", *args], cwd=repo, check=check, timeout=timeout)


def toplevel(path: Path) -> tuple[Path, str]:
    """The repository holding ``path`` and the prefix of ``path`` inside it ("" or "a/b/")."""
    result = _git(path, "rev-parse", "--show-toplevel", "--show-prefix", check=False)
    if result.returncode != 0:
        raise InputError(
            f"{path} is not inside a git repository",
            hint="run cigen affected in a git checkout, or pass the changed files with --files",
        )
    top, _, prefix = result.stdout.partition("\n")
    return Path(top.strip()), prefix.strip()


def resolve(repo: Path, ref: str) -> str | None:
    """The commit ``ref`` names, or None when the repository does not have it."""
    result = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def merge_base(repo: Path, a: str, b: str) -> str | None:
    """The best common ancestor of ``a`` and ``b``; None when the history has none (yet)."""
    result = _git(repo, "merge-base", "--end-of-options", a, b, check=False)
    if result.returncode == 0:
        return result.stdout.split()[0]
    if result.returncode == 1:
        return None
    raise CommandFailed(["git", "merge-base", a, b], result.returncode, result.stdout, result.stderr)


def is_shallow(repo: Path) -> bool:
    return _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def has_remote(repo: Path, name: str = REMOTE) -> bool:
    return name in _git(repo, "remote").stdout.split()


def fetch(repo: Path, *refspecs: str, depth: int | None = None, deepen: int | None = None) -> None:
    """Fetch ``refspecs`` from origin without tags; raises CommandFailed when git cannot."""
    args = ["fetch", "--quiet", "--no-tags", "--no-recurse-submodules"]
    if depth is not None:
        args.append(f"--depth={depth}")
    if deepen is not None:
        args.append(f"--deepen={deepen}")
    _git(repo, *args, REMOTE, *refspecs)


def find_merge_base(repo: Path, base: str, head: str, refspecs: tuple[str, ...]) -> str | None:
    """The merge-base of ``base`` and ``head``, deepening a shallow clone in bounded steps.

    ``refspecs`` are what to deepen (the base branch and the head commit): a
    detached head, as in a pull request's merge commit, is fetched by its id.
    Returns None when no merge-base turns up within :data:`DEEPEN_STEPS`, or
    when the histories are unrelated; the caller then runs everything.
    """
    found = merge_base(repo, base, head)
    for step in DEEPEN_STEPS:
        if found is not None or not is_shallow(repo) or not has_remote(repo):
            break
        reporting.progress(f"shallow clone: fetching {step} more commits to find the merge-base of {base} and {head}")
        try:
            fetch(repo, *refspecs, deepen=step)
        except CommandFailed as exc:
            reporting.warn(f"could not deepen the shallow clone: {exc.stderr.strip() or exc}")
            return None
        found = merge_base(repo, base, head)
    return found


def _parse_name_status(output: str) -> list[FileChange]:
    fields = output.split("\0")
    changes: list[FileChange] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            changes.append(FileChange(status, fields[i + 2], fields[i + 1]))
            i += 3
        else:
            changes.append(FileChange(status, fields[i + 1]))
            i += 2
    return changes


def diff(repo: Path, base: str, head: str | None) -> list[FileChange]:
    """Files that differ between two commits, or between ``base`` and the working tree (head None)."""
    # --no-ext-diff / --no-textconv: only names are wanted, never a user's diff driver.
    args = ["diff", "-z", "--name-status", "-M", "--no-ext-diff", "--no-textconv", "--no-color", base]
    if head is not None:
        args.append(head)
    return _parse_name_status(_git(repo, *args, "--").stdout)


def untracked(repo: Path) -> list[str]:
    """Files not yet added that .gitignore does not exclude."""
    output = _git(repo, "ls-files", "-z", "--others", "--exclude-standard").stdout
    return [p for p in output.split("\0") if p]


def head_or_empty_tree(repo: Path) -> str:
    """HEAD's commit, or the empty tree in a repository with no commit yet."""
    return resolve(repo, "HEAD") or EMPTY_TREE


def show(repo: Path, rev: str, path: str) -> str | None:
    """The content of ``path`` at ``rev`` (repository-relative), or None when it does not exist there."""
    result = _git(repo, "cat-file", "blob", f"{rev}:{path}", check=False)
    return result.stdout if result.returncode == 0 else None

