"""cigen's own git worktrees: detached checkouts of the current commit, kept in one folder git already ignores.

``cigen run --worktree`` runs each service of a parallel group in a worktree
of its own. They live in ``<git common dir>/cigen-worktrees/`` (``.git/`` of
the main checkout), so nothing shows in ``git status`` and every worktree of
the repository finds them; each is detached (``git worktree add --detach``),
so no branch is created, moved or checked out. What is cigen's is decided by
path alone, from ``git worktree list --porcelain``: a worktree outside that
folder (the user's own) is never reset, moved or removed, and ``git worktree
prune``, which would forget the user's missing worktrees too, is never run.

A worktree is made under a partial name, filled (the caller's changes and
links), and renamed (``git worktree move``) once all of that is complete, so
an interrupted ``cigen run`` (Ctrl-C, even SIGKILL) leaves no half-made
worktree under a real name: the partial is removed at once, or by the next
run when the process was killed. Every call takes the folder's lock: two ``cigen run
--worktree`` of one repository cannot reset each other's trees.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cigen.adapters.proc import Completed, run
from cigen.errors import InputError

FOLDER = "cigen-worktrees"
_PARTIAL = ".partial-"
# Hooks are the user's, for their checkouts: a post-checkout hook (husky, lefthook) never runs in cigen's.
_NO_HOOKS = ("-c", f"core.hooksPath={os.devnull}")


def _git(repo: Path, *args: str, check: bool = True) -> Completed[str]:
    return run(["git", *_NO_HOOKS, *args], cwd=repo, check=check, timeout=600)


def folder(top: Path) -> Path:
    """Where cigen keeps the worktrees of the repository whose top level is ``top``."""
    common = _git(top, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout.strip()
    return Path(common) / FOLDER


def listed(top: Path) -> list[Path]:
    """Every worktree of the repository (the main one first), as ``git worktree list --porcelain`` has them."""
    out = _git(top, "worktree", "list", "--porcelain", "-z").stdout
    return [Path(field[len("worktree "):]) for field in out.split("\0") if field.startswith("worktree ")]


def ours(top: Path) -> list[Path]:
    """The worktrees in cigen's folder; the user's, anywhere else, are left out."""
    home = folder(top).resolve()
    return [p for p in listed(top) if p.resolve().parent == home]


@contextmanager
def locked(top: Path) -> Iterator[Path]:
    """Hold cigen's worktree folder for the block (created when missing); its path."""
    home = folder(top)
    home.mkdir(exist_ok=True)
    with open(home / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise InputError(f"another cigen run is using the worktrees in {home}",
                             hint="wait for it to end, or run without --worktree") from None
        yield home


def ensure(top: Path, home: Path, name: str, commit: str, registered: Iterable[Path],
           fill: Callable[[Path], None] = lambda tree: None) -> Path:
    """The worktree ``name`` at ``commit``, clean (ignored files kept), then ``fill``ed: reused when it exists,
    else made whole under a partial name and only then given its own.

    ``registered``: :func:`ours` read once by the caller. Building outputs and
    linked ``node_modules`` are ignored files, so they survive the reuse. A
    reused worktree that an interrupted run left half filled is reset and
    filled again by the next run.
    """
    final = home / name
    if final in set(registered) and (final / ".git").is_file():
        _git(final, "reset", "--quiet", "--hard", commit)
        _git(final, "clean", "--quiet", "-fd")
        fill(final)
        return final
    _discard(top, final)
    partial = home / f"{_PARTIAL}{name}"
    _discard(top, partial)
    try:
        _git(top, "worktree", "add", "--quiet", "--detach", str(partial), commit)
        fill(partial)
        _git(top, "worktree", "move", str(partial), str(final))
    except BaseException:
        _discard(top, partial)
        raise
    return final


def discard_partials(top: Path, home: Path) -> None:
    """Remove what an interrupted run left half made."""
    for leftover in home.glob(f"{_PARTIAL}*"):
        _discard(top, leftover)


def remove_all(top: Path) -> list[Path]:
    """Remove every worktree of cigen's (and the partial ones), never another; those removed."""
    with locked(top) as home:
        removed = ours(top)
        for tree in removed:
            _discard(top, tree)
        discard_partials(top, home)
    shutil.rmtree(home, ignore_errors=True)
    return removed


def _discard(top: Path, tree: Path) -> None:
    """Remove the worktree at ``tree`` (registered or not) and its folder."""
    if tree.exists() or tree.is_symlink():
        _git(top, "worktree", "remove", "--force", "--force", str(tree), check=False)
    if tree.is_symlink() or tree.is_file():
        tree.unlink()
    elif tree.exists():
        shutil.rmtree(tree)


def changed_files(top: Path) -> list[str]:
    """Paths (repository-relative) whose working-tree state differs from HEAD: tracked changes, staged or not,
    and untracked files .gitignore does not exclude."""
    tracked = _git(top, "diff", "--name-only", "-z", "--no-renames", "HEAD", "--").stdout.split("\0")
    untracked = _git(top, "ls-files", "-z", "--others", "--exclude-standard").stdout.split("\0")
    return sorted({p for p in (*tracked, *untracked) if p})


def carry(top: Path, tree: Path, paths: Iterable[str]) -> None:
    """Make ``paths`` in ``tree`` what they are in the main working tree at ``top`` (a deletion included)."""
    for path in paths:
        source, target = top / path, tree / path
        if target.is_symlink() or target.is_file():
            target.unlink()
        if source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def link(source: Path, target: Path) -> None:
    """``target`` becomes a symbolic link to ``source`` when ``source`` exists and nothing is at ``target``."""
    if source.exists() and not target.exists() and not target.is_symlink() and target.parent.is_dir():
        target.symlink_to(source, target_is_directory=source.is_dir())


def replace(source: Path, target: Path) -> None:
    """Copy the file or folder ``source`` over ``target``; readers of ``target`` never see it half copied.

    The copy is made beside ``target`` and renamed into place; only then is the
    old one removed.
    """
    staging = target.with_name(f".{target.name}.cigen-copy")
    old = target.with_name(f".{target.name}.cigen-old")
    for leftover in (staging, old):
        _remove(leftover)
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, staging, symlinks=True)
    else:
        shutil.copy2(source, staging, follow_symlinks=False)
    if target.exists() or target.is_symlink():
        target.rename(old)
    staging.rename(target)
    _remove(old)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
