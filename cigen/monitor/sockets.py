"""Who is connected to whom: the TCP sockets of each service's process tree, from the operating system's table.

A service's address is the ports its tree listens on (and its configured
port); a connection from one tree to a loopback address whose port is another
service's (or a proxy's in front of it) is that service reaching the other.
Only sockets open at the moment of a look are seen, as ``ss`` and ``lsof``
see them: connection pools and keep-alive connections show, a connection
opened and closed between two looks does not (a call through ``${url:NAME}``
is counted by cigen's proxy instead, see :mod:`cigen.monitor.sampler`).

On Linux a look reads the kernel's TCP tables once and the open files of the
services' own processes only: ``psutil.net_connections()`` reads the open
files of every process of the machine, and ``Process.net_connections()`` parses
the whole table again for each process; on a shared runner with 50 services
that is 80-500 ms a look against a few here (bench/bench_monitor.py). Elsewhere
(macOS) psutil's table is read.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

_LISTEN, _ESTABLISHED = "0A", "01"  # the kernel's TCP states in /proc/net/tcp (include/net/tcp_states.h)


@dataclass(frozen=True, slots=True)
class Sockets:
    listening: frozenset[int]  # ports
    reaching: frozenset[int]  # remote ports of established connections to loopback addresses


@dataclass(frozen=True, slots=True)
class Conn:
    """One TCP socket a process holds: listening, or established to ``remote``."""

    listening: bool
    port: int  # local
    remote: tuple[str, int] | None  # (ip, port) of an established connection


def table(pids: Iterable[int]) -> dict[int, list[Conn]]:
    """The TCP sockets that the processes ``pids`` hold, listening or established, by PID: one look for
    every service."""
    wanted = set(pids)
    if sys.platform == "linux":
        try:
            return _linux_table(wanted)
        except OSError:  # no /proc/net/tcp (a confined /proc): psutil's way
            pass
    by_pid: dict[int, list[Conn]] = {}
    try:
        found = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return by_pid
    for c in found:
        if c.pid in wanted and c.laddr and c.status in (psutil.CONN_LISTEN, psutil.CONN_ESTABLISHED):
            remote = (c.raddr.ip, c.raddr.port) if c.raddr else None
            by_pid.setdefault(c.pid, []).append(Conn(c.status == psutil.CONN_LISTEN, c.laddr.port, remote))
    return by_pid


def sockets(pids: Iterable[int], by_pid: dict[int, list[Conn]]) -> Sockets:
    """What the processes ``pids`` listen on and reach, from the ``table()``."""
    found = [conn for pid in pids for conn in by_pid.get(pid, ())]
    listening = {c.port for c in found if c.listening}
    # An established socket on a port the tree listens on is a client's connection to it, not one it opened.
    reaching = {c.remote[1] for c in found if c.remote is not None and c.port not in listening
                and _loopback(c.remote[0])}
    return Sockets(frozenset(listening), frozenset(reaching))


def _linux_table(pids: set[int]) -> dict[int, list[Conn]]:
    owner: dict[str, int] = {}  # socket inode -> the PID holding it
    for pid in pids:
        folder = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(folder)
        except OSError:  # gone since, or not ours to read
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{folder}/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                owner[target[8:-1]] = pid
    by_pid: dict[int, list[Conn]] = {}
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            handle = open(f"/proc/net/{name}")  # noqa: SIM115 - closed below; a missing tcp6 (no IPv6) is fine
        except FileNotFoundError:
            continue
        with handle:
            next(handle, None)  # the header
            for line in handle:
                fields = line.split()
                holder = owner.get(fields[9]) if len(fields) > 9 else None
                if holder is None or fields[3] not in (_LISTEN, _ESTABLISHED):
                    continue
                local, remote = fields[1].split(":"), fields[2].split(":")
                conn = Conn(fields[3] == _LISTEN, int(local[1], 16),
                            None if fields[3] == _LISTEN else (_ip(remote[0], family), int(remote[1], 16)))
                by_pid.setdefault(holder, []).append(conn)
    return by_pid


def _ip(hexed: str, family: int) -> str:
    """An address as /proc/net/tcp writes it: 32-bit words in the host's byte order."""
    raw = bytes.fromhex(hexed)
    if sys.byteorder == "little":
        raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(family, raw)


def _loopback(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
