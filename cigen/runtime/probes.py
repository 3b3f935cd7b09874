"""Health probes: HTTP, TCP and command checks, each bounded by its own timeout.

A probe returns a :class:`ProbeResult` whose ``detail`` is what a person needs
to see in a failure report: ``connection refused``, ``HTTP 503: <start of the
body>``, ``timed out after 2 s``, ``exit code 1: <last line of output>``.

HTTP probes use :mod:`http.client` directly rather than urllib so that proxy
settings (``HTTP_PROXY`` in CI) never reroute a probe of 127.0.0.1, and they do
not follow redirects. As Kubernetes does for ``httpGet``, an HTTPS probe does
not verify the certificate: it checks that the service answers, not who it is.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cigen.durations import format_seconds
from cigen.adapters.proc import TimeoutExpired, run
from cigen.errors import ToolError
from cigen.config.services import format_status

_BODY_CHARS = 200  # of a failing response's body, shown in the report


@dataclass(frozen=True, slots=True)
class HttpProbe:
    url: str
    status: tuple[tuple[int, int], ...] = ((200, 399),)
    headers: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        return f"http GET {self.url} (expects {format_status(self.status)})"


@dataclass(frozen=True, slots=True)
class TcpProbe:
    host: str
    port: int

    def describe(self) -> str:
        return f"tcp {_hostport(self.host, self.port)}"


@dataclass(frozen=True, slots=True)
class CmdProbe:
    argv: tuple[str, ...]
    cwd: str  # absolute at run time; relative to the root in a spec
    env: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        shown = self.argv[2] if self.argv[:2] == ("sh", "-c") else " ".join(self.argv)
        return f"cmd {shown}"


Probe = HttpProbe | TcpProbe | CmdProbe


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    detail: str
    duration: float  # seconds the probe took

    @property
    def refused(self) -> bool:
        """Nothing listens yet: the kernel refused the connection, the service never saw the probe."""
        return self.detail == "connection refused"


def run_probe(probe: Probe, timeout: float) -> ProbeResult:
    """Run ``probe`` once; never raises for a failing service, only reports it."""
    started = time.monotonic()
    try:
        if isinstance(probe, HttpProbe):
            ok, detail = _http(probe, timeout)
        elif isinstance(probe, TcpProbe):
            ok, detail = _tcp(probe, timeout)
        else:
            ok, detail = _cmd(probe, timeout)
    except Exception as exc:  # noqa: BLE001 - e.g. a URL http.client rejects: a failed probe, said plainly
        ok, detail = False, f"the probe could not run: {exc}"
    return ProbeResult(ok, detail, time.monotonic() - started)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _socket_error(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"timed out after {format_seconds(timeout)}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the service"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection closed before a response"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host ({exc.strerror})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP response ({type(exc).__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _http(probe: HttpProbe, timeout: float) -> tuple[bool, str]:
    parts = urlsplit(probe.url)
    host = parts.hostname or "127.0.0.1"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    try:
        conn.request("GET", target, headers={"User-Agent": "cigen-health", **dict(probe.headers)})
        response = conn.getresponse()
        body = response.read(_BODY_CHARS * 4)
    except (OSError, http.client.HTTPException) as exc:
        return False, _socket_error(exc, timeout)
    finally:
        conn.close()
    code = response.status
    if any(lo <= code <= hi for lo, hi in probe.status):
        return True, f"HTTP {code}"
    text = " ".join(body.decode("utf-8", "replace").split())
    if len(text) > _BODY_CHARS:
        text = text[:_BODY_CHARS] + "..."
    return False, f"HTTP {code}: {text}" if text else f"HTTP {code} (empty body)"


def _tcp(probe: TcpProbe, timeout: float) -> tuple[bool, str]:
    try:
        with socket.create_connection((probe.host, probe.port), timeout=timeout):
            return True, "port open"
    except OSError as exc:
        return False, _socket_error(exc, timeout)


def _cmd(probe: CmdProbe, timeout: float) -> tuple[bool, str]:
    try:
        result = run(probe.argv, cwd=probe.cwd, env=dict(probe.env), check=False, timeout=timeout)
    except ToolError as exc:
        if isinstance(exc.__cause__, TimeoutExpired):
            return False, f"timed out after {format_seconds(timeout)}"
        return False, exc.message
    if result.returncode == 0:
        return True, "exit code 0"
    output = (result.stderr.strip() or result.stdout.strip()).splitlines()
    last = output[-1][:_BODY_CHARS] if output else ""
    return False, f"exit code {result.returncode}: {last}" if last else f"exit code {result.returncode}"


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether binding ``host:port`` fails: another process already listens there.

    SO_REUSEADDR, as Node and most servers set it, so a socket lingering in
    TIME_WAIT from an earlier run does not count as a conflict.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False
