"""Who is connected to whom: the TCP sockets of each service's process tree, from the operating system's table.

A service's address is the ports its tree listens on (and its configured
port); a connection from one tree to a loopback address whose port is another
service's (or a proxy's in front of it) is that service reaching the other.
Only sockets open at the moment of a look are seen, as ``ss`` and ``lsof``
see them: connection pools and keep-alive connections show, a connection
opened and closed between two looks does not (a call through ``${url:NAME}``
is counted by cigen's proxy instead, see :mod:`cigen.monitor.sampler`).

On Linux a look asks the kernel for its listening and established TCP
sockets once, through sock_diag as ``ss`` does, and reads the open files of
the services' own processes only: ``psutil.net_connections()`` reads the open
files of every process of the machine and has the kernel generate
/proc/net/tcp (every socket, TIME_WAIT ones included), and
``Process.net_connections()`` does it again for each process
(bench/bench_monitor.py prints the three). Elsewhere (macOS) psutil's table is read.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import psutil

# The kernel's sock_diag netlink interface (linux/sock_diag.h, linux/inet_diag.h, linux/netlink.h).
_NETLINK_SOCK_DIAG, _SOCK_DIAG_BY_FAMILY = 4, 20
_NLM_F_REQUEST, _NLM_F_DUMP, _NLMSG_ERROR, _NLMSG_DONE = 0x1, 0x300, 2, 3
_TCP_ESTABLISHED, _TCP_LISTEN = 1, 10  # include/net/tcp_states.h
_STATES = 1 << _TCP_ESTABLISHED | 1 << _TCP_LISTEN


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
        except OSError:  # no sock_diag (a container that forbids netlink): psutil's way
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
    owner: dict[int, int] = {}  # socket inode -> the PID holding it
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
                owner[int(target[8:-1])] = pid
    by_pid: dict[int, list[Conn]] = {}
    if not owner:
        return by_pid
    for family, state, local, remote, inode in _diag():
        holder = owner.get(inode)
        if holder is not None:
            listening = state == _TCP_LISTEN
            by_pid.setdefault(holder, []).append(Conn(listening, local[1], None if listening else remote))
    return by_pid


def _diag() -> Iterator[tuple[int, int, tuple[str, int], tuple[str, int], int]]:
    """The machine's listening and established TCP sockets from the kernel's sock_diag netlink interface, as
    ``ss`` reads them: (family, state, local, remote, inode). Generating /proc/net/tcp costs the kernel tens of
    milliseconds on a busy machine (it walks every socket, TIME_WAIT ones included); this asks for two states."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_SOCK_DIAG) as sock:
        for family in (socket.AF_INET, socket.AF_INET6):
            request = struct.pack("=BBBBI48x", family, socket.IPPROTO_TCP, 0, 0, _STATES)
            sock.send(struct.pack("=IHHII", 16 + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST | _NLM_F_DUMP,
                                  1, 0) + request)
            done = False
            while not done:
                data = sock.recv(1 << 16)
                at = 0
                while at + 16 <= len(data):
                    length, kind = struct.unpack_from("=IH", data, at)
                    if kind == _NLMSG_DONE:
                        done = True
                        break
                    if kind == _NLMSG_ERROR:
                        raise OSError("sock_diag refused the request")
                    fam, state = data[at + 16], data[at + 17]
                    sport, dport = struct.unpack_from(">HH", data, at + 20)
                    size = 4 if fam == socket.AF_INET else 16
                    src = socket.inet_ntop(fam, data[at + 24:at + 24 + size])
                    dst = socket.inet_ntop(fam, data[at + 40:at + 40 + size])
                    inode = struct.unpack_from("=I", data, at + 84)[0]
                    yield fam, state, (src, sport), (dst, dport), inode
                    at += (length + 3) & ~3
                if not data:
                    break


def _loopback(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
