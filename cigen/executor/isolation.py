"""``cigen run --worktree``: each service in a git worktree of its own, fed from and feeding the main tree.

:func:`prepare_worktrees` makes (or reuses) a worktree per service of the
current commit (:mod:`cigen.adapters.worktrees`) and brings each up to the main
working tree:

- uncommitted changes: every tracked file that differs from HEAD (staged or
  not, deletions too) and every untracked file .gitignore does not exclude is
  copied over, so a service builds what is on disk, not what is committed;
- installed dependencies, without installing again: each ``node_modules``
  folder of the main tree (the root's and each member's) is linked into the
  worktree. Links resolve to the main tree's real folders, so this holds for
  npm and yarn's node_modules linker (hoisted folders, workspace links
  relative to themselves) and for pnpm (each package's links into the root's
  ``.pnpm`` store, relative too); yarn's Plug'n'Play files (``.pnp.cjs``,
  ``.pnp.loader.mjs``) are linked likewise. A Python environment is not
  linked: a venv holds the absolute paths of its project, and its editable
  workspace members must be the worktree's. The first ``uv run`` in a
  worktree makes the worktree's own ``.venv``: third-party packages by hard
  link from uv's cache (nothing downloaded; ``UV_OFFLINE=1`` holds), only the
  workspace's members built (editables of the worktree's sources). uv puts a
  ``.gitignore`` of ``*`` in it, so the reset and clean of a reused worktree
  keep it, and later runs find it in sync with uv.lock and install nothing.

:class:`Worktrees` is what the runner calls around each service: before it
starts, the build outputs (``workflow.outputs``, default ``dist`` and
``build``) of the services it depends on are copied from the main tree into
its worktree; after it passed, its own outputs are copied back to the main
tree, where its dependents (and the person) find them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cigen import reporting
from cigen.adapters import worktrees
from cigen.durations import format_seconds

# Installed files that the worktree shares with the main tree, where they exist (relative to a folder).
SHARED = ("node_modules",)
SHARED_AT_ROOT = (".pnp.cjs", ".pnp.loader.mjs")


@dataclass(frozen=True)
class Worktrees:
    """Each service's worktree, and the copies of build outputs around its run."""

    root: Path  # the monorepo root in the main working tree
    trees: Mapping[str, Path]  # service path -> the monorepo root inside its worktree
    needs: Mapping[str, Sequence[str]]  # service path -> every service it depends on, directly or not
    outputs: Sequence[str]  # build output globs, relative to a service's folder

    def folder(self, path: str) -> Path:
        """Where the service's tasks run."""
        return self.trees[path] / path

    def enter(self, path: str) -> None:
        """Bring the build outputs of what ``path`` depends on into its worktree (raises OSError)."""
        for need in self.needs.get(path, ()):
            self._copy(self.root / need, self.trees[path] / need)

    def leave(self, path: str) -> None:
        """``path`` passed: its build outputs go back to the main tree (raises OSError)."""
        self._copy(self.trees[path] / path, self.root / path)

    def _copy(self, source: Path, target: Path) -> None:
        for pattern in self.outputs:
            for found in sorted(source.glob(pattern)):
                worktrees.replace(found, target / found.relative_to(source))


def prepare_worktrees(root: Path, top: Path, home: Path, services: Sequence[str], members: Sequence[str],
                      commit: str, stopped: Callable[[], bool] = lambda: False) -> dict[str, Path]:
    """A worktree per service (by path), at ``commit`` with the main tree's changes; service -> its monorepo root.

    ``top``: the repository's top level; ``home``: cigen's worktree folder, locked by the caller;
    ``members``: every member's path, whose installed dependencies are linked. ``stopped``: whether
    SIGINT or SIGTERM came (the caller records them); then the worktree being made is finished, or
    removed when its git was interrupted too (a terminal's Ctrl-C reaches it), and KeyboardInterrupt
    is raised: no worktree is ever left half made under its name.
    """
    root = root.resolve()
    prefix = root.relative_to(top.resolve())
    registered = worktrees.ours(top)
    worktrees.discard_partials(top, home)
    changes = [p for p in worktrees.changed_files(top) if "node_modules" not in p.split("/")]

    def fill(tree: Path) -> None:
        worktrees.carry(top, tree, changes)
        inside = tree / prefix
        for folder in (".", *members):
            for shared in SHARED:
                worktrees.link(root / folder / shared, inside / folder / shared)
        for shared in SHARED_AT_ROOT:
            if (root / shared).exists():
                worktrees.link(root / shared, inside / shared)

    trees = {}
    began, reused = time.monotonic(), len({home / _name(s) for s in services} & set(registered))
    for service in services:
        try:
            tree = worktrees.ensure(top, home, _name(service), commit, registered, fill)
        except Exception:
            if stopped():  # its git was interrupted with cigen: the interrupt is what happened
                raise KeyboardInterrupt from None
            raise
        if stopped():
            raise KeyboardInterrupt
        trees[service] = tree / prefix
    reporting.progress(f"worktrees: {len(services) - reused} made, {reused} reused, {len(changes)} uncommitted "
                       f"files carried over, in {format_seconds(time.monotonic() - began)} ({home})")
    return trees


def _name(service: str) -> str:
    """A folder name for a service's worktree: readable, and distinct for distinct paths."""
    readable = "".join(c if c.isalnum() or c in "-_." else "-" for c in service).strip("-.") or "root"
    return f"{readable[:60]}-{hashlib.sha256(service.encode()).hexdigest()[:8]}"
