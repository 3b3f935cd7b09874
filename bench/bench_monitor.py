#!/usr/bin/env python3
"""The run's sampler's own CPU cost: ``cigen up`` of N idle services, sampled every second.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_monitor.py [--services 50] [--windows 6] [--window 10]

It writes a monorepo of N tiny idle Node HTTP services (testing/servers/server.js),
starts them with ``cigen up`` (which starts the sampler under the project's PM2
daemon, ``monitor.interval: 1s``), then alternates windows of ``--window``
seconds with the sampler running and with it stopped (SIGSTOP of its process
tree, SIGCONT after), and prints, as medians over the windows of each kind:

- the sampler's own CPU: the CPU time of its process tree (the Python sampler
  and its Node bridge to PM2) per second of wall time, in % of one core;
- the PM2 daemon's CPU in both kinds of window (the sampler asks it for its
  process list every tenth second, and the daemon sends it events);
- the whole machine's busy CPU in both kinds of window: the baseline of the
  same run, with everything else the machine does;
- one look at the services' sockets three ways, alternating, medians: the
  sampler's (cigen.monitor.sockets.table: the kernel's TCP tables once and the
  services' own open files), psutil.net_connections() (every process's open
  files) and Process.net_connections() for each service process (the table
  parsed again for each).

Target (issue 11): the sampler under 2% of one core at 50 services.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess  # a benchmark drives cigen as a user does; cigen.adapters.proc would add its own overhead
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from the checkout: cigen importable
from cigen.monitor.sockets import table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "testing" / "servers" / "server.js"
NODE_BIN = REPO / "tools" / "node" / "node_modules" / ".bin"


def write_monorepo(root: Path, count: int) -> None:
    services = {}
    for i in range(count):
        name = f"svc-{i:03d}"
        folder = root / "services" / name
        folder.mkdir(parents=True)
        shutil.copy(SERVER, folder / "server.js")
        (folder / "package.json").write_text(json.dumps({"name": name, "private": True}))
        services[name] = {"start": "node server.js", "port": free_port(), "env": {"NAME": name},
                          "health": {"http": "/health", "interval": "100ms", "deadline": "120s"}}
    (root / "package.json").write_text(json.dumps({"name": "bench", "private": True, "workspaces": ["services/*"]}))
    (root / "cigen.yaml").write_text(yaml.safe_dump({"services": services, "monitor": {"interval": "1s"}}))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cigen(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cigen", *args, "--root", str(root)], env=env, cwd=root,
                          capture_output=True, text=True, timeout=600)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for p in processes:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def socket_looks(pids: list[int], rounds: int = 7) -> dict[str, float]:
    """Milliseconds for one look at the sockets of ``pids``, three ways, alternating; medians."""
    def each() -> None:
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).net_connections(kind="tcp")

    ways = {"sampler": lambda: table(pids), "machine-wide": lambda: psutil.net_connections(kind="tcp"),
            "per process": each}
    took: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, look in ways.items():
            started = time.perf_counter()
            look()
            took[name].append(1000 * (time.perf_counter() - started))
    return {name: statistics.median(values) for name, values in took.items()}


def machine_busy() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0) + getattr(t, "steal", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--windows", type=int, default=6, help="windows of each kind, taking turns")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per window")
    args = parser.parse_args()

    env = {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory(prefix="cigen-bench-monitor-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        env["CIGEN_PM2_HOME"] = tempfile.mkdtemp(prefix="cgb-", dir="/tmp")
        write_monorepo(root, args.services)
        try:
            up = cigen(root, env, "up", "--json")
            if up.returncode != 0:
                raise SystemExit(f"cigen up failed:\n{up.stdout}\n{up.stderr}")
            records = root / ".cigen" / "logs" / "run" / "records.jsonl"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and '"kind":"start"' not in (records.read_text() if records.exists() else ""):
                time.sleep(0.1)
            start = next(json.loads(line) for line in records.read_text().splitlines() if '"kind":"start"' in line)
            sampler = psutil.Process(start["pid"])
            tree = [sampler, *sampler.children(recursive=True)]
            daemon = psutil.Process(int((Path(env["CIGEN_PM2_HOME"]) / "pm2.pid").read_text()))
            time.sleep(3)  # past the sampler's first look at every tree
            own: dict[str, list[float]] = {"running": [], "stopped": []}
            pm2: dict[str, list[float]] = {"running": [], "stopped": []}
            busy: dict[str, list[float]] = {"running": [], "stopped": []}
            for _ in range(args.windows):
                for kind in ("running", "stopped"):
                    if kind == "stopped":
                        for p in tree:
                            p.send_signal(signal.SIGSTOP)
                    before = (time.monotonic(), cpu_seconds(tree), cpu_seconds([daemon]), machine_busy())
                    time.sleep(args.window)
                    after = (time.monotonic(), cpu_seconds(tree), cpu_seconds([daemon]), machine_busy())
                    if kind == "stopped":
                        for p in tree:
                            p.send_signal(signal.SIGCONT)
                    wall = after[0] - before[0]
                    own[kind].append(100 * (after[1] - before[1]) / wall)
                    pm2[kind].append(100 * (after[2] - before[2]) / wall)
                    busy[kind].append(100 * (after[3] - before[3]) / wall)
            samples = sum(1 for line in records.read_text().splitlines() if '"kind":"sample"' in line)
            looks = socket_looks([p.pid for p in daemon.children()])
        finally:
            cigen(root, env, "down")
            shutil.rmtree(env["CIGEN_PM2_HOME"], ignore_errors=True)

    med = statistics.median
    print(f"services: {args.services} idle Node servers; sampler interval 1 s; {args.windows} windows of "
          f"{args.window:g} s each way, taking turns; {samples} samples written; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine adds noise)")
    print(f"sampler's own CPU (its tree: Python + Node bridge): {med(own['running']):5.2f} % of one core "
          f"(target < 2 %); stopped: {med(own['stopped']):.2f} %")
    print(f"PM2 daemon's CPU:                                   {med(pm2['running']):5.2f} % with the sampler, "
          f"{med(pm2['stopped']):.2f} % without")
    print(f"machine busy (all cores, in % of one core):         {med(busy['running']):5.1f} % with the sampler, "
          f"{med(busy['stopped']):.1f} % without (the baseline)")
    print(f"one look at the {args.services} services' sockets: {looks['sampler']:.1f} ms the sampler's way, "
          f"{looks['machine-wide']:.1f} ms psutil.net_connections() "
          f"({looks['machine-wide'] / looks['sampler']:.0f}x), {looks['per process']:.1f} ms "
          f"Process.net_connections() for each ({looks['per process'] / looks['sampler']:.0f}x)")


if __name__ == "__main__":
    main()
