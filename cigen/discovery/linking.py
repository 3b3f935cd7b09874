"""Members' dependencies -> edges between members, linked exactly as the package manager links them.

One :class:`~cigen.model.Edge` per (dependent, dependency) pair, carrying every
manifest field that declared it. A dependency that names a member but does not
link to it is kept in ``unlinked`` with the reason (a range the member does not
satisfy, ``link-workspace-packages`` off, a dist-tag the registry serves, ...).
The rules of each package manager live in :mod:`cigen.discovery.node_links`
and :mod:`cigen.discovery.python_links`.

Members are indexed by name once; unnamed members are never found by name
(only a path such as ``link:../tool`` reaches them). Of several members with
one name (pnpm accepts that, npm, yarn and uv do not) a dependency links to
the one pnpm picks: the highest version that satisfies the range, the last by
path among equal versions; a warning says which one each dependent got.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import get_args

from cigen.discovery.dependencies import normalize
from cigen.discovery.node_links import MANAGER_NAMES, NodeLinker, NoLink, Unsupported
from cigen.discovery.python_links import PythonLinker
from cigen.discovery.settings import LinkSettings, load_settings
from cigen.model import Dependency, DependencyField, Edge, Member, PackageManager, Unlinked

# The order of the DependencyField literal is the order edges list their kinds in.
FIELD_ORDER: dict[DependencyField, int] = {f: i for i, f in enumerate(get_args(DependencyField))}
FIELD_BITS: dict[DependencyField, int] = {f: 1 << i for f, i in FIELD_ORDER.items()}
NODE_MANAGERS = frozenset(MANAGER_NAMES)


@dataclass(frozen=True)
class Linked:
    """What linking found: sorted edges, unlinked dependencies with reasons, warnings."""

    edges: tuple[Edge, ...]
    unlinked: tuple[Unlinked, ...]
    warnings: tuple[str, ...]


def link_members(
    root: Path, members: tuple[Member, ...], package_manager: PackageManager, definition: str
) -> Linked:
    """Link every member's dependencies to members, as ``package_manager`` would in ``root``."""
    # pnpm's order: projects sorted by folder (the root first), so "last by path" is pnpm's pick.
    ordered = sorted(members, key=lambda m: (m.path != ".", m.path))
    by_path = {m.path: m for m in ordered}
    node_by_name: dict[str, list[Member]] = defaultdict(list)
    python_by_name: dict[str, list[Member]] = defaultdict(list)
    for m in ordered:
        if m.name:
            if m.language == "python":
                python_by_name[normalize(m.name)].append(m)
            else:
                node_by_name[m.name].append(m)

    node = _node_linker(root, ordered, node_by_name, by_path, package_manager, definition)
    node_manager = node.pm if node is not None else package_manager
    python = (
        PythonLinker(root, python_by_name, by_path) if any(m.language == "python" for m in ordered) else None
    )

    # Fields as bits, turned into ordered tuples once at the end: 60,000 dependencies stay cheap.
    # Keyed by dependent, then dependency: sorting each dependent's few targets is cheaper than
    # sorting every (dependent, dependency) pair (12,000 edges: 7 ms).
    fields_of: dict[str, dict[str, int]] = defaultdict(dict)
    unlinked: list[Unlinked] = []
    unsupported: dict[str, list[str]] = defaultdict(list)
    ambiguous: dict[tuple[str, str], list[str]] = defaultdict(list)  # (language, name) -> "dependent -> pick"
    linked_as: dict[tuple[str, str], tuple[Dependency, Member]] = {}  # (dependent, name) -> a linked non-peer
    duplicated = {(lang, name) for lang, index in (("node", node_by_name), ("python", python_by_name))
                  for name, found in index.items() if len(found) > 1}
    for m in ordered:
        linker = python if m.language == "python" else node
        if linker is None or not m.dependencies:
            continue
        manifest = ("" if m.path == "." else m.path + "/") + (
            "pyproject.toml" if m.language == "python" else "package.json"
        )
        self_name = (normalize(m.name) if m.language == "python" else m.name) if m.name else None
        for dep in m.dependencies:
            decision = linker.decide(m, dep, manifest)
            if decision is None:
                continue
            if isinstance(decision, NoLink):
                if dep.name != self_name:
                    unlinked.append(Unlinked(m.path, dep.name, dep.spec, dep.field, decision.reason))
                continue
            target = decision.target
            if target.path == m.path:
                continue  # a package's reference to itself (pkg[extra] inside pkg) is no edge
            if isinstance(decision, Unsupported):
                unsupported[decision.protocol].append(f"{m.path} -> {target.label}")
            if duplicated and not decision.via_path and target.name is not None:
                key = (m.language, normalize(target.name) if m.language == "python" else target.name)
                if key in duplicated:
                    ambiguous[key].append(f"{m.path} -> {target.path}")
            targets = fields_of[m.path]
            targets[target.path] = targets.get(target.path, 0) | FIELD_BITS[dep.field]
            if dep.field != "peerDependencies":
                linked_as.setdefault((m.path, dep.name), (dep, target))

    edges = tuple(
        Edge(source, target, _fields(targets[target]))
        for source, targets in sorted(fields_of.items())
        for target in sorted(targets)
    )
    warnings = [_unsupported_warning(p, uses, node_manager) for p, uses in sorted(unsupported.items())]
    for (language, name), uses in sorted(ambiguous.items()):
        named = python_by_name[name] if language == "python" else node_by_name[name]
        manager = "uv" if language == "python" else node_manager
        warnings.append(_duplicate_warning(name, named, sorted(set(uses)), manager))
    unlinked = [_filled_peer(u, linked_as.get((u.source, u.name))) for u in unlinked]
    unlinked.sort(key=lambda u: (u.source, u.name, FIELD_ORDER[u.field], u.spec))
    return Linked(edges=edges, unlinked=tuple(unlinked), warnings=tuple(sorted(warnings)))


