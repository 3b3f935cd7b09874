"""Who is connected to whom, read from the kernel for the services' own processes: what a process listens on and
the loopback ports it reaches, as psutil reads them for the same process."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import psutil
import pytest

from cigen.monitor.sockets import Conn, sockets, table


@pytest.fixture
def connected() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    """A listener on 127.0.0.1 and on ::1 (when there is IPv6), and a client connected to the first."""
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname()[:2])
    accepted, _ = server.accept()
    yield server, client, accepted
    for s in (client, accepted, server):
        s.close()


def test_a_process_listens_on_its_port_and_reaches_the_other_end_of_its_connection(
        connected: tuple[socket.socket, ...]) -> None:
    server, client, _ = connected
    port, client_port = server.getsockname()[1], client.getsockname()[1]

    seen = sockets([os.getpid()], table([os.getpid()]))

    assert port in seen.listening
    # Its own client connection reaches its port; the accepted end is on a port it listens on: no reach of its own.
    assert port in seen.reaching and client_port not in seen.reaching


def test_the_table_holds_what_psutil_reads_for_the_same_process(connected: tuple[socket.socket, ...]) -> None:
    own = {Conn(c.status == psutil.CONN_LISTEN, c.laddr.port, (c.raddr.ip, c.raddr.port) if c.raddr else None)
           for c in psutil.Process().net_connections(kind="tcp")
           if c.status in (psutil.CONN_LISTEN, psutil.CONN_ESTABLISHED)}

    assert set(table([os.getpid()])[os.getpid()]) == own and len(own) >= 3


def test_processes_not_asked_about_and_gone_ones_are_not_in_the_table(connected: tuple[socket.socket, ...]) -> None:
    never = 1 << 22 | 1  # above Linux's largest pid_max: no such process
    assert table([never]) == {}
    assert os.getpid() not in table([os.getppid()])
