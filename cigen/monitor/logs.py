"""Scanning the services' logs for error patterns: only lines written during this run, across rotations.

A log is followed from the byte offset the run started at, a whole line at a
time (a line still being written waits for its end). pm2-logrotate rotates by
copy and truncate: it copies ``api.out.log`` to ``api.out__<date>.log``
(``.gz`` when it compresses), and once the copy is whole empties the original.
Until then the live file is read as before; once it is emptied (it no longer
starts as the copy does), the lines this tail had not read yet are in the
copy from the same offset on: they are read from there, then the live file
from its start. So a rotation neither loses nor repeats a line (bar those
pm2-logrotate itself drops between its copy and its truncate).

PM2 starts each line with its date (``log_date_format``): that is the hit's
time, and the rules see the text after it, so ``^Traceback`` anchors as written.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cigen.config.monitor import LogRule

_DATED = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?): (.*)", re.DOTALL)
_READ_LIMIT = 4 * 1024 * 1024  # bytes read from one file at one poll: a flood is caught up with over several


@dataclass(frozen=True, slots=True)
class Hit:
    service: str
    rule: str
    file: str
    line: int
    time: float
    text: str


class Tail:
    """One log file followed from an offset, with the line number of each line read."""

    def __init__(self, path: Path, offset: int, since: float) -> None:
        """Follow ``path`` from byte ``offset``, its size at ``since`` (epoch seconds): copies rotated after
        that hold lines of this run (those from before do not)."""
        self.path = path
        self.offset = offset
        self.line = _count_lines(path, offset)  # lines before the offset
        self.rotated = {name for name in _rotated(path) if _mtime(path.with_name(name)) < since}
        self.newest: tuple[str, float, bytes] | None = None  # the last copy read: its mtime then, its start

    def poll(self, copies: dict[str, list[str]] | None = None) -> list[tuple[Path, int, str]]:
        """New whole lines: (file, line number, text); ``copies``: the folder's rotated copies by the log
        they copy, when already read this tick."""
        found: list[tuple[Path, int, str]] = []
        listed = copies.get(_stem(self.path), []) if copies is not None else _rotated(self.path)
        fresh = sorted(set(listed) - self.rotated)
        if self.newest is not None and self.newest[0] in listed and \
                _mtime(self.path.with_name(self.newest[0])) != self.newest[1]:
            # Written again. pm2-logrotate names copies to the second: a second rotation within it writes over
            # the first copy, with new lines (another start). Or, on a loaded machine, a copy that outlasted
            # its check interval overlaps the next, which copies the same lines again: nothing new.
            name, _, head = self.newest
            if _read_all(self.path.with_name(name))[:len(head)] != head:
                fresh.append(name)
            else:
                self.newest = (name, _mtime(self.path.with_name(name)), head)
        for i, name in enumerate(fresh):
            copy = self.path.with_name(name)
            data = _read_all(copy)
            if i == len(fresh) - 1 and not self._truncated_since(data):
                break  # still being copied, or not yet emptied: the live file still has these lines
            # The copy holds what the live file held, from its start: this tail read up to its offset.
            found += _lines(copy, data[self.offset:], self.line)
            self.rotated.add(name)
            self.newest = (name, _mtime(copy), data[:64])
            self.offset, self.line = 0, 0
        try:
            size = self.path.stat().st_size
        except OSError:
            return found
        if size < self.offset:  # emptied without a rotated copy (pm2 flush): start again
            self.offset, self.line = 0, 0
        if size == self.offset:
            return found
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read(min(size - self.offset, _READ_LIMIT))
        whole = data[: data.rfind(b"\n") + 1]
        lines = _lines(self.path, whole, self.line)
        self.offset += len(whole)
        self.line += len(lines)
        return found + lines

    def _truncated_since(self, copy: bytes) -> bool:
        """Whether pm2-logrotate emptied the live file after copying it (it truncates once the copy is whole):
        the live file no longer starts as the copy does. PM2 dates every line to the millisecond, so new
        lines never start alike."""
        if not copy:
            return False
        head = copy[:64]
        try:
            with open(self.path, "rb") as handle:
                return handle.read(len(head)) != head
        except OSError:
            return True


class Scanner:
    """The rules of one service over its two logs."""

    def __init__(self, service: str, logs: dict[str, tuple[Path, int]], rules: tuple[LogRule, ...],
                 ignore: tuple[str, ...], since: float) -> None:
        self.service = service
        self.tails = {stream: Tail(path, offset, since) for stream, (path, offset) in logs.items()}
        self.rules = [(r.name, r.stream, re.compile(r.pattern)) for r in rules]
        self.ignore = [re.compile(p) for p in ignore]
        self.counts: dict[str, int] = {}

    def poll(self, listings: dict[Path, dict[str, list[str]]] | None = None) -> list[Hit]:
        """New hits; ``listings``: each log folder's rotated copies by log, when already read this tick."""
        hits = []
        for stream, tail in self.tails.items():
            for path, number, raw in tail.poll((listings or {}).get(tail.path.parent)):
                when, text = _dated(raw)
                if any(p.search(text) for p in self.ignore):
                    continue
                for name, wanted, pattern in self.rules:
                    if wanted in ("both", stream) and pattern.search(text):
                        self.counts[name] = self.counts.get(name, 0) + 1
                        hits.append(Hit(self.service, name, str(path), number, when, text[:500]))
        return hits


def _lines(path: Path, data: bytes, before: int) -> list[tuple[Path, int, str]]:
    text = data.decode("utf-8", "replace").split("\n")
    if text and text[-1] == "":
        text.pop()
    return [(path, before + i + 1, line.rstrip("\r")) for i, line in enumerate(text)]


def _dated(raw: str) -> tuple[float, str]:
    match = _DATED.fullmatch(raw)
    if match:
        try:
            return datetime.fromisoformat(match[1].replace("Z", "+00:00")).timestamp(), match[2]
        except ValueError:
            pass
    return time.time(), raw


def _stem(path: Path) -> str:
    """What pm2-logrotate keeps of a log's name in its copies' (``api.out.log`` -> ``api.out``)."""
    return path.name[: -len(".log")] if path.name.endswith(".log") else path.name


def _rotated(path: Path) -> list[str]:
    """Names of pm2-logrotate's copies of ``path`` (``api.out.log`` -> ``api.out__<date>.log[.gz]``)."""
    prefix = _stem(path) + "__"
    try:
        return [name for name in os.listdir(path.parent) if name.startswith(prefix)]
    except OSError:
        return []


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _read_all(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except (OSError, EOFError):
        return b""


def _count_lines(path: Path, offset: int) -> int:
    count, left = 0, offset
    try:
        with open(path, "rb") as handle:
            while left > 0:
                chunk = handle.read(min(left, 1 << 20))
                if not chunk:
                    break
                count += chunk.count(b"\n")
                left -= len(chunk)
    except OSError:
        return 0
    return count
