"""Faults a resilience check injects into the running stack, and always undoes.

:func:`injected` is a context manager (``cigen verify`` uses it, and so can a
test): the fault holds inside the block and is undone when the block ends,
however it ends: normally, by an exception, by Ctrl-C or SIGTERM (which raise
KeyboardInterrupt inside it; the undo itself is shielded from a second one).
After the undo, each service the fault touched that was healthy before (the
faulted one and its callers) is waited on until its health check passes again.

- ``stop``: PM2 stops the service; undo: PM2 restarts it, with the definition it keeps.
- ``pause``: SIGSTOP to each process of the service's tree (a port that accepts and
  never answers); undo: SIGCONT to the same processes (each checked by its start time,
  so a recycled PID is never signalled).
- ``delay`` / ``error``: the loopback proxy in front of the service (``${url:NAME}``)
  switches mode; undo: back to pass-through.

Each fault is written to ``faults.json`` in the project's PM2 home *before* it is
applied, with the PID of the cigen process that applied it; it is marked undone
(``undone_at``) as soon as its undo is done, and removed once the services it
touched are healthy again, when it moves to ``faults-history.jsonl`` with its
whole span (applied, undone, recovered). A cigen killed in between (SIGKILL, a
crash) leaves the record; the next ``cigen verify``, ``cigen up`` or ``cigen down``
undoes it (:func:`undo_leftovers`) and says so, so no service stays paused or
proxied into an error.

The run's sampler reads both files to tell a fault's effects from a service's
failures: an exit that PM2 timestamps between applied and undone is the fault's,
a failing probe until the stack recovered too. Since a fault is in
``faults.json`` before it is applied and in the history before it leaves
``faults.json``, whatever the sampler read of PM2's events, a look at the two
files afterwards finds every fault that could have caused them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from cigen.adapters.confined import replace_file
from cigen.config.faults import FaultConfig, FaultKind
from cigen.durations import format_seconds
from cigen.errors import EXIT_ENVIRONMENT, CigenError, InputError
from cigen.reporting import warn
from cigen.runtime import processes
from cigen.runtime.daemon import Pm2Error, Proc, session
from cigen.runtime.pm2 import home_lock, pm2_home
from cigen.runtime.probes import run_probe
from cigen.runtime.proxies import proxy_table
from cigen.runtime.services import ServiceSpec
from cigen.runtime.signals import interruptible, shielded
from cigen.verify.proxy_control import Mode, ProxyUnreachable, switch
from cigen.verify.stack import StackNotUp

if TYPE_CHECKING:
    from cigen.verify.stack import Stack

RECORDS = "faults.json"
HISTORY = "faults-history.jsonl"  # the faults over, one JSON line each, with applied_at, undone_at, recovered_at
_PAUSE_SETTLE = 5.0  # seconds for SIGSTOP to take hold of every process of the tree (it takes microseconds)


class FaultNotApplied(CigenError):
    """PM2 refused to apply a fault (stop): the stack, not the check, is at fault."""

    exit_code = EXIT_ENVIRONMENT


class FaultNotUndone(CigenError):
    """A service did not come back healthy after its fault was undone: the stack is not as it was."""

    exit_code = EXIT_ENVIRONMENT


@dataclass(frozen=True, slots=True)
class Applied:
    """A fault as recorded while it holds."""

    id: str
    kind: FaultKind
    service: str
    what: str  # FaultConfig.describe()
    owner: int  # the PID of the cigen process that applied it
    owner_started: float  # its start time, so that a recycled PID is not taken for it
    processes: tuple[tuple[int, float], ...] = ()  # paused: (PID, start time) of each
    control: int | None = None  # delay and error: the proxy's control port
    applied_at: float = 0.0  # wall clock when it was recorded, just before it was applied
    undone_at: float | None = None  # wall clock when its undo was done (None: it holds)


def check_fault(fault: FaultConfig, specs: Mapping[str, ServiceSpec]) -> None:
    """Refuse a fault that cannot be applied to these services: an unknown one, or a delay or error on a
    service no caller reaches through ``${url:NAME}`` (there is no proxy in front of it)."""
    if fault.service not in specs:
        raise InputError(f"fault {fault.describe()}: no service is named {fault.service!r}",
                         hint=f"services: {', '.join(sorted(specs))}")
    if fault.proxied and not any(fault.service in spec.refers_to for spec in specs.values()):
        raise InputError(f"fault {fault.describe()}: no service reaches {fault.service} through "
                         f"${{url:{fault.service}}}, so cigen has no proxy in front of it",
                         hint=f"refer to it in its callers' env, e.g. SERVICE_URL: ${{url:{fault.service}}}")


@contextmanager
def injected(fault: FaultConfig, stack: Stack) -> Iterator[None]:
    """Apply ``fault`` to the running ``stack`` for the span of the block; always undo it."""
    with interruptible():
        watched = _healthy_now(stack, _touched(fault, stack))
        applied: list[Applied] = []
        try:
            _apply(fault, stack, applied)
            yield
        except BaseException:
            with shielded():
                for record in applied:
                    try:
                        _undo(record, stack.root, stack)
                    except CigenError as exc:  # the error that ended the block is the one to report
                        warn(f"could not undo the fault {record.what}: {exc}")
                try:
                    _wait_healthy(stack.project.specs, watched, strict=False)
                finally:
                    _forget_all(stack.root, applied)
            raise
        with shielded():
            try:
                for record in applied:
                    _undo(record, stack.root, stack)
                _wait_healthy(stack.project.specs, watched, strict=True)
            finally:
                _forget_all(stack.root, applied)


def undo_leftovers(root: Path, specs: Mapping[str, ServiceSpec] | None = None, *, restart: bool = True) -> list[str]:
    """Undo the faults a cigen process recorded and did not undo before it ended; each one is warned of.

    A stopped service is restarted through PM2 unless ``restart`` is false (``cigen down`` stops everything
    anyway); with ``specs``, each service a leftover touched is then waited on until healthy. The faults of
    a cigen process that still runs are its own to undo, and left alone.
    """
    undone: list[Applied] = []
    for record in _records(root):
        if processes.started(record.owner) == record.owner_started:
            continue
        if record.undone_at is not None:  # undone by its owner, which ended while the services recovered
            _forget(root, record.id)
            continue
        if record.kind == "stop":
            if restart:
                with session(root, spawn=False) as s, contextlib.suppress(Pm2Error):  # gone from PM2: up starts it
                    if s.bridge is not None:
                        s.bridge.call("restart", name=record.service, timeout=60)
            _mark_undone(root, record.id)
        else:
            try:
                _undo(record, root, None)
            except ProxyUnreachable:
                _mark_undone(root, record.id)  # a proxy that is gone starts again in pass-through
        warn(f"undid the fault {record.what}, left by a cigen (pid {record.owner}) that ended before undoing it")
        undone.append(record)
    try:
        if specs is not None:
            _wait_healthy(specs, sorted({r.service for r in undone if r.service in specs}), strict=False)
    finally:
        _forget_all(root, undone)
    return [record.what for record in undone]


# -- applying and undoing ---------------------------------------------------------------------


def _apply(fault: FaultConfig, stack: Stack, applied: list[Applied]) -> None:
    """Apply ``fault``, its record written first and appended to ``applied`` (to be undone however this ends)."""
    check_fault(fault, stack.project.specs)
    me = os.getpid()
    record = Applied(id=uuid.uuid4().hex, kind=fault.kind, service=fault.service, what=fault.describe(), owner=me,
                     owner_started=processes.started(me) or 0.0, applied_at=time.time())
    if fault.stop is not None:
        with stack.daemon() as s:
            assert s.bridge is not None  # Stack.daemon() refuses a stack without one
            _running_pids(s.list(), fault.stop)
            _record(stack.root, applied, record)
            try:
                s.bridge.call("stop", name=fault.stop, timeout=stack.spec(fault.stop).kill_timeout + 30)
            except Pm2Error as exc:
                raise FaultNotApplied(f"PM2 could not stop {fault.stop}: {exc}") from None
    elif fault.pause is not None:
        with stack.daemon() as s:
            top = _running_pids(s.list(), fault.pause)
        tree = sorted(top | processes.descendants(top))
        record = replace(record, processes=tuple((pid, t) for pid in tree if (t := processes.started(pid)) is not None))
        _record(stack.root, applied, record)
        processes.signal_all({pid for pid, _ in record.processes}, signal.SIGSTOP)
        _settle_paused(record.processes)
    else:
        entry = proxy_table(stack.root).get(fault.service)
        if entry is None:
            raise StackNotUp(f"fault {fault.describe()}: the stack runs no proxy in front of {fault.service}",
                             hint="run `cigen up` again: it starts the proxies that ${url:NAME} references need")
        mode = (Mode("delay", by=fault.delay.by) if fault.delay is not None
                else Mode("error", status=fault.error.status if fault.error else 503))
        _record(stack.root, applied, replace(record, control=entry.control))
        switch(entry.control, mode)


def _undo(record: Applied, root: Path, stack: Stack | None) -> None:
    if record.kind == "stop":
        assert stack is not None  # undo_leftovers restarts a stopped service itself
        with stack.daemon() as s:
            assert s.bridge is not None
            try:
                s.bridge.call("restart", name=record.service, timeout=stack.spec(record.service).kill_timeout + 30)
            except Pm2Error as exc:
                raise FaultNotUndone(f"PM2 could not start {record.service} again: {exc}",
                                     hint=f"run `cigen up {record.service}`") from None
    elif record.kind == "pause":
        live = {pid for pid, started in record.processes if processes.started(pid) == started}
        processes.signal_all(live, signal.SIGCONT)
    else:
        assert record.control is not None
        switch(record.control, Mode())
    _mark_undone(root, record.id)


# -- health ------------------------------------------------------------------------------------


def _touched(fault: FaultConfig, stack: Stack) -> list[str]:
    """The faulted service and the services that depend on it."""
    specs = stack.project.specs
    return sorted({fault.service} | {name for name, spec in specs.items() if fault.service in spec.depends_on})


def _healthy_now(stack: Stack, names: list[str]) -> list[str]:
    return [name for name in names if _healthy(stack.project.specs[name])]


def _healthy(spec: ServiceSpec) -> bool:
    probe = spec.health.probe
    return probe is None or run_probe(probe, spec.health.timeout).ok  # no probe: up is all PM2 tells


def _wait_healthy(specs: Mapping[str, ServiceSpec], names: list[str], *, strict: bool) -> None:
    """Wait until each of ``names`` passes its health check, each within its own deadline; one that does not
    is a :class:`FaultNotUndone` when ``strict``, else a warning (an error is already on its way)."""
    started = time.monotonic()
    pending = {name: specs[name] for name in names}
    while pending:
        for name, spec in list(pending.items()):
            if _healthy(spec):
                del pending[name]
            elif time.monotonic() - started > spec.health.deadline:
                message = f"{name} is not healthy again {format_seconds(spec.health.deadline)} after the fault was undone"
                if strict:
                    raise FaultNotUndone(message, hint=f"see its logs: cigen logs {name}")
                warn(message)
                del pending[name]
        if pending:
            time.sleep(min(spec.health.interval for spec in pending.values()))


# -- processes ---------------------------------------------------------------------------------


def _running_pids(procs: list[Proc], name: str) -> set[int]:
    pids = {p.pid for p in procs if p.name == name and p.status == "online" and p.pid}
    if not pids:
        raise StackNotUp(f"{name} is not running, so no fault can be applied to it",
                         hint=f"run `cigen up {name}` first")
    return pids


def _settle_paused(tree: tuple[tuple[int, float], ...]) -> None:
    """Wait until every process of ``tree`` shows as stopped (SIGSTOP is delivered asynchronously)."""
    deadline = time.monotonic() + _PAUSE_SETTLE
    for pid, _ in tree:
        while time.monotonic() < deadline:
            try:
                if psutil.Process(pid).status() == psutil.STATUS_STOPPED:
                    break
            except psutil.Error:
                break  # gone: nothing to pause
            time.sleep(0.005)


# -- the record --------------------------------------------------------------------------------


def _records(root: Path) -> list[Applied]:
    try:
        data = json.loads((pm2_home(root) / RECORDS).read_text())
        return [Applied(**{**item, "processes": tuple(tuple(p) for p in item["processes"])}) for item in data]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _save(root: Path, records: list[Applied]) -> None:
    home = pm2_home(root)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    replace_file(home, home / RECORDS, (json.dumps([asdict(r) for r in records], indent=2) + "\n").encode(), 0o600)


def _record(root: Path, applied: list[Applied], record: Applied) -> None:
    with home_lock(pm2_home(root)):
        _save(root, [*_records(root), record])
    applied.append(record)


def _mark_undone(root: Path, record_id: str) -> None:
    """The fault's undo is done (its record stays until the services recover, see :func:`_forget`)."""
    with home_lock(pm2_home(root)):
        _save(root, [replace(r, undone_at=time.time()) if r.id == record_id else r for r in _records(root)])


def _forget_all(root: Path, records: list[Applied]) -> None:
    """Forget those of ``records`` that were undone; one whose undo failed stays, for the next command to undo."""
    undone = {r.id for r in _records(root) if r.undone_at is not None}
    for record in records:
        if record.id in undone:
            _forget(root, record.id)


def _forget(root: Path, record_id: str) -> None:
    """The fault is over and the services it touched recovered: into the history (HISTORY) with its span, then
    out of the records. The run's sampler reads the history, as a fault shorter than its interval comes and goes
    between two of its looks. History first: a fault is never in neither file, so the sampler, reading both after
    PM2's events, finds every fault that could have caused them."""
    home = pm2_home(root)
    with home_lock(home):
        records = _records(root)
        now = time.time()
        for record in records:
            if record.id == record_id:
                line = {**asdict(record), "undone_at": record.undone_at or now, "recovered_at": now}
                with (home / HISTORY).open("a", encoding="utf-8") as history:
                    history.write(json.dumps(line) + "\n")
        _save(root, [r for r in records if r.id != record_id])
