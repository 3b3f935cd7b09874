"""The sampler's judgment of exits against the faults `cigen verify` held: a fault shorter than the sampler's
interval comes and goes between two of its looks, and is still known from the faults' history."""

from __future__ import annotations

import json
from pathlib import Path

from cigen.monitor.run import Manifest
from cigen.monitor.sampler import Sampler
from cigen.verify.faults import HISTORY


def sampler(tmp_path: Path, now: float) -> Sampler:
    home = tmp_path / "pm2"
    home.mkdir()
    watched = Sampler(tmp_path / "run", Manifest(started=now - 60, interval=1.0, probe_every=5.0), list,
                      home=home, clock=lambda: now)
    watched.probes.shutdown()
    return watched


def undone(home: Path, service: str, applied_at: float, undone_at: float) -> None:
    line = {"id": f"f-{applied_at}", "kind": "stop", "service": service, "what": f"stop {service}",
            "applied_at": applied_at, "undone_at": undone_at}
    with (home / HISTORY).open("a") as history:
        history.write(json.dumps(line) + "\n")


def test_an_exit_inside_a_fault_that_came_and_went_between_two_looks_is_the_faults(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    watched = sampler(tmp_path, now)
    undone(tmp_path / "pm2", "recommend", now - 0.8, now - 0.1)  # 0.7 s long: no look saw it hold
    records: list[dict[str, object]] = []

    watched._read_history(now, records)

    assert watched._faulted("recommend") == {"during_fault": True}
    assert watched._faulted("api") == {}  # another service's exit is its own
    assert [(r["what"], r["t"]) for r in records] == [("fault", now - 0.8), ("fault_undone", now - 0.1)]


def test_an_exit_long_after_the_fault_was_undone_is_the_services(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    watched = sampler(tmp_path, now)
    undone(tmp_path / "pm2", "recommend", now - 30, now - 20)

    watched._read_history(now, [])

    assert watched._faulted("recommend") == {}


def test_the_history_is_read_once_line_by_line(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    watched = sampler(tmp_path, now)
    undone(tmp_path / "pm2", "recommend", now - 0.8, now - 0.1)
    first: list[dict[str, object]] = []
    watched._read_history(now, first)
    with (tmp_path / "pm2" / HISTORY).open("a") as history:
        history.write('{"id": "half')  # being written: read at the next look, when it is whole
    again: list[dict[str, object]] = []
    watched._read_history(now, again)

    assert len(first) == 2 and again == []
