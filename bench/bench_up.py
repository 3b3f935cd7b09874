#!/usr/bin/env python3
"""Time ``cigen up`` on a graph of services with known start-up delays, against its lower bound.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_up.py [--runs 3] [--interval 50ms]

It writes a monorepo of 16 real Node services (testing/servers/server.js)
in four layers; each waits ``DELAY_MS`` before it listens and is gated on an
HTTP ``/health`` probe every ``--interval``. Each layer's services depend on one
or two of the layer before, so the longest chain has four services.

It prints, from the same run:

- ``up``: the median wall time of ``cigen up --json`` (a fresh PM2 daemon each
  run, process start-up included) until every service is healthy, and the time
  cigen's own clock measured from its first start to the last healthy gate;
- ``critical path``: the longest chain of delays, the lower bound of any
  start-up order (a process cannot be healthy before its delay has passed);
- ``level by level``: the sum of each level's slowest delay, what gating whole
  levels (instead of each service) could at best reach;
- ``one by one``: the same services chained so that each waits for the one
  before (every delay in sequence), measured with the same cigen.

Target (issue 5): ``up`` less than 0.3 s above the critical path per service on
the longest chain.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess  # a benchmark measures raw child processes; cigen.adapters.proc would add its own overhead
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import BASELINE_HELP

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "testing" / "servers" / "server.js"
NODE_BIN = REPO / "tools" / "node" / "node_modules" / ".bin"

# name -> (delay in ms, dependencies): four layers, 16 services.
GRAPH: dict[str, tuple[int, list[str]]] = {
    "db": (300, []), "cache": (150, []), "queue": (450, []), "config": (100, []),
    "auth": (400, ["db", "config"]), "users": (250, ["db"]), "search": (200, ["cache", "queue"]),
    "billing": (350, ["db", "queue"]),
    "api": (300, ["auth", "users"]), "jobs": (150, ["billing"]), "feed": (500, ["search", "users"]),
    "notify": (100, ["queue", "users"]),
    "web": (200, ["api", "feed"]), "admin": (250, ["api", "billing"]), "mobile": (150, ["api"]),
    "hooks": (100, ["notify", "jobs"]),
}


def critical_path() -> tuple[float, list[str]]:
    best: dict[str, tuple[float, list[str]]] = {}

    def longest(name: str) -> tuple[float, list[str]]:
        if name not in best:
            delay, deps = GRAPH[name]
            before = max((longest(d) for d in deps), default=(0.0, []))
            best[name] = (before[0] + delay / 1000, [*before[1], name])
        return best[name]

    return max(longest(n) for n in GRAPH)


def levels() -> list[list[str]]:
    level: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in level:
            level[name] = 1 + max((depth(d) for d in GRAPH[name][1]), default=-1)
        return level[name]

    out: list[list[str]] = []
    for name in GRAPH:
        while len(out) <= depth(name):
            out.append([])
        out[depth(name)].append(name)
    return out


def write_monorepo(root: Path, interval: str, chained: bool, ports: dict[str, int]) -> None:
    order = [n for level in levels() for n in level]
    services = {}
    for i, (name, (delay, deps)) in enumerate(GRAPH.items()):
        folder = root / "services" / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(SERVER, folder / "server.js")
        (folder / "package.json").write_text(json.dumps({"name": name, "private": True}))
        depends = ([order[order.index(name) - 1]] if order.index(name) else []) if chained else deps
        services[name] = {
            "start": "node server.js", "port": ports[name], "env": {"NAME": name, "DELAY_MS": delay},
            "depends_on": depends,
            "health": {"http": "/health", "interval": interval, "timeout": "1s", "deadline": "60s"},
        }
    (root / "package.json").write_text(json.dumps({"name": "bench", "private": True, "workspaces": ["services/*"]}))
    (root / "cigen.yaml").write_text(yaml.safe_dump({"services": services}))


def free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def cigen(python: str, root: Path, env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    # From the monorepo: `python -m` puts the working folder first on sys.path, which must not be a checkout.
    done = subprocess.run([python, "-m", "cigen", *args, "--root", str(root)], env=env, cwd=root,
                          capture_output=True, text=True, timeout=300)
    return time.perf_counter() - started, done


def measure(root: Path, env: dict[str, str], runs: int, pythons: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Per cigen (by label: its Python), the median wall time of `cigen up` and the median of cigen's own
    first-start-to-last-healthy time; the cigens take turns, run by run."""
    walls: dict[str, list[float]] = {label: [] for label in pythons}
    inner: dict[str, list[float]] = {label: [] for label in pythons}
    for _ in range(runs):
        for label, python in pythons.items():
            try:
                wall, done = cigen(python, root, env, "up", "--json")
                if done.returncode != 0:
                    raise SystemExit(f"cigen up ({label}) failed:\n{done.stdout}\n{done.stderr}")
                walls[label].append(wall)
                inner[label].append(json.loads(done.stdout)["elapsed"])
            finally:
                cigen(python, root, env, "down")
    return {label: (statistics.median(walls[label]), statistics.median(inner[label])) for label in pythons}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--interval", default="50ms", help="health probe interval (cigen.yaml duration)")
    parser.add_argument("--baseline", metavar="PYTHON", help=BASELINE_HELP)
    args = parser.parse_args()

    env = {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}"}
    path_s, chain = critical_path()
    by_level = sum(max(GRAPH[n][0] for n in level) for level in levels()) / 1000
    serial = sum(d for d, _ in GRAPH.values()) / 1000
    with tempfile.TemporaryDirectory(prefix="cigen-bench-up-") as tmp:
        env["CIGEN_PM2_HOME"] = tempfile.mkdtemp(prefix="cgb-", dir="/tmp")
        ports = dict(zip(GRAPH, free_ports(len(GRAPH))))
        graph_root, chain_root = Path(tmp) / "graph", Path(tmp) / "chain"
        write_monorepo(graph_root, args.interval, chained=False, ports=ports)
        write_monorepo(chain_root, args.interval, chained=True, ports=ports)
        pythons = {"cigen": sys.executable, **({"baseline": args.baseline} if args.baseline else {})}
        ups = measure(graph_root, env, args.runs, pythons)
        one_wall, one_inner = measure(chain_root, env, args.runs, {"cigen": sys.executable})["cigen"]
        shutil.rmtree(env["CIGEN_PM2_HOME"], ignore_errors=True)
    up_wall, up_inner = ups["cigen"]

    n = len(chain)
    print(f"services: {len(GRAPH)} in {len(levels())} levels; longest chain: {' -> '.join(chain)} ({n} services)")
    print(f"probe interval: {args.interval}; median of {args.runs} runs, fresh PM2 daemon each run; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine adds noise)")
    print(f"critical path (lower bound):       {path_s:6.2f} s")
    print(f"level by level (lower bound):      {by_level:6.2f} s")
    print(f"cigen up, wall (from the command): {up_wall:6.2f} s")
    print(f"cigen up, first start to healthy:  {up_inner:6.2f} s")
    print(f"one by one, wall:                  {one_wall:6.2f} s   (sum of delays {serial:.2f} s; "
          f"first start to healthy {one_inner:.2f} s)")
    over_wall, over_inner = (up_wall - path_s) / n, (up_inner - path_s) / n
    print(f"above the critical path per service on the longest chain: {over_wall:.3f} s wall, "
          f"{over_inner:.3f} s measured by cigen (target < 0.300 s)")
    print(f"speed-up over one by one: {one_wall / up_wall:.2f}x")
    if args.baseline:
        base_wall, base_inner = ups["baseline"]
        print(f"baseline cigen up, wall: {base_wall:6.2f} s; first start to healthy: {base_inner:6.2f} s; "
              f"cigen / baseline (wall): {up_wall / base_wall:.2f}")


if __name__ == "__main__":
    main()
