"""A service's whole process tree, measured with psutil: CPU and resident memory of every process under it.

PM2 measures only the process it spawned, which for ``npm run start`` is npm
(about 60 MB whatever the server under it holds), and caches the figure for
seconds; a service's cost is its whole tree. psutil reads the same figures on
Linux and macOS and keeps the previous CPU times of each process object, so a
process measured again gives its CPU over the time since.

Finding children means reading every process of the machine (the parent of
each), which on a busy runner costs more than measuring the trees themselves;
so the trees are found again only every ``refresh`` samples, or at once when a
root process changes (a restart), and the processes known are measured in
between. A root seen for the first time (a restart) is looked up at once.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, slots=True)
class TreeSample:
    cpu: float  # percent of one core, the tree's sum
    rss: int  # bytes, the tree's sum
    pids: tuple[int, ...]  # the root first


@dataclass(frozen=True, slots=True)
class Node:
    pid: int
    ppid: int
    depth: int
    command: str
    cpu: float
    rss: int


class Trees:
    """Measures the trees of several root processes, sample after sample."""

    def __init__(self, refresh: int = 5) -> None:
        self.refresh = refresh
        self._known: dict[int, psutil.Process] = {}  # every process measured, by pid
        self._members: dict[int, tuple[int, ...]] = {}  # root -> pids of its tree, the root first
        self._count = 0
        self._tried: set[int] = set()  # the roots of the last look at the process table

    def sample(self, roots: list[int]) -> dict[int, TreeSample]:
        """Each live root's tree, measured now."""
        self._count += 1
        fresh = set(roots) - self._tried
        if self._count % self.refresh == 1 or fresh:
            self._find(roots)
            self._tried = set(roots)  # a root that could not be read is tried again at the next refresh
        found: dict[int, TreeSample] = {}
        for root in roots:
            cpu, rss, alive = 0.0, 0, []
            for pid in self._members.get(root, ()):
                process = self._known.get(pid)
                if process is None:
                    continue
                try:
                    with process.oneshot():
                        cpu += process.cpu_percent()
                        rss += process.memory_info().rss
                except psutil.Error:
                    continue
                alive.append(pid)
            if alive and alive[0] == root:
                found[root] = TreeSample(cpu, rss, tuple(alive))
        return found

    def _find(self, roots: list[int]) -> None:
        children = _children()  # one read of the process table for every root (psutil's reads it per call)
        members: dict[int, tuple[int, ...]] = {}
        for root in roots:
            with contextlib.suppress(psutil.Error):
                self._process(root)
                below, stack = [], list(children.get(root, ()))
                while stack:
                    pid = stack.pop()
                    below.append(pid)
                    stack += children.get(pid, ())
                for pid in below:
                    with contextlib.suppress(psutil.Error):
                        self._process(pid)
                members[root] = (root, *sorted(below))
        self._members = members
        wanted = {pid for pids in members.values() for pid in pids}
        self._known = {pid: p for pid, p in self._known.items() if pid in wanted}

    def _process(self, pid: int) -> psutil.Process:
        process = self._known.get(pid)
        if process is None or not process.is_running():
            process = psutil.Process(pid)
            process.cpu_percent()  # the first call only sets the base: it reads 0.0
            self._known[pid] = process
        return process


def _children() -> dict[int, list[int]]:
    """Every process's children, from one pass over the process table."""
    found: dict[int, list[int]] = {}
    for process in psutil.process_iter(["ppid"]):
        ppid = process.info["ppid"]
        if ppid is not None:
            found.setdefault(ppid, []).append(process.pid)
    return found


def trees(roots: list[int], *, interval: float = 0.2) -> dict[int, list[Node]]:
    """The processes of each root's tree, parents first (depth-first), with their CPU over ``interval``
    seconds (one wait for every tree) and resident memory; a root that is gone has none."""
    found: dict[int, list[tuple[psutil.Process, int]]] = {}
    for root in roots:
        with contextlib.suppress(psutil.Error):
            top = psutil.Process(root)
            found[root] = _depth_first(top, {c.pid: c for c in top.children(recursive=True)})
    for listed in found.values():
        for process, _ in listed:
            with contextlib.suppress(psutil.Error):
                process.cpu_percent()  # the base the reading after the wait is measured from
    if found:
        time.sleep(interval)
    nodes: dict[int, list[Node]] = {}
    for root, listed in found.items():
        nodes[root] = []
        for process, depth in listed:
            try:
                with process.oneshot():
                    nodes[root].append(Node(process.pid, process.ppid(), depth,
                                            " ".join(process.cmdline()) or process.name(),
                                            process.cpu_percent(), process.memory_info().rss))
            except psutil.Error:
                continue
    return nodes


def _depth_first(top: psutil.Process, below: dict[int, psutil.Process]) -> list[tuple[psutil.Process, int]]:
    by_parent: dict[int, list[psutil.Process]] = {}
    for process in below.values():
        with contextlib.suppress(psutil.Error):
            by_parent.setdefault(process.ppid(), []).append(process)
    ordered: list[tuple[psutil.Process, int]] = []
    stack = [(top, 0)]
    while stack:
        process, depth = stack.pop()
        ordered.append((process, depth))
        stack += [(child, depth + 1) for child in sorted(by_parent.get(process.pid, []), key=lambda c: -c.pid)]
    return ordered
