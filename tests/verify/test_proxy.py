"""The loopback proxy as a real process in front of a real HTTP server: pass-through, delay, error, a target that
is gone or silent, many connections at once, and its control channel."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cigen.runtime.proxies import free_ports
from cigen.verify.proxy_control import Mode, ProxyUnreachable, switch


class Target(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real services answer
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        Target.hits += 1
        self._answer(b"hello from the target")

    def do_POST(self) -> None:  # noqa: N802
        Target.hits += 1
        self._answer(self.rfile.read(int(self.headers["content-length"])))

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


@dataclass
class Running:
    port: int  # callers connect here
    control: int
    process: subprocess.Popen[bytes]

    def get(self, path: str = "/", timeout: float = 10) -> tuple[int, bytes, float]:
        """Status, body and seconds taken of one request through the proxy, on a fresh connection."""
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            return answer.status, answer.read(), time.monotonic() - started
        finally:
            connection.close()


def start_proxy(target_port: int) -> Running:
    port, control = free_ports(2, avoid={target_port})
    process = subprocess.Popen([sys.executable, "-m", "cigen.verify.proxy", "--listen", str(port),
                                "--target", f"127.0.0.1:{target_port}", "--control", str(control)],
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while True:
        try:
            switch(control, timeout=1)
            return Running(port, control, process)
        except ProxyUnreachable:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.02)


def stop_proxy(running: Running) -> None:
    running.process.send_signal(signal.SIGINT)
    try:
        running.process.wait(10)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait()


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Target)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def shared(server: ThreadingHTTPServer) -> Iterator[Running]:
    running = start_proxy(server.server_address[1])
    yield running
    stop_proxy(running)


@pytest.fixture
def proxy(shared: Running) -> Iterator[Running]:
    """The module's proxy, put back to pass-through after each test."""
    yield shared
    switch(shared.control, Mode())


def test_it_passes_requests_and_bodies_through_unchanged(proxy: Running) -> None:
    assert proxy.get()[:2] == (200, b"hello from the target")
    body = bytes(range(256)) * 4096  # 1 MiB, every byte value
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.request("POST", "/echo", body=body)
    answer = connection.getresponse()
    assert (answer.status, answer.read()) == (200, body)
    connection.close()


def test_it_survives_many_connections_at_once_and_keeps_none_open(proxy: Running) -> None:
    before = switch(proxy.control)
    with ThreadPoolExecutor(max_workers=48) as pool:
        results = list(pool.map(lambda _: proxy.get()[:2], range(160)))
    assert results == [(200, b"hello from the target")] * 160
    deadline = time.monotonic() + 5
    while (state := switch(proxy.control)).open and time.monotonic() < deadline:
        time.sleep(0.02)
    assert state.open == 0
    assert state.connections - before.connections == 160


def test_a_delay_holds_each_answer_back_and_ends_when_switched_back(proxy: Running) -> None:
    state = switch(proxy.control, Mode("delay", by=0.6))
    assert state.mode == Mode("delay", by=0.6)
    status, body, took = proxy.get()
    assert (status, body) == (200, b"hello from the target")
    assert took >= 0.6
    switch(proxy.control, Mode())
    assert proxy.get()[2] < 0.6


def test_an_error_is_answered_by_the_proxy_without_reaching_the_target(proxy: Running) -> None:
    hits, before = Target.hits, switch(proxy.control, Mode("error", status=503))
    status, body, _ = proxy.get("/products/mug")
    assert (status, body) == (503, b'{"error": "503 Service Unavailable", "injected": "cigen verify: error fault"}')
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.request("POST", "/orders", body=b"x" * 200_000)  # the body is read, so the answer is not lost
    assert connection.getresponse().status == 503
    connection.close()
    after = switch(proxy.control)
    assert Target.hits == hits
    assert (after.upstream - before.upstream, after.answered - before.answered) == (0, 2)


def test_a_keep_alive_connection_gets_the_error_at_its_next_request(proxy: Running) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.request("GET", "/")
    assert connection.getresponse().read() == b"hello from the target"
    switch(proxy.control, Mode("error", status=500))
    connection.request("GET", "/")
    answer = connection.getresponse()
    assert (answer.status, answer.reason, answer.getheader("connection")) == (500, "Internal Server Error", "close")
    connection.close()


def test_a_target_that_is_gone_resets_the_caller_at_once() -> None:
    [nothing] = free_ports(1)
    running = start_proxy(nothing)
    try:
        started = time.monotonic()
        with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
            running.get()
        assert time.monotonic() - started < 2
        assert switch(running.control).upstream == 0
    finally:
        stop_proxy(running)


def test_a_silent_target_holds_its_callers_and_nothing_else() -> None:
    # A listening socket that never answers: what a paused service looks like from outside.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    running = start_proxy(silent.getsockname()[1])
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            waiting = pool.submit(running.get, "/", 1.5)
            time.sleep(0.2)
            started = time.monotonic()
            assert switch(running.control, Mode("error", status=503)).open == 1  # the control still answers
            assert running.get()[0] == 503  # and a new caller gets the error, not the wait
            assert time.monotonic() - started < 1
            with pytest.raises(TimeoutError):
                waiting.result()  # the caller's own timeout ends its wait
    finally:
        stop_proxy(running)
        silent.close()


def test_a_bad_control_request_changes_nothing(proxy: Running) -> None:
    switch(proxy.control, Mode("delay", by=0.1))
    with socket.create_connection(("127.0.0.1", proxy.control), timeout=5) as sock:
        sock.sendall(b'{"mode": "error", "status": 700}\n')
        assert b"not a proxy mode" in sock.recv(4096)
    assert switch(proxy.control).mode == Mode("delay", by=0.1)


def test_sigint_ends_it_cleanly_with_connections_open(server: ThreadingHTTPServer) -> None:
    running = start_proxy(server.server_address[1])
    kept = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    kept.request("GET", "/")
    assert kept.getresponse().read() == b"hello from the target"  # and the connection stays open
    switch(running.control, Mode("delay", by=5))
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(running.get)  # an answer held back when the signal comes
        time.sleep(0.2)
        running.process.send_signal(signal.SIGINT)
        _, stderr = running.process.communicate(timeout=10)
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            waiting.result()
    kept.close()
    assert (running.process.returncode, stderr) == (0, b"")


def test_it_counts_a_callers_requests_but_not_a_port_probe_that_sends_nothing(proxy: Running) -> None:
    before = switch(proxy.control)
    socket.create_connection(("127.0.0.1", proxy.port), timeout=5).close()  # what a TCP health probe does
    deadline = time.monotonic() + 5
    while (probed := switch(proxy.control)).connections == before.connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (probed.connections - before.connections, probed.requests - before.requests) == (1, 0)
    proxy.get()
    switch(proxy.control, Mode("error", status=503))
    assert proxy.get()[0] == 503  # refused by the proxy: still a call the caller made
    state = switch(proxy.control)
    assert state.requests - before.requests == 2
