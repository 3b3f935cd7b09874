"""The services of a workspace: cigen.yaml ``services:`` resolved against the members.

A service is a startable member (a ``start`` script; not a library of kind
``package``, and not the root package, unless cigen.yaml lists it), or an entry
of ``services:`` with its own ``start`` that names no member (a database, a
mock). Its runtime dependencies are its ``depends_on``, the services its
environment refers to (``${url:NAME}``, ``${port:NAME}``: see
:mod:`cigen.config.refs`), and the nearest services it reaches in the package
graph through runtime fields (``dependencies``, ``peerDependencies``,
``optionalDependencies``, PEP 621 dependencies; never devDependencies or
dependency groups).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cigen.errors import CycleError, InputError
from cigen.suggest import did_you_mean
from cigen.config.loader import position
from cigen.config.refs import references, rename, substitute
from cigen.config.services import HealthConfig, RestartConfig, ServiceConfig
from cigen.graph.core import cycles
from cigen.graph.graph import Graph, build_graph, from_names
from cigen.plan.stages import Plan, compute_plan
from cigen.runtime.probes import CmdProbe, HttpProbe, Probe, TcpProbe

if TYPE_CHECKING:
    from cigen.config.root import Config
    from cigen.model import Member, Workspace

RUNTIME_FIELDS = frozenset(
    {"dependencies", "peerDependencies", "optionalDependencies", "project.dependencies",
     "project.optional-dependencies"}
)
# Through a shell when the command uses what only a shell understands.
_SHELL_CHARS = set("|&;<>()$`*?[]{}~\n")
_RUN_SCRIPT = {
    "npm": ("npm", "run", "start"),
    "pnpm": ("pnpm", "run", "start"),
    "yarn": ("yarn", "run", "start"),
    "yarn-berry": ("yarn", "run", "start"),
    "bun": ("bun", "run", "start"),
    "uv": ("uv", "run", "start"),
    "poetry": ("poetry", "run", "start"),
    "pip": ("start",),
}


@dataclass(frozen=True, slots=True)
class Health:
    probe: Probe | None  # None: healthy once up for restart.min_uptime
    interval: float
    timeout: float
    start_period: float
    deadline: float
    retries: int | None


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    member: str | None  # the member's path; None for a service that is no member
    cwd: str  # relative to the root, "/"-separated
    command: tuple[str, ...]
    port: int | None
    env: tuple[tuple[str, str], ...]
    instances: int
    health: Health
    restart: RestartConfig
    kill_timeout: float
    depends_on: tuple[str, ...]  # runtime dependencies, sorted
    # The services its environment refers to (``${url:NAME}``), sorted: a subset of depends_on, each an edge
    # cigen can put a loopback proxy on. ``env`` keeps the references, with each NAME the service's own name.
    refers_to: tuple[str, ...] = ()

    def environment(self, port_of: Callable[[str], int]) -> dict[str, str]:
        """The environment the process gets, each reference resolved through ``port_of(service)``."""
        return {key: substitute(value, port_of) for key, value in self.env}


def command_argv(command: str | list[str]) -> tuple[str, ...]:
    """A list is exec form; a string is split like a shell would, or run by ``sh -c`` when it needs one."""
    if isinstance(command, list):
        return tuple(command)
    if _SHELL_CHARS & set(command):
        return ("sh", "-c", command)
    return tuple(shlex.split(command))


def resolve_services(config: Config, workspace: Workspace, config_path: Path | str = "cigen.yaml") -> dict[str, ServiceSpec]:
    """Every service of the workspace by name, sorted; bad references are InputErrors."""
    members = list(workspace.members)
    name_count: dict[str, int] = {}
    for m in members:
        if m.name:
            name_count[m.name] = name_count.get(m.name, 0) + 1

    def service_name(m: Member) -> str:
        return m.name if m.name and name_count[m.name] == 1 else m.path

    def where(key: str) -> str:
        return f"services.{key}"

    configured: dict[str, tuple[str, ServiceConfig, Member | None]] = {}  # service name -> (key, cfg, member)
    for key, cfg in config.services.items():
        member = _find_member(key, members, config_path)
        if member is None and cfg.start is None:
            raise InputError(
                f"{where(key)}: no workspace member is named {key!r}", path=config_path,
                hint=suggest(key, [service_name(m) for m in members if m.startable])
                or "give it `start:` to run a command that is no member",
            )
        name = service_name(member) if member else key
        if name in configured:
            raise InputError(f"{where(key)}: {name} is configured twice (as {configured[name][0]!r} too)",
                             path=config_path, hint="keep one entry")
        configured[name] = (key, cfg, member)

    chosen: dict[str, tuple[str | None, ServiceConfig, Member | None]] = {}
    for m in members:
        name = service_name(m)
        if name in configured:
            continue
        if m.startable and "start" in m.scripts and m.kind != "package" and not m.is_root:
            chosen[name] = (None, ServiceConfig(), m)
    for name, (key, cfg, member) in configured.items():
        if cfg.enabled:
            chosen[name] = (key, cfg, member)

    aliases: dict[str, str] = {}
    for name, (entry, _, member) in chosen.items():
        aliases.update({alias: name for alias in (name, entry, member.path if member else None) if alias})
    by_path = {member.path: name for name, (_, _, member) in chosen.items() if member}
    package_deps = _package_dependencies(build_graph(workspace, include_root=True), by_path)

    specs: dict[str, ServiceSpec] = {}
    for name in sorted(chosen):
        entry, cfg, member = chosen[name]
        label = where(entry or name)
        explicit = set()
        for dep in cfg.depends_on:
            target = aliases.get(dep)
            if target is None:
                raise InputError(f"{label}.depends_on: no service is named {dep!r}", path=config_path,
                                 hint=suggest(dep, sorted(chosen)) or f"services: {', '.join(sorted(chosen))}")
            if target == name:
                raise InputError(f"{label}.depends_on: a service cannot depend on itself", path=config_path,
                                 hint=f"remove {dep!r}")
            explicit.add(target)
        refers_to = _references(name, cfg, entry or name, aliases, chosen, config_path)
        deps = explicit | set(refers_to.values()) | package_deps.get(member.path if member else "", set())
        ports = {target: port for target in refers_to.values() if (port := chosen[target][1].port) is not None}
        specs[name] = _spec(name, cfg, member, tuple(sorted(deps)), label, config_path,
                            refers_to=refers_to, ports=ports)
    return specs


def _references(name: str, cfg: ServiceConfig, key: str, aliases: dict[str, str],
                chosen: Mapping[str, tuple[str | None, ServiceConfig, Member | None]],
                config_path: Path | str) -> dict[str, str]:
    """Each service NAME the environment refers to, as written -> the service's name; bad ones are located."""
    found: dict[str, str] = {}
    for var, value in cfg.env.items():
        if not isinstance(value, str):
            continue
        for kind, written in references(value):
            target = aliases.get(written)
            problem, hint = None, None
            if target is None:
                problem = f"${{{kind}:{written}}} refers to no service"
                hint = suggest(written, sorted(chosen)) or f"services: {', '.join(sorted(chosen))}"
            elif target == name:
                problem, hint = f"${{{kind}:{written}}} refers to the service itself", "use its PORT"
            elif chosen[target][1].port is None:
                problem = f"${{{kind}:{written}}} needs the port {target} listens on"
                hint = f"give services.{chosen[target][0] or target} a port:"
            if problem is not None:
                line, column = position(Path(config_path), ("services", key, "env", var))
                raise InputError(f"services.{key}.env.{var}: {problem}", path=config_path, line=line,
                                 column=column, hint=hint)
            assert target is not None  # each problem above raised
            found[written] = target
    return found


