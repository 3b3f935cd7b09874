"""The sampler: every ``interval``, what each service of the run is doing, appended to the run folder.

Each tick it measures every service's process tree (:class:`~cigen.runtime.trees.Trees`),
reads the new lines of its logs for error patterns (:mod:`cigen.monitor.logs`),
and collects the health probes that finished; every ``probe_every`` it probes
each service again, on a thread pool so a hanging probe never delays a sample.
PM2's process events (exit with its code, restart, errored) arrive on the
daemon's bus as they happen; PM2's process list, which the daemon serialises
whole for every request, is read only when an event says something changed and
every ``_SLOW`` ticks. The socket table is read every ``_SOCKETS`` ticks: connections
it can see (pools, keep-alive) last, and each look reads the files of every process.
A call made through ``${url:NAME}`` is never missed however short it is: it
passes cigen's proxy, whose count of requests is read every ``_PROXIES`` ticks.

What it writes is one ``sample`` record a tick and an ``event`` record for each
status change, exit, restart and log hit (see :mod:`cigen.monitor.run`).

Faults of ``cigen verify`` break the stack on purpose, and what they cause is not
a service's failure: an exit or a restart of the faulted service between the
fault's apply and its undo, a failing probe of any service until the stack
recovered. Each is judged by when it happened, never by when the sampler read it:
an exit by the time PM2's daemon stamped on its event (a sampler starved of CPU
on a loaded runner reads its events seconds late), a probe by when it ran. The
faults' spans come from the files ``cigen verify`` keeps (:mod:`cigen.verify.faults`),
read after the events: a fault is recorded before it is applied, so a look after
an event finds the fault that caused it, holding or over.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cigen.monitor.logs import Scanner
from cigen.monitor.run import Manifest, Watched, append, read_manifest
from cigen.monitor.sockets import sockets, table
from cigen.runtime.daemon import Proc, ProcEvent
from cigen.runtime.proxies import ProxyEntry
from cigen.runtime.probes import Probe, ProbeResult, run_probe
from cigen.runtime.trees import Trees
from cigen.verify import faults
from cigen.verify.proxy_control import ProxyUnreachable, switch

_STAMP = 0.001  # PM2 stamps its events with Date.now(), whole milliseconds: one may read up to 1 ms early
_SLOW = 10  # ticks between reads of PM2's process list (its events say at once what changed; this is a backstop)
_PROXIES = 5  # ticks between reads of the proxies' counts
_SOCKETS = 10  # ticks between reads of the socket table: ~10-40 ms at 50 services (each fd of theirs is read)
_PROXY_TIMEOUT = 0.5  # seconds for a proxy's counters: it answers at once, a stuck one must not stall samples
_LOGS = 2.0  # seconds between reads of the logs: each line carries PM2's time, so a hit's time stays exact
_TREES = 30  # ticks between reads of the process table, to find each service's processes (a restart: at once)


@dataclass
class _State:
    watched: Watched
    scanner: Scanner
    status: str | None = None
    pid: int | None = None
    restarts: int | None = None  # PM2's count when first seen: later restarts are counted from it
    next_probe: float = 0.0
    probing: Future[tuple[float, ProbeResult]] | None = None  # (wall clock when it started, its result)
    restarted_at: float | None = None  # when PM2's events first showed a restart the process list has not yet
    hits: dict[str, int] = field(default_factory=dict)  # per rule, so far: the first ones are quoted


@dataclass
class _Fault:
    """A fault of `cigen verify`: applied, undone (None: it holds), recovered (None: not yet, or holding)."""

    service: str
    kind: str | None
    what: str | None
    applied: float
    undone: float | None = None
    recovered: float | None = None
    told: set[str] = field(default_factory=set)  # its events written so far: fault, fault_undone

    def caused_exit(self, service: str, at: float) -> bool:
        """PM2 stopped (or restarted) ``service`` at ``at`` because of this fault."""
        return service == self.service and self.applied - _STAMP <= at and (self.undone is None or at <= self.undone)

    def overlaps(self, start: float, end: float) -> bool:
        """The stack was broken on purpose during [start, end]: from the apply until it recovered."""
        return self.applied <= end and (self.recovered is None or start <= self.recovered)


class Sampler:
    """Samples the services of ``manifest`` into ``folder``; ``list_procs`` reads PM2's process list."""

    def __init__(self, folder: Path, manifest: Manifest, list_procs: Callable[[], list[Proc]], *,
                 home: Path | None = None, clock: Callable[[], float] = time.time,
                 proxies: Callable[[], Mapping[str, ProxyEntry]] = dict) -> None:
        """``home``: the PM2 home, where ``cigen verify`` records the faults it holds (``faults.json``);
        ``proxies``: the table of the stack's proxies (``proxy_table``)."""
        self.folder, self.manifest, self.list_procs, self.clock = folder, manifest, list_procs, clock
        self.proxies = proxies
        self.faults_file = home / faults.RECORDS if home is not None else None
        self.history_file = home / faults.HISTORY if home is not None else None
        self._history_at = 0  # bytes of the history read so far
        self.faults: dict[str, _Fault] = {}  # id -> every fault seen this run, holding or over
        self.events: queue.Queue[ProcEvent] = queue.Queue()
        self.states: dict[str, _State] = {}
        self.trees = Trees(refresh=_TREES)
        self.probes = ThreadPoolExecutor(max_workers=8, thread_name_prefix="monitor-probe")
        self.ticks = 0
        self.log_folders: set[Path] = set()  # where the services' logs and their rotated copies are
        self._manifest_mtime = 0.0
        self._adopt(manifest)

    def on_event(self, event: ProcEvent) -> None:
        """PM2's bus, from the bridge's reader thread."""
        self.events.put(event)

    def run(self, stop: threading.Event, on_tick: Callable[[list[dict[str, Any]]], None] = lambda r: None) -> None:
        """Sample every interval until ``stop`` is set; ``on_tick`` gets each tick's records."""
        append(self.folder, [{"t": self.clock(), "kind": "start", "pid": os.getpid()}])
        try:
            while not stop.is_set():
                started = time.monotonic()
                on_tick(self.tick())
                stop.wait(max(0.0, self.manifest.interval - (time.monotonic() - started)))
            on_tick(self.tick(last=True))  # what the logs got since their last read: a crash just before `down`
        finally:
            self.probes.shutdown(wait=False, cancel_futures=True)
            append(self.folder, [{"t": self.clock(), "kind": "end"}])

    def tick(self, *, last: bool = False) -> list[dict[str, Any]]:
        """Sample once; the records written. ``last``: the run ends, read the logs to their end."""
        now = self.clock()
        records: list[dict[str, Any]] = []
        self._reload()
        events = self._drain_events()
        self._read_faults(records)  # after the events: a fault that caused one of them is in one of the files
        self._read_history(records)
        changed = self._on_events(events, now, records)
        proxied: dict[str, Any] = {}
        if changed or self.ticks % _SLOW == 0:
            self._read_list(now, records)
        if self.ticks % _PROXIES == 0:
            proxied = self._read_proxies()
        look = self.ticks % _SOCKETS == 0
        self.ticks += 1
        roots = [s.pid for s in self.states.values() if s.pid]
        measured = self.trees.sample(roots)
        by_pid = table(pid for st in self.states.values() if st.pid
                       for pid in (measured[st.pid].pids if st.pid in measured else (st.pid,))) if look else {}
        read_logs = last or (self.ticks - 1) % max(1, round(_LOGS / self.manifest.interval)) == 0  # the first: at once
        listings = _listings(self.log_folders) if read_logs else {}
        sample: dict[str, Any] = {}
        for name, state in sorted(self.states.items()):
            entry: dict[str, Any] = {"status": state.status}
            tree = measured.get(state.pid) if state.pid else None
            if tree is not None:
                entry.update(cpu=round(tree.cpu, 1), rss=tree.rss, procs=len(tree.pids))
                if look:
                    seen = sockets(tree.pids, by_pid)
                    entry.update(listen=sorted(seen.listening), reach=sorted(seen.reaching))
            collected = self._collect_probe(state)
            if collected is not None:
                started, probed = collected
                entry["probe"] = [probed.ok, round(probed.duration * 1000, 1)]
                faulted = self._during_fault(started, started + probed.duration)
                entry.update(faulted)  # a check broke the stack on purpose: not the service's failure
                if not probed.ok:
                    records.append({"t": now, "kind": "event", "service": name, "what": "probe_failed",
                                    "detail": probed.detail, **faulted})
            self._start_probe(state, time.monotonic())
            for hit in state.scanner.poll(listings) if read_logs else ():
                state.hits[hit.rule] = state.hits.get(hit.rule, 0) + 1
                record: dict[str, Any] = {"t": hit.time, "kind": "event", "service": name, "what": "log_hit",
                                          "rule": hit.rule, "file": hit.file, "line": hit.line}
                if state.hits[hit.rule] <= self.manifest.quoted_hits:  # every hit is counted and located; the first ones quoted
                    record["text"] = hit.text
                records.append(record)
            sample[name] = entry
        records.append({"t": now, "kind": "sample", "services": sample, **({"proxied": proxied} if proxied else {})})
        append(self.folder, records)
        return records

    # -- PM2 ---------------------------------------------------------------------------------

    def _drain_events(self) -> list[ProcEvent]:
        events = []
        while True:
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                return events

    def _on_events(self, events: list[ProcEvent], now: float, records: list[dict[str, Any]]) -> bool:
        """Each event at the time PM2 stamped on it (``now`` for one without); whether the process list changed."""
        changed = False
        for event in events:
            state = self.states.get(event.name)
            if state is None:
                continue
            changed = True
            at = event.at if event.at is not None else now
            if state.restarts is not None and event.restarts > state.restarts and state.restarted_at is None:
                state.restarted_at = at
            if event.event == "exit":
                records.append({"t": at, "kind": "event", "service": event.name, "what": "exit",
                                "code": event.exit_code, "manually": event.manually,
                                **self._faulted(event.name, at)})
            elif event.event == "restart overlimit":
                records.append({"t": at, "kind": "event", "service": event.name, "what": "errored",
                                "detail": "PM2 gave up restarting it (too many unstable restarts)"})
            status = {"online": "online", "exit": "stopped", "stop": "stopped"}.get(event.event)
            if status is not None:
                self._status(event.name, state, status, at, records)
        return changed

    def _read_list(self, now: float, records: list[dict[str, Any]]) -> None:
        try:
            procs = self.list_procs()
        except Exception:  # noqa: BLE001 - a daemon busy or gone: the next look tries again, samples go on
            return
        seen = {p.name: p for p in reversed(procs) if not p.module}  # the first of a name's instances
        for name, state in self.states.items():
            proc = seen.get(name)
            if proc is None:
                self._status(name, state, "not running", now, records)
                state.pid = None
                continue
            self._status(name, state, proc.status, now, records)
            state.pid = proc.pid if proc.status == "online" else None
            if state.restarts is None:
                state.restarts = proc.restarts
                records.append({"t": now, "kind": "event", "service": name, "what": "watched",
                                "restarts": proc.restarts})
            elif proc.restarts > state.restarts:
                at = state.restarted_at if state.restarted_at is not None else now  # PM2's event said when
                records.append({"t": at, "kind": "event", "service": name, "what": "restart",
                                "count": proc.restarts - state.restarts, **self._faulted(name, at)})
                state.restarts = proc.restarts
            state.restarted_at = None

    def _status(self, name: str, state: _State, status: str, now: float, records: list[dict[str, Any]]) -> None:
        if status != state.status:
            records.append({"t": now, "kind": "event", "service": name, "what": "status", "status": status,
                            "was": state.status})
            state.status = status

    def _read_proxies(self) -> dict[str, Any]:
        """Each proxy's callers and the requests it passed so far, by the service behind it: a caller that made
        one is seen reaching it, however briefly it was connected (the socket table shows open sockets only)."""
        found: dict[str, Any] = {}
        for target, entry in sorted(self.proxies().items()):
            try:
                state = switch(entry.control, timeout=_PROXY_TIMEOUT)
            except ProxyUnreachable:  # stopped or restarting: its next count says it
                continue
            found[target] = {"callers": list(entry.callers), "requests": state.requests}
        return found

    # -- probes ------------------------------------------------------------------------------

    def _start_probe(self, state: _State, now: float) -> None:
        probe = state.watched.probe
        if probe is None or state.probing is not None or now < state.next_probe or state.status != "online":
            return
        state.next_probe = now + self.manifest.probe_every
        state.probing = self.probes.submit(self._probe, probe, state.watched.timeout)

    def _probe(self, probe: Probe, timeout: float) -> tuple[float, ProbeResult]:
        """On a pool thread: the probe, and when it started (a fault is judged by when the probe ran)."""
        return self.clock(), run_probe(probe, timeout)

    @staticmethod
    def _collect_probe(state: _State) -> tuple[float, ProbeResult] | None:
        if state.probing is None or not state.probing.done():
            return None
        done, state.probing = state.probing, None
        return done.result()

    # -- faults of `cigen verify` -----------------------------------------------------------

    def _faulted(self, name: str, at: float) -> dict[str, bool]:
        """``{"during_fault": True}`` for an exit or a restart of ``name`` at ``at`` that a fault caused: a stop
        fault exits the service and its undo starts it again, on purpose; neither is the service's failure."""
        return {"during_fault": True} if any(f.caused_exit(name, at) for f in self.faults.values()) else {}

    def _during_fault(self, start: float, end: float) -> dict[str, bool]:
        """``{"during_fault": True}`` for a probe that ran from ``start`` to ``end`` while a fault broke the stack
        (any service's: a stopped dependency fails its callers' probes too), until the stack recovered."""
        return {"during_fault": True} if any(f.overlaps(start, end) for f in self.faults.values()) else {}

    def _read_faults(self, records: list[dict[str, Any]]) -> None:
        """The faults that hold or are being recovered from, as ``cigen verify`` keeps them in ``faults.json``: read
        whole each look (a few hundred bytes; its mtime could miss a change made within the same clock tick)."""
        if self.faults_file is None:
            return
        try:
            listed = json.loads(self.faults_file.read_text())
        except (OSError, ValueError):
            return  # none yet, or unreadable: the next look reads it again
        for item in listed if isinstance(listed, list) else ():
            self._learn(item, records)

    def _read_history(self, records: list[dict[str, Any]]) -> None:
        """The faults over since the last look, with their spans (one may have come and gone between two looks)."""
        if self.history_file is None:
            return
        try:
            with self.history_file.open("rb") as history:
                history.seek(self._history_at)
                chunk = history.read()
        except OSError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written is read at the next look
        self._history_at += len(complete)
        for line in complete.decode("utf-8", "replace").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                self._learn({**item, "recovered_at": item.get("recovered_at", item.get("undone_at"))}, records)

    def _learn(self, item: dict[str, Any], records: list[dict[str, Any]]) -> None:
        """What one of the faults' files says of a fault; its fault and fault_undone events at their own times."""
        try:
            fid, service, applied = str(item["id"]), str(item["service"]), float(item["applied_at"])
            undone = None if item.get("undone_at") is None else float(item["undone_at"])
            recovered = None if item.get("recovered_at") is None else float(item["recovered_at"])
        except (KeyError, TypeError, ValueError):
            return
        fault = self.faults.setdefault(fid, _Fault(service, item.get("kind"), item.get("what"), applied))
        fault.undone = fault.undone if undone is None else undone
        fault.recovered = fault.recovered if recovered is None else recovered
        for what, t in (("fault", fault.applied), ("fault_undone", fault.undone)):
            if t is not None and what not in fault.told:
                fault.told.add(what)
                records.append({"t": t, "kind": "event", "service": service, "what": what, "fault": fault.kind,
                                "detail": fault.what})

    # -- the manifest ------------------------------------------------------------------------

    def _reload(self) -> None:
        """A later `cigen up` that started more services adds them to the manifest: watch them too."""
        try:
            mtime = (self.folder / "manifest.json").stat().st_mtime
        except OSError:
            return
        if mtime == self._manifest_mtime:
            return
        self._manifest_mtime = mtime
        manifest = read_manifest(self.folder)
        if manifest is not None:
            self.manifest = manifest
            self._adopt(manifest)

    def _adopt(self, manifest: Manifest) -> None:
        for name, w in manifest.services.items():
            if name not in self.states:
                logs = {"stdout": (Path(w.out_log), w.offsets[0]), "stderr": (Path(w.err_log), w.offsets[1])}
                since = w.startup.requested if w.startup else manifest.started
                self.states[name] = _State(w, Scanner(name, logs, w.rules, w.ignore, since))
                self.log_folders.update(path.parent for path, _ in logs.values())


def _listings(folders: set[Path]) -> dict[Path, dict[str, list[str]]]:
    """pm2-logrotate's copies in each log folder, by the log they copy (``api.out__<date>.log`` under
    ``api.out``): the folder read once a tick for every log in it (a rotation shows as a new name)."""
    found: dict[Path, dict[str, list[str]]] = {}
    for folder in folders:
        copies: dict[str, list[str]] = {}
        try:
            names = os.listdir(folder)
        except OSError:
            names = []
        for name in names:
            stem, sep, _ = name.partition("__")
            if sep:
                copies.setdefault(stem, []).append(name)
        found[folder] = copies
    return found
