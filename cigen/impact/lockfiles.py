"""Which members' resolved dependencies a lockfile change touches.

A root lockfile is shared by every member, but most changes to it (one
dependency bumped in one package) touch few of them. Each supported format is
read as a graph of nodes (the members, the root, every resolved package) with
a fingerprint per node and an edge from each node to what it resolves to. A
member is affected when, in the old or the new lockfile, it reaches a node
whose fingerprint differs between the two. Links to other workspace members
are not followed: the service graph carries those.

Formats: pnpm-lock.yaml v6 and v9 (``importers``), package-lock.json and
npm-shrinkwrap.json v2/v3 (``packages``, resolved the way Node looks up
``node_modules``), yarn.lock v1 and Berry, uv.lock. Anything else, a change
outside the per-package entries (settings, overrides, format version), a
change reaching the root's dependencies (their tools run in every member), or
an entry that cannot be followed makes everything affected, with the reason.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cigen.impact.affected import LockfileImpact
from cigen.model import Workspace

ROOT = "\0root"  # the node of the root package: reaching it means everything


class _Unreadable(Exception):
    """The lockfile cannot be read per member; the message says why."""


@dataclass
class _Lock:
    meta: str  # fingerprint of everything that is not a per-package entry
    nodes: dict[str, str] = field(default_factory=dict)  # node -> fingerprint
    edges: dict[str, list[str]] = field(default_factory=dict)  # node -> nodes it resolves to
    members: dict[str, str] = field(default_factory=dict)  # member path -> its node

    def add(self, node: str, entry: Any, uses: Iterable[str] = ()) -> None:
        self.nodes[node] = _canonical(entry)
        self.edges[node] = list(uses)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def lockfile_impact(name: str, old: str | None, new: str | None, workspace: Workspace) -> LockfileImpact:
    """Compare two versions of the root lockfile ``name`` (None: absent in that version)."""
    reader = _READERS.get(name)
    if reader is None:
        return LockfileImpact(None, f"{name} changed (its format is not read per member)")
    if old is None or new is None:
        return LockfileImpact(None, f"{name} was {'added' if old is None else 'deleted'}")
    try:
        before, after = reader(old, workspace), reader(new, workspace)
    except _Unreadable as exc:
        return LockfileImpact(None, f"{name} changed and cannot be read per member: {exc}")
    except RecursionError:  # the parsers recurse per level: a hostile file only costs the per-member answer
        return LockfileImpact(None, f"{name} changed and is nested too deeply to read per member")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return LockfileImpact(None, f"{name} changed and could not be parsed ({type(exc).__name__}: {exc})")
    if before.meta != after.meta:
        return LockfileImpact(None, f"{name}: settings or format outside the package entries changed")
    changed = {n for n in before.nodes.keys() | after.nodes.keys() if before.nodes.get(n) != after.nodes.get(n)}
    hit = _reaching(before, changed) | _reaching(after, changed)
    if ROOT in hit:
        return LockfileImpact(None, f"{name}: the root's dependencies changed (their tools run in every member)")
    # An entry the new lockfile has (added or changed) that no member reaches is used by
    # something cigen cannot see (the root's tools in Yarn 1): everything. An entry that
    # only the old lockfile has cannot affect the new state by itself; whoever used it
    # now resolves to something else, which the new lockfile's edges lead to.
    unseen = {n for n in changed if n in after.nodes} - _reached_from_anywhere(after)
    if unseen - set(after.members.values()):
        return LockfileImpact(None, f"{name}: entries that no known member uses changed")
    affected = {m for lock in (before, after) for m, node in lock.members.items() if node in hit}
    return LockfileImpact(frozenset(affected), f"{name}: resolved dependencies changed")


def _reaching(lock: _Lock, targets: set[str]) -> set[str]:
    """Nodes with a path (of length >= 0) to any of ``targets``."""
    reverse: dict[str, list[str]] = {}
    for node, uses in lock.edges.items():
        for used in uses:
            reverse.setdefault(used, []).append(node)
    seen = {t for t in targets if t in lock.nodes}
    stack = list(seen)
    while stack:
        for user in reverse.get(stack.pop(), ()):
            if user not in seen:
                seen.add(user)
                stack.append(user)
    return seen


def _reached_from_anywhere(lock: _Lock) -> set[str]:
    starts = [*lock.members.values(), *([ROOT] if ROOT in lock.nodes else [])]
    seen, stack = set(starts), list(starts)
    while stack:
        for used in lock.edges.get(stack.pop(), ()):
            if used not in seen:
                seen.add(used)
                stack.append(used)
    return seen


def _node_of_member(lock: _Lock, path: str, node: str) -> None:
    """Record ``node`` as the member at ``path`` (the root is the node ROOT itself)."""
    if node != ROOT:
        lock.members[path] = node


# An anchor starts a node: after the start of a line, white space, or a flow indicator. pnpm and yarn
# never write one, and without anchors there are no aliases, so nothing can stand for more values than
# the text holds (a "billion laughs" lockfile in a pull request would otherwise expand as it is read).
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s\[\]{},]", re.MULTILINE)


def _yaml(text: str) -> Any:
    if _ANCHOR.search(text):
        raise _Unreadable("it uses YAML anchors, which the package managers never write")
    # lazy: only pnpm and yarn Berry lockfiles are YAML; cigen affected on an npm or uv monorepo skips PyYAML
    import yaml

    # The base loader keeps every scalar a string: "1.10" stays "1.10", never a float.
    try:
        return yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).replace("\n", " ")) from None


# --------------------------------------------------------------------------- pnpm

_PNPM_FIELDS = ("dependencies", "devDependencies", "optionalDependencies")


def _pnpm(text: str, workspace: Workspace) -> _Lock:
    data = _yaml(text) or {}
    version = str(data.get("lockfileVersion", ""))
    major = version.split(".")[0]
    if major not in ("6", "9") or "importers" not in data:
        raise _Unreadable(f"lockfile version {version or 'unknown'} without importers")
    rest = {k: v for k, v in data.items() if k not in ("importers", "packages", "snapshots")}
    lock = _Lock(_canonical(rest))
    packages = data.get("packages") or {}
    snapshots = (data.get("snapshots") or {}) if major == "9" else packages

    def key(name: str, version: str) -> str | None:
        if version.startswith("link:"):
            return None  # another workspace member: the service graph has the edge
        if major == "6":
            found = version if version.startswith("/") else f"/{name}@{version}"
        elif version[:1].isdigit() or version.startswith(("file:", "http:", "https:", "git")):
            found = f"{name}@{version}"
        else:
            found = version  # an alias, "string-width@4.2.3"
        if found not in snapshots:
            raise _Unreadable(f"{found} is used but has no entry")
        return found

    def uses(entry: Mapping[str, Any], spec_of: Callable[[Any], str]) -> list[str]:
        out = []
        for fld in _PNPM_FIELDS:
            for dep, value in sorted((entry.get(fld) or {}).items()):
                k = key(dep, str(spec_of(value)))
                if k is not None:
                    out.append(k)
        return out

    for snap, entry in snapshots.items():
        entry = entry or {}
        base = re.sub(r"\(.*$", "", snap[1:] if major == "6" else snap)
        lock.add(snap, [entry, packages.get(base) if major == "9" else None], uses(entry, lambda v: v))
    for path, entry in (data.get("importers") or {}).items():
        node = ROOT if path == "." else f"importer:{path}"
        lock.add(node, entry, uses(entry or {}, lambda v: v["version"] if isinstance(v, dict) else v))
        _node_of_member(lock, path, node)
    return lock


# ---------------------------------------------------------------------------- npm


def _npm(text: str, workspace: Workspace) -> _Lock:
    data = json.loads(text)
    if not isinstance(data.get("packages"), dict):
        raise _Unreadable(f"lockfileVersion {data.get('lockfileVersion')} has no packages map")
    packages: dict[str, Any] = data["packages"]
    lock = _Lock(_canonical({k: v for k, v in data.items() if k not in ("packages", "name", "version")}))

    def resolve(location: str, dep: str) -> str | None:
        folder = location
        while True:
            candidate = f"{folder}/node_modules/{dep}" if folder else f"node_modules/{dep}"
            if candidate in packages:
                return None if packages[candidate].get("link") else candidate
            if not folder:
                return None  # not installed (an optional or unmet peer dependency)
            folder = folder.rpartition("/")[0]

    for location, entry in packages.items():
        fields = ["dependencies", "optionalDependencies", "peerDependencies"]
        installed = location.startswith("node_modules/") or "/node_modules/" in location
        if not installed:
            fields.append("devDependencies")  # a workspace folder or the root installs its dev tools
        targets = [resolve(location, dep) for fld in fields for dep in sorted(entry.get(fld) or {})]
        node = ROOT if location == "" else location
        lock.add(node, entry, [t for t in targets if t is not None])
        if not installed and not entry.get("link"):
            _node_of_member(lock, location or ".", node)
    return lock


# --------------------------------------------------------------------------- yarn


def _yarn(text: str, workspace: Workspace) -> _Lock:
    if re.search(r"^__metadata:", text, re.MULTILINE):
        return _yarn_berry(text, workspace)
    entries = _parse_yarn_v1(text)
    lock = _Lock(_canonical(None))
    by_descriptor = {d: header for header, (descriptors, _) in entries.items() for d in descriptors}
    for header, (_, entry) in entries.items():
        deps = {**(entry.get("dependencies") or {}), **(entry.get("optionalDependencies") or {})}
        lock.add(header, entry, [by_descriptor[f"{n}@{r}"] for n, r in sorted(deps.items()) if f"{n}@{r}" in by_descriptor])
    # Yarn 1 records no workspaces: a member's entries are found from its manifest's ranges.
    for m in workspace.members:
        node = ROOT if m.is_root else f"member:{m.path}"
        lock.add(node, None, sorted({by_descriptor[d] for d in (f"{x.name}@{x.spec}" for x in m.dependencies) if d in by_descriptor}))
        if not m.is_root:
            lock.members[m.path] = node
    return lock


def _parse_yarn_v1(text: str) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """header -> (descriptors, entry) of a Yarn 1 lockfile (its own format, close to YAML)."""
    entries: dict[str, tuple[list[str], dict[str, Any]]] = {}
    entry: dict[str, Any] = {}
    section: dict[str, str] | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if indent == 0:
            header = body.rstrip(":")
            descriptors = [_unquote(d.strip()) for d in header.split(",")]
            entry = {}
            entries[header] = (descriptors, entry)
            section = None
        elif indent == 2 and body.endswith(":"):
            section = entry.setdefault(_unquote(body[:-1]), {})
        elif indent == 2:
            k, _, v = body.partition(" ")
            entry[_unquote(k)] = _unquote(v.strip())
            section = None
        elif section is not None:
            k, _, v = body.partition(" ")
            section[_unquote(k)] = _unquote(v.strip())
        else:
            raise _Unreadable(f"unexpected indentation in yarn.lock: {body[:60]!r}")
    return entries


def _unquote(s: str) -> str:
    return json.loads(s) if s.startswith('"') and s.endswith('"') and len(s) > 1 else s


def _yarn_berry(text: str, workspace: Workspace) -> _Lock:
    data = _yaml(text) or {}
    lock = _Lock(_canonical(data.pop("__metadata", None)))
    by_descriptor = {d.strip(): key for key in data for d in str(key).split(",")}
    for key, entry in data.items():
        entry = entry or {}
        resolution = str(entry.get("resolution", ""))
        workspace_path = resolution.partition("@workspace:")[2] if "@workspace:" in resolution else None
        node = ROOT if workspace_path == "." else f"workspace:{workspace_path}" if workspace_path else key
        uses = []
        for fld in ("dependencies", "optionalDependencies"):
            for dep, rng in sorted((entry.get(fld) or {}).items()):
                target = by_descriptor.get(f"{dep}@{rng}")
                if target is not None and "@workspace:" not in str((data[target] or {}).get("resolution", "")):
                    uses.append(target)
        lock.add(node, entry, uses)
        if workspace_path:
            _node_of_member(lock, workspace_path, node)
    return lock


# ----------------------------------------------------------------------------- uv


def _uv(text: str, workspace: Workspace) -> _Lock:
    data = tomllib.loads(text)
    packages = data.pop("package", [])
    manifest = dict(data.get("manifest") or {})
    manifest.pop("members", None)  # adding a member changes this list; the member itself is changed
    lock = _Lock(_canonical({**data, "manifest": manifest}))
    ids = {}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for p in packages:
        ids[id(p)] = f"{p['name']}=={p.get('version', '')}@{_canonical(p.get('source'))}"
        by_name.setdefault(p["name"], []).append(p)

    def refs(p: dict[str, Any]) -> Iterable[dict[str, Any]]:
        yield from p.get("dependencies") or []
        for table in ("optional-dependencies", "dev-dependencies"):
            for group in (p.get(table) or {}).values():
                yield from group

    for p in packages:
        source = p.get("source") or {}
        local = source.get("editable") or source.get("virtual")
        node = ROOT if local == "." else ids[id(p)]
        uses = []
        for ref in refs(p):
            candidates = [
                c for c in by_name.get(ref["name"], [])
                if ref.get("version") in (None, c.get("version")) and ref.get("source") in (None, c.get("source"))
            ]
            if not candidates:
                raise _Unreadable(f"{ref['name']} is used but has no entry")
            for c in candidates:
                c_source = c.get("source") or {}
                if not (c_source.get("editable") or c_source.get("virtual")):  # members: the graph's edges
                    uses.append(ids[id(c)])
        lock.add(node, p, uses)
        if local:
            _node_of_member(lock, local, node)
    return lock


_READERS: dict[str, Callable[[str, Workspace], _Lock]] = {
    "pnpm-lock.yaml": _pnpm,
    "package-lock.json": _npm,
    "npm-shrinkwrap.json": _npm,
    "yarn.lock": _yarn,
    "uv.lock": _uv,
}
