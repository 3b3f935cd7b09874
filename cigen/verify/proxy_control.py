"""The proxy's control channel: its modes, and the client that switches them.

One JSON object a line over TCP on 127.0.0.1 (the proxy's control port): the
client sends ``{"mode": "delay", "by": 2.0}``, ``{"mode": "error", "status":
503}``, ``{"mode": "pass"}`` or ``{}`` (just asking), and the proxy answers its
state once the switch holds: the mode, and counters that show what it did
(connections taken, connections it opened to the target, answers it gave itself).
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any, Literal

from cigen.errors import EXIT_ENVIRONMENT, CigenError

ModeKind = Literal["pass", "delay", "error"]
CONTROL_TIMEOUT = 5.0  # seconds: the proxy answers at once; a proxy that does not is broken, not slow


class ProxyUnreachable(CigenError):
    """The proxy in front of a service does not answer on its control port: the stack is not as cigen left it."""

    exit_code = EXIT_ENVIRONMENT


@dataclass(frozen=True, slots=True)
class Mode:
    kind: ModeKind = "pass"
    by: float = 0.0  # seconds of latency, for delay
    status: int = 503  # the HTTP status answered, for error

    def as_json(self) -> dict[str, Any]:
        if self.kind == "delay":
            return {"mode": "delay", "by": self.by}
        if self.kind == "error":
            return {"mode": "error", "status": self.status}
        return {"mode": "pass"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mode:
        """The mode a request asks for; a ValueError when it is not one."""
        kind = data.get("mode")
        if kind == "pass":
            return cls()
        if kind == "delay" and isinstance(data.get("by"), (int, float)) and 0 <= data["by"] <= 3600:
            return cls("delay", by=float(data["by"]))
        if kind == "error" and type(data.get("status")) is int and 100 <= data["status"] <= 599:
            return cls("error", status=data["status"])
        raise ValueError(f"not a proxy mode: {data!r}")


@dataclass(frozen=True, slots=True)
class ProxyState:
    mode: Mode
    connections: int  # taken from callers since the proxy started
    upstream: int  # opened to the target
    answered: int  # answered by the proxy itself (error mode)
    open: int  # connections open now
    requests: int = 0  # connections on which the caller sent something (a port probe sends nothing)


def switch(control: int, mode: Mode | None = None, *, timeout: float = CONTROL_TIMEOUT) -> ProxyState:
    """Put the proxy listening for control on ``control`` in ``mode`` (None: leave it) and return its state."""
    request = mode.as_json() if mode is not None else {}
    try:
        with socket.create_connection(("127.0.0.1", control), timeout=timeout) as sock:
            sock.sendall(json.dumps(request).encode() + b"\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        data = json.loads(answer)
        return ProxyState(Mode.from_json(data["mode"]), data["connections"], data["upstream"], data["answered"],
                          data["open"], data.get("requests", 0))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProxyUnreachable(f"the proxy with control port {control} does not answer ({exc})",
                               hint="`cigen up` starts it again") from None
