"""Does a package.json dependency link to a workspace member? Each package manager's answer.

Every rule below was checked by running the package manager itself on a small
workspace (npm 11, yarn 1.22, yarn 4.18, pnpm 8, 9, 10 and 12, bun 1.4):

- ``workspace:`` links under every manager that knows it (pnpm, yarn berry,
  bun). ``*``, ``^``, ``~`` take any version; another range must be satisfied,
  or the install fails, as it does for a name no member has. npm and yarn
  classic reject the protocol; cigen links it as the others do and warns.
- ``link:``, ``file:`` and ``portal:`` to a member's folder: an edge. pnpm and
  yarn copy a ``file:`` folder instead of linking it, but the dependent still
  needs the member built first (``pnpm -r`` and Turborepo order it so).
- A bare range or dist-tag: npm, yarn classic and bun link when the member's
  version satisfies it (npm and bun take ``*`` for any version, prereleases and
  missing versions included); yarn berry too unless ``enableTransparentWorkspaces``
  is false; pnpm only with ``link-workspace-packages``, and then a dist-tag
  takes any version. Dist-tags never link under npm, yarn or bun.
- ``npm:`` aliases link like a bare range of the aliased name under pnpm, yarn
  berry and bun; npm and yarn classic install them from the registry.
- rush: ``workspace:`` or a satisfied range links, unless the project lists the
  name in ``decoupledLocalDependencies``.
- pnpm ``overrides`` replace the spec first (``"vite": "workspace:*"`` links
  every dependency on vite, peers included).

Peer dependencies link only where the manager installs peers. Each row was
checked by installing a workspace whose member ``a`` has only a peer on member
``b`` (``tests/discovery/test_peer_links.py`` repeats it with the real tools):

============================  =======================================  ==============================
manager                       setting                                  a peer on a member
============================  =======================================  ==============================
npm 7+ (11.19)                ``legacy-peer-deps`` in .npmrc (false)    links as a dependency would;
                                                                       not with legacy-peer-deps
                                                                       (arborist loads no peer edge)
yarn classic (1.22)           none                                     never (yarn 1 installs no peer)
yarn berry (3.2, 4.18)        none, any ``nodeLinker``                 never: no resolution in
                                                                       yarn.lock, no entry in
                                                                       ``workspaceDependencies``
pnpm 8+ (9.15, 10.34)         ``autoInstallPeers`` (true; false up     links as a dependency would
                              to pnpm 7; .npmrc up to pnpm 10,         (the importer lists it under
                              pnpm-workspace.yaml from pnpm 10)        dependencies); never when false
pnpm                          ``dedupe-peer-dependents`` (true)        no effect on workspace links
bun (1.4)                     ``install.peer`` in bunfig.toml (true)   links as a dependency would,
                                                                       even with ``peer = false``
============================  =======================================  ==============================

A peer the same package also declares as a linked dependency (usually a
devDependency, as sveltejs/kit's adapters do with ``@sveltejs/kit``) is
filled from that link under every manager: the edge stands through the other
field, and the peer's ``unlinked`` reason says it is filled.

With ``link-workspace-packages`` pnpm asks the registry first and keeps the
registry's copy when it is newer than the member; cigen does not ask a
registry, so it links whenever the member satisfies the range, as pnpm does for
the unpublished and private packages most monorepos hold.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cigen.discovery.semver import parse_range, parse_version
from cigen.discovery.settings import LinkSettings
from cigen.discovery.specs import Spec, parse_spec
from cigen.errors import InputError
from cigen.model import Dependency, Member

MANAGER_NAMES = {"npm": "npm", "yarn": "yarn classic", "yarn-berry": "yarn", "pnpm": "pnpm", "bun": "bun"}
CATALOG_FILES = {"pnpm": "pnpm-workspace.yaml", "yarn-berry": ".yarnrc.yml", "bun": "package.json"}
# Protocols a manager rejects (npm: EUNSUPPORTEDPROTOCOL), each checked with that manager.
UNSUPPORTED = {"npm": {"workspace", "link", "portal"}, "yarn": {"workspace", "portal"}, "pnpm": {"portal"}}
ANY_WORKSPACE_VERSION = ("*", "^", "~", "")
_UNKNOWN = object()


@dataclass(frozen=True, slots=True)
class Link:
    target: Member
    via_path: bool = False  # reached by its folder (link:, file:, a path source), not by its name


@dataclass(frozen=True, slots=True)
class NoLink:
    reason: str


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Linked as the managers that support it would, with a warning about this one."""

    target: Member
    protocol: str
    via_path: bool = False


Decision = Link | NoLink | Unsupported | None  # None: the dependency names no member


