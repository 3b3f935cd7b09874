"""The run folder: the manifest ``cigen up`` writes for the sampler, and the records the sampler appends.

``manifest.json`` holds everything the sampler and the report need about the
run, so neither reads cigen.yaml or the workspace again (a report renders the
same after cigen.yaml changed): each service's probe, port, runtime
dependencies, log files with the byte offset the run started at (only lines
written during this run are scanned), its log rules and thresholds, and its
start-up timings. ``records.jsonl`` is the sampler's output, one JSON object a
line: ``{"t": epoch seconds, "kind": "sample" | "event" | "start" | "end", ...}``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cigen.config.monitor import DEFAULT_RULES, LogRule, MonitorConfig, effective
from cigen.runtime.probes import CmdProbe, HttpProbe, Probe, TcpProbe
from cigen.runtime.project import Project

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class Startup:
    """How one service came up in ``cigen up`` (epoch seconds); probe figures of its gate."""

    requested: float
    launched: float | None
    healthy: float | None
    probes: int
    failures: int
    probe_gap: float  # seconds from the last failing probe's end to the passing probe's end: at most lost on probes


@dataclass(frozen=True, slots=True)
class Watched:
    """What the sampler watches of one service, and what fails it."""

    name: str
    depends_on: tuple[str, ...]
    port: int | None
    probe: Probe | None
    timeout: float
    out_log: str  # absolute
    err_log: str
    offsets: tuple[int, int]  # bytes of each log written before this run
    rules: tuple[LogRule, ...]
    ignore: tuple[str, ...]
    max_memory: int | None
    max_restarts: int | None
    max_health_failure_rate: float | None
    unexpected_exit: bool
    startup: Startup | None = None


@dataclass(frozen=True)
class Manifest:
    started: float
    interval: float
    probe_every: float
    quoted_hits: int = 20
    services: dict[str, Watched] = field(default_factory=dict)
    proxies: dict[int, str] = field(default_factory=dict)  # a loopback proxy's port -> the service behind it

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "started": self.started, "interval": self.interval, "probe_every": self.probe_every,
                "quoted_hits": self.quoted_hits, "proxies": {str(p): t for p, t in sorted(self.proxies.items())},
                "services": {name: _watched_json(w) for name, w in sorted(self.services.items())}}


def watched(project: Project, name: str, offsets: tuple[int, int], startup: Startup | None) -> Watched:
    """The sampler's view of service ``name`` of ``project``."""
    spec = project.specs[name]
    cfg = project.config.monitor
    own = project.config.services.get(name)
    service_cfg = own.monitor if own is not None else None
    rules = (DEFAULT_RULES if cfg.default_rules else ()) + tuple(cfg.log_rules) + \
        tuple(service_cfg.log_rules if service_cfg else ())
    limits = effective(*((service_cfg,) if service_cfg else ()), cfg.thresholds)
    out, err = project.log_paths(name)
    probe = spec.health.probe
    if isinstance(probe, CmdProbe):
        probe = CmdProbe(probe.argv, str(project.root / probe.cwd), probe.env)
    return Watched(name=name, depends_on=spec.depends_on, port=spec.port, probe=probe, timeout=spec.health.timeout,
                   out_log=str(out), err_log=str(err), offsets=offsets, rules=rules,
                   ignore=tuple(cfg.ignore) + tuple(service_cfg.ignore if service_cfg else ()),
                   max_memory=limits.max_memory, max_restarts=limits.max_restarts,
                   max_health_failure_rate=limits.max_health_failure_rate,
                   unexpected_exit=bool(limits.unexpected_exit), startup=startup)


def log_sizes(project: Project, name: str) -> tuple[int, int]:
    """The sizes of ``name``'s two logs now: a run's log scan starts there."""
    return tuple(p.stat().st_size if p.exists() else 0 for p in project.log_paths(name))  # type: ignore[return-value]


def new_manifest(cfg: MonitorConfig, started: float) -> Manifest:
    return Manifest(started=started, interval=cfg.interval, probe_every=cfg.probe_every, quoted_hits=cfg.quoted_hits)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{MANIFEST}.{os.getpid()}"
    temporary.write_text(json.dumps(manifest.to_json(), indent=1, sort_keys=True) + "\n")
    os.replace(temporary, folder / MANIFEST)  # the sampler may read it at any moment: never half written


def read_manifest(folder: Path) -> Manifest | None:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    return Manifest(started=data["started"], interval=data["interval"], probe_every=data["probe_every"],
                    quoted_hits=data["quoted_hits"], proxies={int(p): t for p, t in data["proxies"].items()},
                    services={name: _watched(w) for name, w in data["services"].items()})


def append(folder: Path, records: list[dict[str, Any]]) -> None:
    """Append records, each one whole line in one write: a reader never sees half of one."""
    if not records:
        return
    text = "".join(json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n" for r in records)
    fd = os.open(folder / RECORDS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def read_records(folder: Path) -> Iterator[dict[str, Any]]:
    """The records so far; a last line still being written is left for the next read."""
    try:
        handle = open(folder / RECORDS, "rb")
    except OSError:
        return
    with handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                return
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def _probe_json(probe: Probe | None) -> dict[str, Any] | None:
    if probe is None:
        return None
    kind = {HttpProbe: "http", TcpProbe: "tcp", CmdProbe: "cmd"}[type(probe)]
    return {"kind": kind, **asdict(probe)}


def _probe(data: Mapping[str, Any] | None) -> Probe | None:
    if data is None:
        return None
    fields = {k: v for k, v in data.items() if k != "kind"}
    if data["kind"] == "http":
        return HttpProbe(fields["url"], tuple(tuple(r) for r in fields["status"]),
                         tuple(tuple(h) for h in fields["headers"]))
    if data["kind"] == "tcp":
        return TcpProbe(fields["host"], fields["port"])
    return CmdProbe(tuple(fields["argv"]), fields["cwd"], tuple(tuple(e) for e in fields["env"]))


def _watched_json(w: Watched) -> dict[str, Any]:
    data = asdict(w)
    data["probe"] = _probe_json(w.probe)
    data["rules"] = [r.model_dump() for r in w.rules]
    return data


def _watched(data: dict[str, Any]) -> Watched:
    startup = data.get("startup")
    return Watched(
        name=data["name"], depends_on=tuple(data["depends_on"]), port=data["port"], probe=_probe(data["probe"]),
        timeout=data["timeout"], out_log=data["out_log"], err_log=data["err_log"], offsets=tuple(data["offsets"]),
        rules=tuple(LogRule.model_validate(r) for r in data["rules"]), ignore=tuple(data["ignore"]),
        max_memory=data["max_memory"], max_restarts=data["max_restarts"],
        max_health_failure_rate=data["max_health_failure_rate"], unexpected_exit=data["unexpected_exit"],
        startup=Startup(**startup) if startup else None,
    )
