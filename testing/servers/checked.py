"""A small shop for `cigen verify`'s tests: one script, two roles, and breakages to switch on.

ROLE=inventory: GET /items/<sku> -> {"sku", "stock"}; POST /items/<sku>/take takes one.
ROLE=api (default), reaching the inventory at 127.0.0.1:$UPSTREAM_PORT:
  GET  /products/<sku>   {"id", "price"}                          (BROKEN=schema: no price)
  POST /orders           201 {"id"}, needs "authorization: Bearer $TOKEN"; the order is "pending", then
                         "issued" ISSUE_MS later                   (BROKEN=event: never issued)
  GET  /orders/<id>      {"id", "state"}
  GET  /me               200 {"user", "seen"} with the token (echoing the credential it got, as careless
                         services do), 401 without or with another (BROKEN=auth: any bearer passes)
  POST /cart             takes one from the inventory
  GET  /stock/<sku>      {"count"} as the inventory says         (BROKEN=state: one more)
  GET  /related          the inventory's answer, or 503 at once when it cannot be reached
                         (BROKEN=hang: waits 30 s on it instead)
Every request is logged on stdout; BROKEN is a comma-separated list.
"""

import http.server
import json
import os
import pathlib
import sys
import threading
import time
import urllib.request
from typing import Any

name = os.environ.get("NAME", "service")
role = os.environ.get("ROLE", "api")
broken = set(filter(None, os.environ.get("BROKEN", "").split(",")))
token = os.environ.get("TOKEN", "")
upstream = f"http://127.0.0.1:{os.environ.get('UPSTREAM_PORT', '0')}"
issue_after = int(os.environ.get("ISSUE_MS", "300")) / 1000
pathlib.Path("pids").mkdir(exist_ok=True)
with open(f"pids/{name}.pid", "a") as f:
    f.write(f"{os.getpid()}\n")
stock: dict[str, int] = {"mug": 10}
orders: dict[str, float] = {}
lock = threading.Lock()


def call(method: str, path: str, timeout: float) -> Any:
    request = urllib.request.Request(upstream + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, status: int, document: Any) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if self.path == "/health":
            return self.reply(200, {"ok": True})
        if role == "inventory" and parts[0] == "items":
            return self.reply(200, {"sku": parts[1], "stock": stock.get(parts[1], 0)})
        if parts[0] == "products":
            product = {"id": parts[1]} if "schema" in broken else {"id": parts[1], "price": 12.5}
            return self.reply(200, product)
        if parts[0] == "orders" and len(parts) == 2 and parts[1] in orders:
            placed = orders[parts[1]]
            issued = "event" not in broken and time.monotonic() - placed >= issue_after
            return self.reply(200, {"id": parts[1], "state": "issued" if issued else "pending"})
        if parts[0] == "me":
            given = self.headers.get("authorization", "")
            allowed = given == f"Bearer {token}" or ("auth" in broken and given.startswith("Bearer "))
            return self.reply(200, {"user": "ada", "seen": given}) if allowed else self.reply(401, {"error": "who?"})
        if parts[0] == "stock":
            count = call("GET", f"/items/{parts[1]}", 2)["stock"]
            return self.reply(200, {"count": count + (1 if "state" in broken else 0)})
        if parts[0] == "related":
            try:
                return self.reply(200, call("GET", "/items/mug", 30 if "hang" in broken else 0.5))
            except OSError:
                return self.reply(503, {"degraded": True})
        return self.reply(404, {"error": f"no {self.path}"})

    def do_POST(self) -> None:
        parts = self.path.strip("/").split("/")
        length = int(self.headers.get("content-length") or 0)
        data = json.loads(self.rfile.read(length) or b"{}")
        if role == "inventory" and parts[0] == "items":
            with lock:
                stock[parts[1]] = stock.get(parts[1], 0) - 1
            return self.reply(200, {"sku": parts[1], "stock": stock[parts[1]]})
        if parts[0] == "orders":
            if self.headers.get("authorization") != f"Bearer {token}":
                return self.reply(401, {"error": "who?"})
            with lock:
                order = f"o{len(orders) + 1}"
                orders[order] = time.monotonic()
            return self.reply(201, {"id": order, "sku": data.get("sku")})
        if parts[0] == "cart":
            return self.reply(200, call("POST", f"/items/{data.get('sku', 'mug')}/take", 2))
        return self.reply(404, {"error": f"no {self.path}"})

    def log_message(self, format: str, *args: Any) -> None:
        print(f"{name}: {format % args}", flush=True)


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
print(f"{name}: listening on {os.environ['PORT']}", flush=True)
server.serve_forever()