def _find_member(key: str, members: list[Member], config_path: Path | str) -> Member | None:
    for m in members:
        if m.path == key:
            return m
    named = [m for m in members if m.name == key]
    if len(named) > 1:
        paths = ", ".join(m.path for m in named)
        raise InputError(f"services.{key}: {len(named)} members are named {key!r} ({paths})",
                         path=config_path, hint="key the service by its member's path instead")
    return named[0] if named else None


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The hint for a misspelt service name: one candidate, quoted as cigen.yaml spells it."""
    return did_you_mean(word, choices, n=1, quote=True)


def _package_dependencies(graph: Graph, service_of: dict[str, str]) -> dict[str, set[str]]:
    """For each member path, the nearest services it reaches through runtime dependency fields."""

    def runtime_deps(node: str) -> list[str]:
        return [target for target, kinds in graph.succ[node].items() if RUNTIME_FIELDS.intersection(kinds)]

    found: dict[str, set[str]] = {}
    for start in service_of:
        seen, stack, hits = {start}, runtime_deps(start), set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in service_of:
                hits.add(service_of[node])  # stop: its own dependencies come with it
            else:
                stack.extend(runtime_deps(node))
        hits.discard(service_of[start])
        found[start] = hits
    return found


def _default_start(member: Member | None, label: str, config_path: Path | str) -> tuple[str, ...]:
    if member is None or "start" not in member.scripts:
        raise InputError(f"{label}: {'the member has no start script' if member else 'no start command'}",
                         path=config_path, hint="give the service a `start:` command")
    return _RUN_SCRIPT[member.package_manager]


def _spec(name: str, cfg: ServiceConfig, member: Member | None, deps: tuple[str, ...], label: str,
          config_path: Path | str, *, refers_to: Mapping[str, str], ports: Mapping[str, int]) -> ServiceSpec:
    base = member.path if member else "."
    cwd = posixpath.normpath(posixpath.join(base, cfg.cwd)) if cfg.cwd else base
    if cwd.startswith(".."):
        raise InputError(f"{label}.cwd: {cfg.cwd!r} leaves the repository", path=config_path,
                         hint="give a folder inside the root")
    command = command_argv(cfg.start) if cfg.start is not None else _default_start(member, label, config_path)
    env = {k: rename(_env_text(v), refers_to.__getitem__) for k, v in cfg.env.items()}
    if cfg.port is not None:
        env.setdefault("PORT", str(cfg.port))
    env_pairs = tuple(sorted(env.items()))
    # A health command reaches the services its environment names directly: it checks this service, not an edge.
    probe_env = tuple((k, substitute(v, ports.__getitem__)) for k, v in env_pairs)
    return ServiceSpec(
        name=name, member=member.path if member else None, cwd=cwd, command=command, port=cfg.port,
        env=env_pairs, instances=cfg.instances, health=_health(cfg, cwd, probe_env, label, config_path),
        restart=cfg.restart, kill_timeout=cfg.kill_timeout, depends_on=deps,
        refers_to=tuple(sorted(set(refers_to.values()))),
    )


def _env_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _health(cfg: ServiceConfig, cwd: str, env: tuple[tuple[str, str], ...], label: str,
            config_path: Path | str) -> Health:
    h = cfg.health
    if h is None and cfg.port is not None:
        h = HealthConfig(tcp=cfg.port)
    if h is None:
        return Health(None, 0.25, 2.0, 0.0, 60.0, None)
    probe: Probe
    if h.http is not None:
        url = h.http
        if url.startswith("/"):
            if cfg.port is None:
                raise InputError(f"{label}.health.http: a path needs the service's `port`", path=config_path,
                                 hint=f"give port:, or a full URL such as http://127.0.0.1:4001{url}")
            url = f"http://127.0.0.1:{cfg.port}{url}"
        probe = HttpProbe(url, h.status, tuple(sorted(h.headers.items())))
    elif h.tcp is not None:
        host, _, port = str(h.tcp).rpartition(":")
        probe = TcpProbe(host.strip("[]") or "127.0.0.1", int(port))
    else:
        assert h.cmd is not None  # the model requires one probe
        probe = CmdProbe(command_argv(h.cmd), cwd, env)
    return Health(probe, h.interval, h.timeout, h.start_period, h.deadline, h.retries)


def runtime_graph(specs: Mapping[str, ServiceSpec]) -> Graph:
    """Service names, edge dependent -> dependency."""
    return from_names(specs, ((name, dep) for name, spec in specs.items() for dep in spec.depends_on))


def start_plan(specs: Mapping[str, ServiceSpec], names: Iterable[str]) -> Plan:
    """The plan that starts ``names`` (all when empty) and their runtime dependencies: the same
    :func:`~cigen.plan.stages.compute_plan` the workflow and ``cigen run`` use, over the runtime graph, so
    its ``services`` are the start order (dependencies first, ties by name). Cycles are errors."""
    g = runtime_graph(specs)
    wanted = list(names) or sorted(specs)
    unknown = [n for n in wanted if n not in specs]
    if unknown:
        raise InputError(f"no service is named {unknown[0]!r}",
                         hint=suggest(unknown[0], sorted(specs)) or f"services: {', '.join(sorted(specs)) or 'none'}")
    needed = set(wanted) | g.dependencies(wanted)
    found = cycles(g.subgraph(needed))
    if found:
        shown = " -> ".join([*found[0], found[0][0]])
        raise CycleError(f"services depend on each other in a cycle: {shown}",
                         hint="break it in cigen.yaml depends_on or in the package dependencies")
    return compute_plan(g, mode="auto", selected=needed)


def select(specs: Mapping[str, ServiceSpec], names: Iterable[str]) -> list[str]:
    """``names`` (all when empty) and their runtime dependencies, in start order (see :func:`start_plan`)."""
    return list(start_plan(specs, names).services)