class NodeLinker:
    """The link rules of one package manager over one workspace's named members."""

    def __init__(
        self,
        by_name: Mapping[str, Sequence[Member]],
        by_path: Mapping[str, Member],
        settings: LinkSettings,
        rush: bool,
    ) -> None:
        self.by_name = by_name
        self.by_path = by_path
        self.settings = settings
        self.pm = settings.package_manager
        self.rush = rush
        self._cache: dict[tuple[str, str], Decision | object] = {}

    def decide(self, member: Member, dep: Dependency, manifest: str) -> Decision:
        """The decision for ``dep`` of ``member``: as any dependency's, but a peer that this manager does not
        install links nowhere (the rule says why)."""
        decision = self._decide_cached(member, dep, manifest)
        if dep.field == "peerDependencies" and not self.settings.links_peers and isinstance(decision, Link | Unsupported):
            return NoLink(self.settings.peer_rule)
        return decision

    def _decide_cached(self, member: Member, dep: Dependency, manifest: str) -> Decision:
        """The same (name, spec) decides alike in every member but for paths (relative to the member) and
        rush's per-project decoupling, so it is cached."""
        if self.rush and member.path in self.settings.decoupled:
            return self._decide(member, dep, manifest)[0]
        key = (dep.name, dep.spec)
        cached = self._cache.get(key, _UNKNOWN)
        if cached is not _UNKNOWN:
            return cached  # type: ignore[return-value]
        decision, reusable = self._decide(member, dep, manifest)
        if reusable:
            self._cache[key] = decision
        return decision

    def _decide(self, member: Member, dep: Dependency, manifest: str) -> tuple[Decision, bool]:
        override = self.settings.overrides.get(dep.name)
        if override == "-":
            return None, True  # pnpm removes the dependency
        spec = parse_spec(dep.name, override if override is not None else dep.spec)
        if override is not None and spec.kind == "path" and spec.protocol in ("link", "file"):
            # pnpm reads link:/file: paths of overrides from the workspace root.
            folder = _resolve(".", spec.text)
            if folder is None:
                return None, True
            relative = posixpath.relpath(folder, member.path)
            spec = Spec("path", spec.target, relative, spec.protocol)
        if spec.kind == "catalog":
            resolved = self._from_catalog(spec, dep, manifest)
            if resolved is None:
                return None, True
            spec = resolved
        if spec.kind == "path":
            return self._path(member, spec, dep), False
        return self._named(member, spec, dep, manifest), True

    def _named(self, member: Member, spec: Spec, dep: Dependency, manifest: str) -> Decision:
        candidates = self.by_name.get(spec.target)
        if not candidates:
            if spec.kind == "workspace":
                raise InputError(
                    f"dependency {dep.spec} on {spec.target}, but no workspace member is named {spec.target}",
                    path=manifest,
                    hint="add the member or fix the name",
                )
            return None
        if spec.kind == "workspace":
            return self._workspace(spec, dep, candidates, manifest)
        if spec.kind == "remote":
            return NoLink(f"{dep.spec} installs from {_remote_kind(spec.text)}, not from the workspace")
        return self._bare(member, spec, dep, candidates)

    # --- the protocols ----------------------------------------------------------------------------

    def _workspace(self, spec: Spec, dep: Dependency, candidates: Sequence[Member], manifest: str) -> Decision:
        # pnpm and yarn give a member without a version 0.0.0 for the workspace: protocol.
        versions = _by_version(candidates, default="0.0.0")
        wanted = spec.text
        if wanted in ANY_WORKSPACE_VERSION or parse_range(wanted) is None:
            chosen = _highest(versions)  # a dist-tag after workspace: takes any version, as "*" does
        else:
            chosen = _max_satisfying(versions, wanted)
        if chosen is None:
            found = ", ".join(f"{m.version or '0.0.0'} ({m.path})" for m in candidates)
            raise InputError(
                f"dependency {dep.spec} on {spec.target}, but no workspace member named {spec.target} "
                f"satisfies {wanted} (found {found})",
                path=manifest,
                hint="fix the range or the member's version",
            )
        if "workspace" in UNSUPPORTED.get(self.pm, ()):
            return Unsupported(chosen, "workspace:")
        return Link(chosen)

    def _path(self, member: Member, spec: Spec, dep: Dependency) -> Decision:
        folder = _resolve(member.path, spec.text)
        target = self.by_path.get(folder) if folder is not None else None
        if spec.protocol == "workspace" and target is None and folder is not None:
            # yarn writes workspace paths relative to the project root.
            root_relative = _resolve(".", spec.text)
            target = self.by_path.get(root_relative) if root_relative else None
        if target is not None:
            if spec.protocol in UNSUPPORTED.get(self.pm, ()):
                return Unsupported(target, f"{spec.protocol}:", via_path=True)
            return Link(target, via_path=True)
        if dep.name in self.by_name:
            where = folder if folder is not None else "a folder outside the repository"
            return NoLink(f"{dep.spec} points to {where}, which is not a workspace member")
        return None

    def _from_catalog(self, spec: Spec, dep: Dependency, manifest: str) -> Spec | None:
        catalog = self.settings.catalogs.get(spec.text)
        entry = catalog.get(dep.name) if catalog is not None else None
        if entry is None:
            if dep.name not in self.by_name:
                return None  # not about a member: the package manager reports it at install
            if self.pm not in CATALOG_FILES:
                raise InputError(
                    f"dependency {dep.spec} on {dep.name}, but {MANAGER_NAMES.get(self.pm, self.pm)} has no catalogs",
                    path=manifest,
                    hint="catalog: works with pnpm, yarn 4.10+ and bun; write a version range or workspace:",
                )
            raise InputError(
                f"dependency {dep.spec} on {dep.name}, but catalog {spec.text!r} has no entry for {dep.name}",
                path=manifest,
                hint=f"add {dep.name} to the catalog in {CATALOG_FILES[self.pm]}",
            )
        resolved = parse_spec(dep.name, entry)
        if resolved.kind == "catalog":
            raise InputError(f"catalog entry {dep.name}: {entry} refers to another catalog", path=manifest)
        return resolved

    # --- bare ranges, dist-tags and npm: aliases --------------------------------------------------

    def _bare(self, member: Member, spec: Spec, dep: Dependency, candidates: Sequence[Member]) -> Decision:
        pm = self.pm
        name = MANAGER_NAMES.get(pm, pm)
        if self.rush:
            decoupled = self.settings.decoupled.get(member.path, frozenset())
            if spec.target in decoupled:
                return NoLink(
                    f"{member.path} lists {spec.target} in decoupledLocalDependencies (rush.json): "
                    "rush installs the published version"
                )
        elif spec.protocol == "npm" and pm in ("npm", "yarn"):
            return NoLink(f"{name} installs npm: aliases from the registry")
        elif pm == "pnpm" and not self.settings.link_workspace_packages:
            alone = "; prefer-workspace-packages alone does not link" if self.settings.prefer_workspace_packages else ""
            return NoLink(
                f"pnpm link-workspace-packages is false ({self.settings.link_source}{alone}); "
                "use workspace: to link it, or set linkWorkspacePackages: true"
            )
        elif pm == "yarn-berry" and not self.settings.transparent_workspaces:
            return NoLink("yarn enableTransparentWorkspaces is false (.yarnrc.yml); use workspace: to link it")
        if spec.kind == "tag":
            if pm == "pnpm" and not self.rush:
                chosen = _highest(_by_version(candidates, default="0.0.0"))
                return Link(chosen) if chosen is not None else None
            return NoLink(f"{name} installs dist-tag {spec.text!r} from the registry")
        return self._range(spec, candidates)

    def _range(self, spec: Spec, candidates: Sequence[Member]) -> Decision:
        pm, text = self.pm, spec.text.strip()
        if pm == "pnpm" and not self.rush:
            versions = _by_version(candidates, default="0.0.0")
            # pnpm's resolveWorkspaceRange: "*" takes any version, prereleases included.
            chosen = _highest(versions) if text in ("*", "") else _max_satisfying(versions, text)
        else:
            parsed = parse_range(text or "*")
            if pm == "bun" and text == "":
                return NoLink("bun resolves an empty range from the registry")
            if (pm == "npm" and text in ("", "*")) or (pm == "bun" and parsed is not None and parsed.is_any):
                chosen = _highest(_by_version(candidates, default=None))  # any version, even none
            elif pm == "yarn" and text == "":
                chosen = _highest(_by_version(candidates, default=None))
            else:
                chosen = _max_satisfying(_by_version(candidates, default=None), text or "*")
        if chosen is not None:
            return Link(chosen)
        found = ", ".join(f"{m.version or 'no version'} ({m.path})" for m in candidates)
        return NoLink(f"{text or repr('')} is not satisfied by {found}")


