"""The loopback proxy ``cigen up`` runs in front of a service that others reach through ``${url:NAME}``.

``python -m cigen.verify.proxy --listen PORT --target HOST:PORT --control PORT``
(PM2 runs it; :mod:`cigen.runtime.proxies` says where). Each connection is
passed through byte for byte, in both directions, half-closes included, so any
protocol on TCP works (HTTP, WebSocket, MQTT). Its mode is switched over the
control port (:mod:`cigen.verify.proxy_control`):

- ``pass``: a plain TCP pass-through.
- ``delay``: what the target sends reaches the caller ``by`` seconds later. Each
  chunk keeps its own timestamp, so latency is added and throughput kept, as
  Toxiproxy's latency toxic does.
- ``error``: the proxy reads the HTTP request (head and ``Content-Length`` body)
  and answers ``status`` itself, with ``Connection: close``: the target is never
  reached. A keep-alive connection opened before the switch gets the error at
  its next request.

It never hangs on a peer: reading a request to refuse is bounded in time and
size, a target that does not accept within ``CONNECT_TIMEOUT`` resets the
caller, and either side going away closes the other. A target that refuses (it
is stopped) resets the caller at once, which is what the caller would see
without the proxy, near enough (ECONNRESET for ECONNREFUSED).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import json
import signal
import socket
import struct
import time
from collections.abc import Sequence

from cigen.verify.proxy_control import Mode

CONNECT_TIMEOUT = 10.0  # seconds for the target to accept; a paused target still accepts (its kernel does)
REQUEST_TIMEOUT = 5.0  # seconds to read a request the proxy answers itself
REQUEST_LIMIT = 1 << 20  # bytes of a request read before answering it anyway
CHUNK = 1 << 16
BACKLOG = 1024
CLOSE_TIMEOUT = 2.0  # seconds for the connections' tasks to end once cancelled, at exit


class Proxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = Mode()
        self.connections = 0
        self.upstream = 0
        self.answered = 0
        self.requests = 0  # connections on which the caller sent something: a caller's call, not a port probe
        self.live: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[object]] = set()  # one per caller connection

    def state(self) -> dict[str, object]:
        return {"mode": self.mode.as_json(), "connections": self.connections, "upstream": self.upstream,
                "answered": self.answered, "requests": self.requests, "open": len(self.live)}

    # -- callers ---------------------------------------------------------------------------

    async def caller(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.live.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        try:
            if self.mode.kind == "error":
                await self._refuse(reader, writer, b"")
                return
            try:
                up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(*self.target),
                                                              CONNECT_TIMEOUT)
            except (OSError, asyncio.TimeoutError):
                _reset(writer)
                return
            self.upstream += 1
            answers = asyncio.ensure_future(self._answers(up_reader, up_writer, writer))
            try:
                await self._requests(reader, up_writer, writer, answers)
                if not answers.cancelled():  # cancelled: the request was refused, answered by _refuse
                    await answers
            finally:
                answers.cancel()
                up_writer.close()
        except OSError:
            _reset(writer)
        except asyncio.CancelledError:
            # The proxy is exiting (close()). Nothing awaits this task, and one that ends cancelled makes
            # asyncio log a traceback (3.11's client_connected_cb callback asks a cancelled task for its error).
            _reset(writer)
        finally:
            self.live.discard(writer)
            writer.close()

    async def _requests(self, reader: asyncio.StreamReader, up: asyncio.StreamWriter,
                        caller: asyncio.StreamWriter, answers: asyncio.Future[None]) -> None:
        """Caller -> target; in error mode the next request is answered here and the connection ends."""
        try:
            first = True
            while data := await reader.read(CHUNK):
                if first:
                    self.requests, first = self.requests + 1, False
                if self.mode.kind == "error":
                    answers.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await answers
                    up.transport.abort()
                    await self._refuse(reader, caller, data)
                    return
                up.write(data)
                await up.drain()
            if up.can_write_eof():
                up.write_eof()
        except OSError:
            up.transport.abort()
            caller.transport.abort()

    async def _answers(self, up: asyncio.StreamReader, up_writer: asyncio.StreamWriter,
                       caller: asyncio.StreamWriter) -> None:
        """Target -> caller, each chunk held back by the delay in force when it arrived."""
        pending: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            try:
                while True:
                    due, data = await pending.get()
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    if not data:
                        if caller.can_write_eof():
                            caller.write_eof()
                        return
                    caller.write(data)
                    await caller.drain()
            except OSError:  # the caller went away: so does the connection to the target
                up_writer.transport.abort()
                caller.transport.abort()

        delivering = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await up.read(CHUNK)
                by = self.mode.by if self.mode.kind == "delay" else 0.0
                pending.put_nowait((time.monotonic() + by, data))
                if not data:
                    break
            await delivering
        except OSError:
            caller.transport.abort()
        finally:
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivering

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        """Read the request (bounded), answer ``status`` and close: an answer written while the caller still
        sends would be lost to the reset that closing an unread socket makes."""
        status = self.mode.status
        with contextlib.suppress(asyncio.TimeoutError, OSError):
            if await asyncio.wait_for(_read_request(reader, head), REQUEST_TIMEOUT) and not head:
                self.requests += 1  # a head was counted by _requests, which read it

        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = json.dumps({"error": f"{status} {phrase}", "injected": "cigen verify: error fault"}).encode()
        writer.write(f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/json\r\n"
                     f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode() + body)
        self.answered += 1
        with contextlib.suppress(asyncio.TimeoutError, OSError):
            await asyncio.wait_for(writer.drain(), REQUEST_TIMEOUT)
            if writer.can_write_eof():
                writer.write_eof()

    async def close(self) -> None:
        """End every connection, an answer held back by a delay included, and wait for each to finish."""
        tasks = [task for task in self.tasks if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)

    # -- control ---------------------------------------------------------------------------

    async def control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT):
                try:
                    request = json.loads(line)
                    if request:
                        self.mode = Mode.from_json(request)
                    answer = self.state()
                except (ValueError, AttributeError) as exc:
                    answer = {"error": str(exc)}
                writer.write(json.dumps(answer).encode() + b"\n")
                await writer.drain()
        except (OSError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()


async def _read_request(reader: asyncio.StreamReader, head: bytes) -> bool:
    """Read one HTTP request: up to the blank line, then as many body bytes as Content-Length says; whether
    the caller sent anything."""
    data = head
    while b"\r\n\r\n" not in data and len(data) < REQUEST_LIMIT:
        chunk = await reader.read(CHUNK)
        if not chunk:
            return bool(data)
        data += chunk
    header, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in header.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    remaining = min(length, REQUEST_LIMIT) - len(body)
    while remaining > 0:
        chunk = await reader.read(min(CHUNK, remaining))
        if not chunk:
            break
        remaining -= len(chunk)
    return True


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a reset (SO_LINGER 0), as a refused or failed connection looks to the caller."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def serve(listen: int, target: tuple[str, int], control: int) -> None:
    """Serve until SIGINT or SIGTERM (PM2 stops with SIGINT)."""
    proxy = Proxy(target)
    callers = await asyncio.start_server(proxy.caller, "127.0.0.1", listen, backlog=BACKLOG)
    controls = await asyncio.start_server(proxy.control, "127.0.0.1", control)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with callers, controls:
        await stop.wait()
        await proxy.close()


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cigen.verify.proxy",
                                     description="cigen's loopback proxy in front of one service")
    parser.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1 callers connect to")
    parser.add_argument("--target", type=_host_port, required=True, help="host:port of the service")
    parser.add_argument("--control", type=int, required=True, help="port on 127.0.0.1 that switches the mode")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.listen, args.target, args.control))


if __name__ == "__main__":
    main()
