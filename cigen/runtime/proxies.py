"""The loopback proxies ``cigen up`` puts on the runtime edges that ``${url:NAME}`` declares.

A service that others refer to (``RECOMMEND_URL: ${url:shop-recommend}``) gets one
proxy, started under the project's PM2 daemon like a service (``proxy:NAME``,
gated on its port), listening on a free port of 127.0.0.1 and passing each
connection through to the service; the references resolve to the proxy's port.
So cigen sits on every declared edge: ``cigen verify`` switches a proxy to delay
or to answer an HTTP error through its control port (:mod:`cigen.verify.proxy`),
and a monitor can tell which service a connection was meant for.

The table of proxies is the file ``proxies.json`` in the project's PM2 home,
written before any is started and removed with the daemon by ``cigen down``;
:func:`proxy_table` reads it. A later ``cigen up`` keeps each proxy's ports, so
the services started before still match their definition and are adopted.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from cigen.adapters.confined import replace_file
from cigen.config.services import RestartConfig
from cigen.runtime.apps import PROXY_PREFIX, pm2_app
from cigen.runtime.pm2 import pm2_home
from cigen.runtime.probes import TcpProbe
from cigen.runtime.project import Project
from cigen.runtime.services import Health, ServiceSpec
from cigen.runtime.startup import Prepared

PROXY_MODULE = "cigen.verify.proxy"  # what a proxy runs: python -m cigen.verify.proxy
TABLE = "proxies.json"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class ProxyEntry:
    target: str  # the service behind the proxy
    target_port: int
    port: int  # where callers connect: what ${url:target} resolves to
    control: int  # where cigen verify switches its mode
    callers: tuple[str, ...]  # the services whose environment refers to the target, sorted

    @property
    def app(self) -> str:
        return PROXY_PREFIX + self.target


def table_path(root: Path) -> Path:
    return pm2_home(root) / TABLE


def proxy_table(root: Path) -> dict[str, ProxyEntry]:
    """The proxies of ``root``'s running stack by target service; empty when ``cigen up`` started none."""
    try:
        data = json.loads(table_path(root).read_text())
        return {entry["target"]: ProxyEntry(**{**entry, "callers": tuple(entry["callers"])})
                for entry in data["proxies"]}
    except (OSError, ValueError, KeyError, TypeError):  # no stack, or a file that is not this version's
        return {}


def write_table(root: Path, entries: Mapping[str, ProxyEntry]) -> None:
    home = pm2_home(root)
    data = {"version": _VERSION, "proxies": [asdict(entries[name]) for name in sorted(entries)]}
    replace_file(home, home / TABLE, (json.dumps(data, indent=2) + "\n").encode(), 0o600)


def plan_proxies(specs: Mapping[str, ServiceSpec], order: Iterable[str],
                 previous: Mapping[str, ProxyEntry]) -> dict[str, ProxyEntry]:
    """The proxies of the stack once the services of ``order`` run: one for each service they refer to,
    and those an earlier ``cigen up`` started, which still run. A target that had a proxy keeps its ports
    (its callers' environment stays the same, so they are adopted), the others get free ones."""
    callers: dict[str, set[str]] = {}
    for target, entry in previous.items():
        if target in specs and specs[target].port == entry.target_port:
            callers[target] = {c for c in entry.callers if c in specs}
    for name in order:
        for target in specs[name].refers_to:
            callers.setdefault(target, set()).add(name)
    fresh = [t for t in sorted(callers) if t not in previous or previous[t].target_port != specs[t].port]
    ports = iter(free_ports(2 * len(fresh), avoid={p for s in specs.values() if (p := s.port) is not None}))
    entries: dict[str, ProxyEntry] = {}
    for target in sorted(callers):
        target_port = specs[target].port
        assert target_port is not None  # resolve_services refuses a reference to a service without a port
        if target in fresh:
            port, control = next(ports), next(ports)
        else:
            port, control = previous[target].port, previous[target].control
        entries[target] = ProxyEntry(target, target_port, port, control, tuple(sorted(callers[target])))
    return entries


def prepare(proj: Project, order: list[str]) -> Prepared:
    """What ``cigen up`` starts for ``order``: the services and, first, the proxies their references need;
    the table is written before anything starts, so a stack being started is already described."""
    entries = plan_proxies(proj.specs, order, proxy_table(proj.root))
    used = {e.target: e for e in entries.values() if set(e.callers) & set(order)}
    home = pm2_home(proj.root)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_table(proj.root, entries)
    specs = dict(proj.specs)
    apps = proj.apps(order, absolute=True, through={t: e.port for t, e in entries.items()})
    for name in order:
        extra = {used[t].app for t in specs[name].refers_to if t in used}
        if extra:
            specs[name] = replace(specs[name], depends_on=tuple(sorted({*specs[name].depends_on, *extra})))
    for entry in sorted(used.values(), key=lambda e: e.app):
        specs[entry.app] = proxy_spec(entry)
        apps[entry.app] = pm2_app(specs[entry.app], namespace=proj.namespace, logs_dir=proj.logs, root=proj.root)
    return specs, [e.app for e in sorted(used.values(), key=lambda e: e.app)] + order, apps


def proxy_spec(entry: ProxyEntry) -> ServiceSpec:
    """The proxy as a service ``cigen up`` starts and gates on its port, with no dependency: it passes
    connections on as soon as the target listens."""
    command = (sys.executable, "-m", PROXY_MODULE, "--listen", str(entry.port),
               "--target", f"127.0.0.1:{entry.target_port}", "--control", str(entry.control))
    return ServiceSpec(
        name=entry.app, member=None, cwd=".", command=command, port=entry.port,
        env=(("PYTHONUNBUFFERED", "1"),), instances=1,
        health=Health(TcpProbe("127.0.0.1", entry.port), interval=0.05, timeout=2.0, start_period=0.0,
                      deadline=30.0, retries=None),
        restart=RestartConfig(), kill_timeout=2.0, depends_on=(),
    )


def free_ports(count: int, *, avoid: Iterable[int] = ()) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now (each bound at once, so the kernel hands out no
    port twice), none of ``avoid`` (ports services are configured to take, even when not started yet)."""
    taken = set(avoid)
    with contextlib.ExitStack() as held:
        ports: list[int] = []
        while len(ports) < count:
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            if port not in taken:
                ports.append(port)
                taken.add(port)
        return ports