def _by_version(candidates: Sequence[Member], default: str | None) -> dict[str | None, Member]:
    """Members of one name keyed by version; of equal versions the last by path wins, as in pnpm's map."""
    out: dict[str | None, Member] = {}
    for m in candidates:
        out[m.version if m.version is not None else default] = m
    return out


def _highest(versions: Mapping[str | None, Member]) -> Member | None:
    """The member with the highest valid version; a lone version-less member when none has one."""
    best = None
    for text, m in versions.items():
        v = parse_version(text) if text is not None else None
        if v is not None and (best is None or v.key > best[0]):
            best = (v.key, m)
    if best is not None:
        return best[1]
    return versions.get(None)


def _max_satisfying(versions: Mapping[str | None, Member], range_text: str) -> Member | None:
    parsed = parse_range(range_text)
    if parsed is None:
        return None
    best = None
    for text, m in versions.items():
        v = parse_version(text) if text is not None else None
        if v is not None and parsed.test(v) and (best is None or v.key > best[0]):
            best = (v.key, m)
    return best[1] if best else None


def _resolve(base: str, relative: str) -> str | None:
    """``relative`` (a path from ``base``, a member folder) as a path from the root; None outside it."""
    relative = relative.strip().replace("\\", "/")
    if relative.startswith("//"):
        relative = relative[1:]
    if relative.startswith("/"):
        return None  # absolute: not inside the repository in any portable way
    joined = posixpath.normpath(posixpath.join("" if base == "." else base, relative))
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def _remote_kind(text: str) -> str:
    if text.startswith(("http:", "https:")):
        return "a URL"
    if text.startswith(("patch:", "exec:")):
        return text.split(":", 1)[0] + ":"
    if text.startswith("jsr:"):
        return "the JSR registry"
    return "git"