def _filled_peer(u: Unlinked, linked: tuple[Dependency, Member] | None) -> Unlinked:
    """A peer the package also declares as a linked dependency (sveltejs/kit's adapters: peer ``^2.31.0``,
    devDependency ``workspace:*`` on 3.0.0-next.16) is built first through that link: the reason says so."""
    if u.field != "peerDependencies" or linked is None:
        return u
    dep, target = linked
    reason = (
        f"filled by the linked {dep.field} {dep.spec} ({target.path}, {target.version or 'no version'}), "
        "which orders the build"
    )
    return replace(u, reason=reason)


@lru_cache(maxsize=256)
def _fields(bits: int) -> tuple[DependencyField, ...]:
    return tuple(f for f, bit in FIELD_BITS.items() if bits & bit)


def _node_linker(
    root: Path,
    members: Sequence[Member],
    by_name: dict[str, list[Member]],
    by_path: dict[str, Member],
    package_manager: PackageManager,
    definition: str,
) -> NodeLinker | None:
    node_members = [m for m in members if m.language == "node"]
    if not node_members:
        return None
    # A Python-managed workspace with Node members (cigen.yaml or default globs): the root's manager decides.
    manager = package_manager if package_manager in NODE_MANAGERS else _common_manager(node_members)
    settings: LinkSettings = load_settings(root, manager, definition)
    return NodeLinker(by_name, by_path, settings, rush=definition == "rush.json")


def _common_manager(members: Sequence[Member]) -> PackageManager:
    managers = sorted({m.package_manager for m in members if m.package_manager in NODE_MANAGERS})
    return managers[0] if managers else "npm"


def _duplicate_warning(name: str, named: list[Member], uses: list[str], package_manager: PackageManager) -> str:
    listed = ", ".join(f"{m.path} ({m.version or 'no version'})" for m in named)
    if package_manager == "uv":
        rule = "uv refuses duplicate names; linked to the first by path"
    else:
        manager = MANAGER_NAMES.get(package_manager, package_manager)
        refuses = "" if package_manager == "pnpm" else f"{manager} refuses duplicate names; "
        rule = (
            f"{refuses}linked as pnpm links: the highest version that satisfies the range, "
            "the last by path among equals"
        )
    shown = ", ".join(uses[:3]) + (f" and {len(uses) - 3} more" if len(uses) > 3 else "")
    return f"dependencies on {name}, the name of {len(named)} members ({listed}): {shown}; {rule}"


def _unsupported_warning(protocol: str, uses: list[str], package_manager: PackageManager) -> str:
    shown = ", ".join(uses[:3]) + (f" and {len(uses) - 3} more" if len(uses) > 3 else "")
    if protocol == "path source":
        return (
            f"tool.uv.sources gives uv workspace members a path ({shown}): uv refuses to lock until they are "
            "declared { workspace = true }; cigen links them"
        )
    manager = MANAGER_NAMES.get(package_manager, package_manager)
    return (
        f"{len(uses)} dependencies use {protocol}, which {manager} does not support ({shown}); "
        "cigen links them as the package managers that support it do"
    )
