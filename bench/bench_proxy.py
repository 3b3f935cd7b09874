#!/usr/bin/env python3
"""What the loopback proxy of ``${url:NAME}`` costs a caller, against the same service reached directly.

Usage (from the checkout root)::

    .venv/bin/python bench/bench_proxy.py [--rounds 5] [--requests 400] [--concurrency 16]

It starts a real Node service (testing/servers/server.js) and a proxy in front of it
(``python -m cigen.verify.proxy``, as ``cigen up`` runs it), then alternates rounds
direct / through the proxy (the machine is shared and noisy) and prints medians:

- ``latency``: one keep-alive connection, requests one after another: the median
  time of a request, and the proxy's added microseconds;
- ``throughput``: ``--concurrency`` keep-alive connections at once: requests per second;
- ``delay 100ms``: the proxy switched to a 100 ms delay: the median latency above
  the direct one (what a resilience check's ``within`` is measured against).
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess  # a benchmark measures raw child processes; cigen.adapters.proc would add its own overhead
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cigen.runtime.proxies import free_ports  # noqa: E402 - after the checkout is on the path
from cigen.verify.proxy_control import Mode, ProxyUnreachable, switch  # noqa: E402

SERVER = REPO / "testing" / "servers" / "server.js"


def wait_listening(port: int, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"nothing listens on {port}")


def sequential(port: int, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    took = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", "/")
        connection.getresponse().read()
        took.append(time.perf_counter() - started)
    connection.close()
    return took


def throughput(port: int, count: int, concurrency: int) -> float:
    def worker(share: int) -> None:
        sequential(port, share)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, [count // concurrency] * concurrency))
    return (count // concurrency) * concurrency / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    target, listen, control = free_ports(3)
    node = subprocess.Popen(["node", str(SERVER)], cwd=os.environ.get("TMPDIR", "/tmp"),
                            env={**os.environ, "PORT": str(target), "NAME": "bench"}, stdout=subprocess.DEVNULL)
    proxy = subprocess.Popen([sys.executable, "-m", "cigen.verify.proxy", "--listen", str(listen),
                              "--target", f"127.0.0.1:{target}", "--control", str(control)], cwd=REPO)
    try:
        wait_listening(target)
        wait_listening(listen)
        sequential(target, 50), sequential(listen, 50)  # warm both paths up
        latency: dict[str, list[float]] = {"direct": [], "proxy": []}
        rate: dict[str, list[float]] = {"direct": [], "proxy": []}
        delayed: list[float] = []
        for _ in range(args.rounds):
            for name, port in (("direct", target), ("proxy", listen)):
                latency[name].append(statistics.median(sequential(port, args.requests)))
                rate[name].append(throughput(port, args.requests * 2, args.concurrency))
            switch(control, Mode("delay", by=0.1))
            delayed.append(statistics.median(sequential(listen, 20)))
            switch(control, Mode())
        direct, through = statistics.median(latency["direct"]), statistics.median(latency["proxy"])
        print(f"latency     direct {direct * 1e6:8.0f} µs   proxy {through * 1e6:8.0f} µs   "
              f"+{(through - direct) * 1e6:.0f} µs ({through / direct:.2f}x)   median of {args.rounds} rounds "
              f"x {args.requests} requests")
        direct_rate, proxy_rate = statistics.median(rate["direct"]), statistics.median(rate["proxy"])
        print(f"throughput  direct {direct_rate:8.0f} /s   proxy {proxy_rate:8.0f} /s   "
              f"({proxy_rate / direct_rate:.2f}x) with {args.concurrency} connections")
        print(f"delay 100ms measured +{(statistics.median(delayed) - direct) * 1e3:.1f} ms above direct")
    except ProxyUnreachable as exc:
        raise SystemExit(str(exc)) from None
    finally:
        for process in (proxy, node):
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
