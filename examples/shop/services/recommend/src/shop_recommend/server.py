"""An HTTP server on the standard library: GET /health and GET /recommend?item=ID.

It listens on HOST:PORT from the environment (default 127.0.0.1:4002), logs one
JSON object per line to stdout, and stops cleanly on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shop_ranking import rank
from shop_recommend.tags import TAGS

SERVICE = "recommend"


def log(level: str, message: str, **fields: Any) -> None:
    entry = {"time": datetime.now(timezone.utc).isoformat(), "level": level, "service": SERVICE, "message": message}
    print(json.dumps({**entry, **fields}), flush=True)


class Handler(BaseHTTPRequestHandler):
    server_version = "shop-recommend"

    def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
        url = urlsplit(self.path)
        if url.path == "/health":
            self.answer(200, {"status": "ok", "service": SERVICE, "checks": {}})
        elif url.path == "/recommend":
            item = parse_qs(url.query).get("item", [""])[0]
            if item not in TAGS:
                self.answer(404, {"error": f'no product "{item}"'})
            else:
                self.answer(200, {"item": item, "items": rank(item, TAGS)})
        else:
            self.answer(404, {"error": f"no route for GET {url.path}"})

    def answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # one JSON line per event instead of http.server's access log on stderr


def listen_address(env: dict[str, str] | os._Environ[str]) -> tuple[str, int]:
    host = env.get("HOST") or "127.0.0.1"
    raw = env.get("PORT", "4002")
    if not raw.isdigit() or int(raw) > 65535:
        raise ValueError(f'PORT must be a number from 0 to 65535, got "{raw}"')
    return host, int(raw)


def create_server(host: str, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def main() -> int:
    try:
        host, port = listen_address(os.environ)
        server = create_server(host, port)
    except (ValueError, OSError) as exc:
        log("error", "cannot listen", error=str(exc))
        return 1
    # SIGTERM (PM2, CI) stops the server the way Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log("info", "listening", url=f"http://{host}:{server.server_address[1]}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        log("info", "stopped")
    return 0
