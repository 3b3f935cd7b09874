"""Which services a change affects, and why: changed paths + workspace + graph -> :class:`Impact`.

Pure: no git, no files. :mod:`cigen.impact.changes` collects the changed paths and
the lockfile verdicts; this module applies the rules. For each changed path,
the first rule that matches decides:

1. an ``ignore`` glob (default ``*.md``, ``docs/**``): affects nothing. Ignore
   wins over everything below, so it can also switch off a built-in global file;
2. a root lockfile whose change was narrowed (:mod:`cigen.impact.lockfiles`): the
   members whose resolved dependencies changed; a lockfile that cannot be
   narrowed makes everything affected, saying why;
3. a global file (:data:`BUILTIN_GLOBAL_FILES`, the generated workflow at its
   configured path, and ``global_files``): every service is affected, with that
   file as the reason;
4. the deepest member folder holding the path: that member changed;
5. anything else (files in no member): nothing.

Affected = the changed members plus their transitive dependents (direct
dependents only with ``direct``), each with one reason chain
``file -> owner -> dependent -> ...`` along a shortest path. With
``build_dependencies`` the unaffected members the affected ones depend on are
listed too, as build-only: a partial build needs their outputs.

Globs are :mod:`cigen.pathglob`'s, matched against the whole path relative
to the monorepo root: ``*.md`` is the root's Markdown files only and
``**/*.md`` is every Markdown file.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from cigen.discovery.dependencies import normalize
from cigen.graph.graph import Graph
from cigen.model import Workspace
from cigen.pathglob import glob_regex

WORKFLOW_PATH = ".github/workflows/cigen.yml"
NARROWABLE_LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "uv.lock")
BUILTIN_GLOBAL_FILES = (
    # the root manifests and workspace definitions: they decide what the members are
    "package.json", "pnpm-workspace.yaml", "lerna.json", "rush.json", "pyproject.toml",
    # lockfiles (narrowed per member where the format allows)
    *NARROWABLE_LOCKFILES, "bun.lock", "bun.lockb", "poetry.lock",
    # package-manager settings and toolchain pins every install reads
    ".npmrc", ".yarnrc", ".yarnrc.yml", ".pnpmfile.cjs", ".yarn/releases/**", ".yarn/patches/**", "patches/**",
    ".nvmrc", ".node-version", ".python-version", ".tool-versions",
    # cigen's own configuration and the workflow it generates
    "cigen.yaml", "cigen.yml", WORKFLOW_PATH,
)
DEFAULT_IGNORE = ("*.md", "docs/**")
MANIFESTS = ("package.json", "pyproject.toml")


def _matcher(globs: Iterable[str]) -> re.Pattern[str] | None:
    parts = sorted(set(globs))
    return re.compile("|".join(f"(?:{glob_regex(g)})" for g in parts)) if parts else None


@dataclass(frozen=True)
class Rules:
    """The compiled globs of cigen.yaml's ``affected:`` section (plain tuples: no pydantic in the engine)."""

    global_files: tuple[str, ...] = ()
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    extra_global: tuple[str, ...] = ()  # e.g. the configured workflow path (cigen.yaml workflow.path)

    @cached_property
    def _ignore(self) -> re.Pattern[str] | None:
        return _matcher(self.ignore)

    @cached_property
    def _global(self) -> re.Pattern[str] | None:
        return _matcher((*BUILTIN_GLOBAL_FILES, *self.extra_global, *self.global_files))

    def ignored(self, path: str) -> bool:
        return self._ignore is not None and self._ignore.fullmatch(path) is not None

    def is_global(self, path: str) -> bool:
        return self._global is not None and self._global.fullmatch(path) is not None


@dataclass(frozen=True, slots=True)
class LockfileImpact:
    """What a changed lockfile means: the members whose resolved dependencies changed, or everything."""

    members: frozenset[str] | None  # member paths; None = cannot narrow, everything is affected
    reason: str  # for None, why not ("pnpm-lock.yaml: lockfile v5 is not read per member")


