"""Who is connected to whom: the TCP sockets of each service's process tree, from the operating system's table.

A service's address is the ports its tree listens on (and its configured
port); a connection from one tree to a loopback address whose port is another
service's (or a proxy's in front of it) is that service reaching the other.
Only sockets open at the moment of a look are seen, as ``ss`` and ``lsof``
see them: connection pools and keep-alive connections show, a connection
opened and closed between two looks does not.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, slots=True)
class Sockets:
    listening: frozenset[int]  # ports
    reaching: frozenset[int]  # remote ports of established connections to loopback addresses


def table() -> dict[int, list[Any]]:
    """The machine's TCP sockets by the PID that holds them: one read of the table for every service (psutil
    reads the whole table again for each process asked about, the costliest look the sampler makes)."""
    by_pid: dict[int, list[Any]] = {}
    try:
        found = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return by_pid
    for conn in found:
        if conn.pid is not None:
            by_pid.setdefault(conn.pid, []).append(conn)
    return by_pid


def sockets(pids: Iterable[int], by_pid: dict[int, list[Any]]) -> Sockets:
    """What the processes ``pids`` listen on and reach, from the ``table()``."""
    found = [conn for pid in pids for conn in by_pid.get(pid, ())]
    listening = {c.laddr.port for c in found if c.status == psutil.CONN_LISTEN and c.laddr}
    # An established socket on a port the tree listens on is a client's connection to it, not one it opened.
    reaching = {c.raddr.port for c in found if c.status == psutil.CONN_ESTABLISHED and c.raddr and c.laddr
                and c.laddr.port not in listening and _loopback(c.raddr.ip)}
    return Sockets(frozenset(listening), frozenset(reaching))


def _loopback(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
