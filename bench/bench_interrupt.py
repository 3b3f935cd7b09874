#!/usr/bin/env python3
"""Ctrl-C at many moments of ``cigen up``'s start-up: what it prints, how it exits, what it leaves running.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_interrupt.py [--tries 60] [--until 0.8]

It writes a monorepo of two real Node services (testing/servers/server.js,
one needing the other) with a PM2_HOME of its own, then runs ``python -m cigen
up`` ``--tries`` times, each in a session of its own, sending SIGINT to that
session (as a terminal's Ctrl-C does) at a moment spread evenly over the first
``--until`` seconds: while Python starts, while cigen imports, while the PM2
daemon spawns, while the services start. After each try it looks, by
environment, for any process still running with the monorepo's PM2_HOME, and
stops what it finds with ``cigen down``.

It prints one line per outcome with its count: the exit code, whether stderr
held a traceback, whether its last line was ``cigen: interrupted...``, and
whether anything of the project was left running. The target (issue 15): every
try ends with exit 130 and ``cigen: interrupted``, no traceback, and nothing
left, except the first ~20 ms, before Python runs any of cigen (there SIGINT
ends the interpreter as it ends any program).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess  # a benchmark drives raw child processes, as a terminal would
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / "testing" / "servers" / "server.js"
NODE_BIN = REPO / "tools" / "node" / "node_modules" / ".bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _monorepo(root: Path) -> None:
    services = {}
    for name, needs in (("db", []), ("api", ["db"])):
        folder = root / "services" / name
        folder.mkdir(parents=True)
        shutil.copy(SERVER, folder / "server.js")
        (folder / "package.json").write_text(json.dumps({"name": name, "version": "1.0.0", "private": True}))
        services[name] = {"start": "node server.js", "port": _free_port(), "env": {"NAME": name},
                          "health": {"http": "/health", "interval": "50ms"}, "depends_on": needs}
    (root / "package.json").write_text(json.dumps({"name": "bench", "private": True, "workspaces": ["services/*"]}))
    (root / "cigen.yaml").write_text(yaml.safe_dump({"services": services}))


def _left(home: Path) -> list[int]:
    """PIDs of processes whose environment names ``home`` as PM2_HOME (the daemon, the services)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and proc.environ().get("PM2_HOME") == str(home):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=60)
    parser.add_argument("--until", type=float, default=0.8, help="latest moment, in seconds after the start")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cigen-interrupt-"))
    home = Path(tempfile.mkdtemp(prefix="cgi-", dir="/tmp"))
    root = work / "repo"
    _monorepo(root)
    env = {**os.environ, "CIGEN_PM2_HOME": str(home), "PATH": f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}"}
    cigen = [sys.executable, "-m", "cigen"]
    outcomes: collections.Counter[tuple[int, bool, bool, bool]] = collections.Counter()
    try:
        for i in range(options.tries):
            moment = options.until * i / max(1, options.tries - 1)
            up = subprocess.Popen([*cigen, "up", "--root", str(root)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
            time.sleep(moment)
            os.killpg(up.pid, signal.SIGINT)
            _, stderr = up.communicate(timeout=60)
            time.sleep(0.3)  # a daemon spawned in the background would be up by now
            left = _left(home)
            last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
            outcome = (up.returncode, "Traceback" in stderr, last.startswith("cigen: interrupted"), bool(left))
            outcomes[outcome] += 1
            if outcome != (130, False, True, False):
                print(f"at {moment:.3f} s: exit {up.returncode}, left {left}: {stderr.strip()[-300:]}", flush=True)
            if left:
                subprocess.run([*cigen, "down", "--root", str(root)], env=env, capture_output=True, timeout=60)
    finally:
        subprocess.run([*cigen, "down", "--root", str(root)], env=env, capture_output=True, timeout=60)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    print(f"{options.tries} tries, SIGINT between 0 and {options.until} s:")
    for (code, traceback, said, left), count in sorted(outcomes.items(), key=lambda item: -item[1]):
        print(f"  {count:4d}  exit {code}, {'a traceback' if traceback else 'no traceback'}, "
              f"{'cigen: interrupted' if said else 'no interrupted line'}, {'LEFT RUNNING' if left else 'nothing left'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