ReasonKind = Literal["changed", "lockfile", "removed", "global", "build"]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one member is in the result: where it starts and the members it went through."""

    kind: ReasonKind  # how the chain starts; a chain longer than one member makes a dependent
    origin: str  # a changed file, a lockfile, a removed member's folder, or why everything runs
    chain: tuple[str, ...] = ()  # member paths from the first one reached to this one
    more_files: int = 0  # for "changed": how many more of the member's files changed

    def text(self, names: Mapping[str, str]) -> str:
        labels = [names.get(p, p) for p in self.chain]
        if self.kind == "global":
            return self.origin
        if self.kind == "build":
            return "build only, needed by " + " -> ".join(labels)
        start = {
            "changed": self.origin + (f" (+{self.more_files} more)" if self.more_files else ""),
            "lockfile": f"{self.origin} (resolved dependencies changed)",
            "removed": f"{self.origin} (member removed)",
        }[self.kind]
        return " -> ".join([start, *labels])


FileEffect = Literal["member", "lockfile", "global", "ignored", "unowned"]


@dataclass(frozen=True)
class Impact:
    files: tuple[str, ...]  # every changed path, sorted (both sides of a rename)
    effects: Mapping[str, tuple[FileEffect, str | None]]  # path -> what it did, and its owner
    changed: tuple[str, ...]  # members whose own files (or resolved dependencies) changed
    affected: tuple[str, ...]  # member paths that must run, sorted
    build_only: tuple[str, ...]  # unaffected dependencies a partial build needs, sorted
    reasons: Mapping[str, Reason]  # member path -> why, for affected and build-only members
    everything: str | None  # why every service is affected, or None


def owner(path: str, members: frozenset[str] | set[str]) -> str | None:
    """The deepest member folder holding ``path``; the root member "." holds whatever no other does.

    A path outside the monorepo root ("../tools/x", when the root is a folder of
    the repository) belongs to no member.
    """
    if path.startswith("../"):
        return None
    folder = path
    while "/" in folder:
        folder = folder.rpartition("/")[0]
        if folder in members:
            return folder
    return "." if "." in members else None


def removed_member_folders(deleted: Iterable[str], workspace: Workspace) -> list[str]:
    """Folders whose manifest was deleted and that are no member any more: removed members."""
    members = {m.path for m in workspace.members}
    folders = set()
    for path in deleted:
        folder, _, name = path.rpartition("/")
        if name in MANIFESTS and (folder or ".") not in members:
            folders.add(folder or ".")
    return sorted(folders)


def compute_impact(
    files: Iterable[str],
    workspace: Workspace,
    graph: Graph,
    rules: Rules | None = None,
    *,
    lockfiles: Mapping[str, LockfileImpact] | None = None,
    removed: Mapping[str, str | None] | None = None,
    everything: str | None = None,
    direct: bool = False,
    build_dependencies: bool = False,
) -> Impact:
    """Apply the rules of the module docstring to the changed ``files``.

    ``lockfiles`` maps a changed root lockfile to its narrowed impact;
    ``removed`` maps the folder of each removed member to its former name;
    ``everything`` is a reason, found before looking at files, to run every service.
    """
    rules = rules or Rules()
    lockfiles = lockfiles or {}
    # The services are the graph's nodes: the root package is one only when cigen.yaml says so.
    members = frozenset(graph)
    paths = tuple(sorted(set(files)))
    effects: dict[str, tuple[FileEffect, str | None]] = {}
    owned: dict[str, list[str]] = {}
    lock_members: dict[str, str] = {}  # member -> the lockfile that affects it
    global_hits: list[str] = []
    for path in paths:
        if rules.ignored(path):
            effects[path] = ("ignored", None)
        elif path in lockfiles and (narrowed := lockfiles[path].members) is not None:
            effects[path] = ("lockfile", None)
            for member in sorted(narrowed & members):
                lock_members.setdefault(member, path)
        elif path in lockfiles or rules.is_global(path):
            effects[path] = ("global", None)
            global_hits.append(path)
        elif (found := owner(path, members)) is not None:
            effects[path] = ("member", found)
            owned.setdefault(found, []).append(path)
        else:
            effects[path] = ("unowned", None)

    seeds: dict[str, Reason] = {}
    for member, its_files in sorted(owned.items()):
        seeds[member] = Reason("changed", its_files[0], (member,), len(its_files) - 1)
    for member, lockfile in sorted(lock_members.items()):
        seeds.setdefault(member, Reason("lockfile", lockfile, (member,)))
    for folder, name in sorted((removed or {}).items()):
        if not name:
            continue
        for m in workspace.members:
            if m.path in members and any(normalize(d.name) == normalize(name) for d in m.dependencies):
                seeds.setdefault(m.path, Reason("removed", folder, (m.path,)))
    changed = tuple(sorted(seeds))

    if everything is None and global_hits:
        first = global_hits[0]
        why = lockfiles[first].reason if first in lockfiles else f"{first} changed (a global file)"
        others = len(global_hits) - 1
        everything = why + (f" (and {others} more global file{'s' if others > 1 else ''})" if others else "")
    if everything is not None:
        everyone = {m: Reason("global", f"everything runs: {everything}") for m in sorted(members)}
        return Impact(paths, effects, changed, tuple(sorted(members)), (), everyone, everything)

    reasons = _spread(seeds, graph, members, upward=True, depth=1 if direct else None)
    build: dict[str, Reason] = {}
    if build_dependencies:
        starts = {m: Reason("build", "", (m,)) for m in sorted(reasons)}
        build = {m: r for m, r in _spread(starts, graph, members, upward=False).items() if m not in reasons}
    return Impact(
        paths, effects, changed, tuple(sorted(reasons)), tuple(sorted(build)), {**reasons, **build}, None
    )


def _spread(
    seeds: Mapping[str, Reason], graph: Graph, members: frozenset[str], *, upward: bool, depth: int | None = None
) -> dict[str, Reason]:
    """Breadth-first from ``seeds`` to dependents (upward) or dependencies, keeping one shortest chain each.

    Seeds and neighbours are visited in path order, so the chain chosen among
    equally short ones is the same on every run.
    """
    reached = dict(seeds)
    queue = deque((m, 0) for m in sorted(seeds))
    step = graph.predecessors if upward else graph.successors
    while queue:
        node, dist = queue.popleft()
        if depth is not None and dist >= depth or node not in graph:
            continue
        via = reached[node]
        for nxt in sorted(step(node)):
            if nxt in reached or nxt not in members:
                continue
            reached[nxt] = Reason(via.kind, via.origin, (*via.chain, nxt), via.more_files)
            queue.append((nxt, dist + 1))
    return reached
