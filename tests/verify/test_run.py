"""The order checks run in: those that share no service at once, those that share one never together, a check
that injects a fault alone; results in cigen.yaml's order whatever the order they finished in.

The scheduling is pure logic, so run_check is replaced here by one that records when each check ran; the
checks themselves run for real in tests/cli/test_verify.py."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest

from cigen.config.root import Config
from cigen.verify import run
from cigen.verify.engine import Context
from cigen.verify.model import CheckResult


def contract(service: str) -> dict[str, Any]:
    return {"kind": "contract", "request": {"service": service}}


CHECKS = Config.model_validate({"checks": {
    "a1": contract("a"), "b": contract("b"), "a2": contract("a"), "c": contract("c"),
    "fault": {"kind": "resilience", "fault": {"stop": "b"}, "request": {"service": "a"}},
}}).checks


def test_checks_sharing_no_service_overlap_and_a_fault_runs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    spans: dict[str, tuple[float, float]] = {}
    lock = threading.Lock()

    def recorded(name: str, check: Any, context: Context) -> CheckResult:
        started = time.monotonic()
        time.sleep(0.3)
        with lock:
            spans[name] = (started, time.monotonic())
        return CheckResult(name=name, kind=check.kind, outcome="passed", elapsed=0.3, services=())

    monkeypatch.setattr(run, "run_check", recorded)
    finished: list[str] = []
    results = run.run_all(CHECKS, cast(Context, None), lambda result: finished.append(result.name))

    def overlap(x: str, y: str) -> bool:
        return spans[x][0] < spans[y][1] and spans[y][0] < spans[x][1]

    assert [r.name for r in results] == ["a1", "b", "a2", "c", "fault"]
    assert sorted(finished) == sorted(CHECKS) and finished[-1] == "fault"
    assert overlap("a1", "b") and overlap("a1", "c") and overlap("b", "c")
    assert not overlap("a1", "a2")  # both send to a
    assert not any(overlap("fault", other) for other in ("a1", "a2", "b", "c"))
