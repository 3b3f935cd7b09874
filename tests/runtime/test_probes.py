"""Health probes against real sockets and servers on 127.0.0.1: what passes, and what each failure says."""

from __future__ import annotations

import http.server
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from cigen.runtime.probes import CmdProbe, HttpProbe, TcpProbe, port_in_use, run_probe


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/hang":
            time.sleep(2)
            return
        code = int(self.path.strip("/") or 200) if self.path.strip("/").isdigit() else 200
        body = (self.headers.get("X-Token") or "").encode() if self.path == "/echo" else (
            b"Service Unavailable: the database is still migrating " * 10)
        self.send_response(code)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_http_passes_on_a_status_in_range(server: int) -> None:
    result = run_probe(HttpProbe(f"http://127.0.0.1:{server}/204"), 1.0)
    assert (result.ok, result.detail) == (True, "HTTP 204")


def test_http_failure_shows_the_status_and_the_start_of_the_body(server: int) -> None:
    result = run_probe(HttpProbe(f"http://127.0.0.1:{server}/503"), 1.0)
    assert not result.ok
    assert result.detail.startswith("HTTP 503: Service Unavailable: the database is still migrating Service")
    assert result.detail.endswith("...") and len(result.detail) < 230


def test_http_status_ranges_are_configurable(server: int) -> None:
    assert run_probe(HttpProbe(f"http://127.0.0.1:{server}/401", ((200, 299), (401, 401))), 1.0).ok
    assert not run_probe(HttpProbe(f"http://127.0.0.1:{server}/302", ((200, 299),)), 1.0).ok


def test_http_sends_the_configured_headers(server: int) -> None:
    result = run_probe(HttpProbe(f"http://127.0.0.1:{server}/echo", ((500, 500),), (("X-Token", "s3cret"),)), 1.0)
    assert result.detail == "HTTP 200: s3cret"


def test_a_hanging_endpoint_times_out_after_the_probe_timeout(server: int) -> None:
    result = run_probe(HttpProbe(f"http://127.0.0.1:{server}/hang"), 0.3)
    assert (result.ok, result.detail) == (False, "timed out after 0.3 s")
    assert result.duration < 1.5


def test_nothing_listening_is_connection_refused(free_port: Callable[[], int]) -> None:
    port = free_port()
    assert run_probe(HttpProbe(f"http://127.0.0.1:{port}/health"), 1.0).detail == "connection refused"
    assert run_probe(TcpProbe("127.0.0.1", port), 1.0).detail == "connection refused"


def test_a_listener_that_closes_at_once_is_reported_as_such() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def accept_and_close() -> None:
            conn, _ = listener.accept()
            conn.close()

        threading.Thread(target=accept_and_close, daemon=True).start()
        result = run_probe(HttpProbe(f"http://127.0.0.1:{listener.getsockname()[1]}/"), 1.0)
    assert result.detail in ("connection closed before a response", "connection reset by the service")


def test_tcp_passes_when_the_port_accepts() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert run_probe(TcpProbe("127.0.0.1", listener.getsockname()[1]), 1.0).detail == "port open"


def test_cmd_passes_on_exit_zero_and_shows_the_last_line_otherwise(tmp_path) -> None:  # noqa: ANN001
    assert run_probe(CmdProbe(("sh", "-c", "exit 0"), str(tmp_path)), 2.0).ok
    failed = run_probe(CmdProbe(("sh", "-c", "echo checking; echo 'not ready: 3 migrations left' >&2; exit 4"),
                                str(tmp_path)), 2.0)
    assert (failed.ok, failed.detail) == (False, "exit code 4: not ready: 3 migrations left")


def test_cmd_sees_the_service_environment_and_runs_in_its_folder(tmp_path) -> None:  # noqa: ANN001
    probe = CmdProbe((sys.executable, "-c", "import os; assert os.environ['PORT'] == '81' and os.path.exists('x')"),
                     str(tmp_path), (("PORT", "81"),))
    (tmp_path / "x").write_text("")
    assert run_probe(probe, 5.0).ok


def test_cmd_times_out_and_a_missing_program_is_reported(tmp_path) -> None:  # noqa: ANN001
    assert run_probe(CmdProbe(("sleep", "5"), str(tmp_path)), 0.2).detail == "timed out after 0.2 s"
    assert run_probe(CmdProbe(("no-such-program-xyz",), str(tmp_path)), 1.0).detail == "no-such-program-xyz was not found"


def test_probes_describe_themselves_for_reports() -> None:
    assert HttpProbe("http://127.0.0.1:1/h", ((200, 399),)).describe() == "http GET http://127.0.0.1:1/h (expects 200-399)"
    assert TcpProbe("::1", 80).describe() == "tcp [::1]:80"
    assert CmdProbe(("sh", "-c", "curl -f x"), ".").describe() == "cmd curl -f x"


def test_port_in_use_sees_a_listener_but_not_a_free_port(free_port: Callable[[], int]) -> None:
    port = free_port()
    assert not port_in_use(port)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert port_in_use(port)
