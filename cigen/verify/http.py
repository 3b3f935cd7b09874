"""The HTTP client of checks: one request to a service on 127.0.0.1, never without a time limit.

:mod:`http.client` straight, so that what a check sends is exactly what it says (no redirects followed, no
retries, no proxy from the environment) and every failure is an answer to report, not an exception.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cigen.jsonpath import MISSING

BODY_LIMIT = 4 * 1024 * 1024  # bytes of an answer kept; a check reads JSON documents, not downloads
NOT_JSON = MISSING  # what :meth:`Answer.json` gives for a body that is not JSON


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: a status and its body, or ``error`` (refused, timed out) and no status."""

    status: int | None
    headers: tuple[tuple[str, str], ...]  # names in lower case, in the order sent
    body: bytes
    elapsed: float  # seconds from sending to the end of the body
    error: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return NOT_JSON

    def start_of_body(self, limit: int = 300) -> str:
        text = self.body[:limit].decode("utf-8", errors="replace")
        return text + ("…" if len(self.body) > limit else "")

    def describe(self) -> str:
        """``503 Service Unavailable`` / ``no answer: connection refused``."""
        if self.status is None:
            return f"no answer: {self.error}"
        return f"{self.status} {http.client.responses.get(self.status, '')}".rstrip()


def send(port: int, method: str, path: str, *, query: Mapping[str, str] | None = None,
         headers: Mapping[str, str] | None = None, body: bytes | None = None, timeout: float) -> Answer:
    """``method path`` to ``127.0.0.1:port``; the whole answer within ``timeout`` seconds, or an error answer."""
    target = path
    if query:
        target += ("&" if "?" in path else "?") + urlencode(dict(query))
    started = time.monotonic()
    deadline = started + timeout
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        chunks, size = [], 0
        while size < BODY_LIMIT:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if connection.sock is not None:
                connection.sock.settimeout(remaining)
            chunk = response.read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return Answer(status=response.status, headers=tuple((k.lower(), v) for k, v in response.getheaders()),
                      body=b"".join(chunks)[:BODY_LIMIT], elapsed=time.monotonic() - started)
    except (TimeoutError, socket.timeout):
        return _failed(started, f"timed out after {timeout:g} s")
    except ConnectionRefusedError:
        return _failed(started, f"connection refused on port {port} (is the service listening?)")
    except (OSError, http.client.HTTPException) as exc:
        return _failed(started, f"{type(exc).__name__}: {exc}".rstrip(": "))
    finally:
        connection.close()


def _failed(started: float, why: str) -> Answer:
    return Answer(status=None, headers=(), body=b"", elapsed=time.monotonic() - started, error=why)
