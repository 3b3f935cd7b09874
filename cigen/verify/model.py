"""What running checks gives: one :class:`CheckResult` per check, made of :class:`StepResult` s, and the coverage.

The engine makes these, the reports (table, JUnit, JSON, the step summary) read them, and the pytest plugin
shares them. Every text in them has been redacted already: a value from the environment or a credential never
reaches a result (see :mod:`cigen.verify.values`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["passed", "failed", "error"]
KINDS = ("contract", "flow", "state", "auth", "resilience")  # the order reports group them in


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step of a check: a request and what was expected of its answer.

    ``what`` names the step as a person finds it in cigen.yaml ("step 2: GET billing /invoices/7");
    on failure ``expected`` and ``got`` say the difference in one line each, and ``detail`` adds what
    explains it: the status, the start of the body, the value at a path, the time it took.
    """

    what: str
    ok: bool
    elapsed: float  # seconds
    expected: str = ""
    got: str = ""
    detail: tuple[str, ...] = ()
    attempts: int = 1  # tries of an `eventually` step

    def as_json(self) -> dict[str, Any]:
        return {"step": self.what, "ok": self.ok, "seconds": round(self.elapsed, 3), "expected": self.expected,
                "got": self.got, "detail": list(self.detail), "attempts": self.attempts}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A check's outcome: ``passed``; ``failed`` (a step's expectation did not hold); ``error`` (the check
    could not run: a fault that could not be applied, a schema file that is not there)."""

    name: str
    kind: str
    outcome: Outcome
    elapsed: float  # seconds, the whole check
    services: tuple[str, ...]  # the services it involves, sorted
    steps: tuple[StepResult, ...] = ()
    message: str = ""  # on failure or error: one line, which step and why
    logs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # on failure: (service, its last log lines)

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def failed_step(self) -> StepResult | None:
        return next((step for step in self.steps if not step.ok), None)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "outcome": self.outcome, "seconds": round(self.elapsed, 3),
                "services": list(self.services), "message": self.message,
                "steps": [step.as_json() for step in self.steps],
                "logs": {service: list(lines) for service, lines in self.logs}}


@dataclass(frozen=True, slots=True)
class Edge:
    """A runtime edge between two services: ``dependent`` calls ``dependency``; ``via`` says how cigen knows
    (``depends_on``, ``package`` for a runtime dependency in a manifest, ``url`` for a ``${url:NAME}``)."""

    dependent: str
    dependency: str
    via: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EdgeCoverage:
    edge: Edge
    checks: tuple[str, ...]  # the checks that exercise it, sorted; empty: not covered

    def as_json(self) -> dict[str, Any]:
        return {"dependent": self.edge.dependent, "dependency": self.edge.dependency, "via": list(self.edge.via),
                "checks": list(self.checks), "covered": bool(self.checks)}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """A whole ``cigen verify``: every check run, in the order of cigen.yaml, and the coverage of the edges."""

    checks: tuple[CheckResult, ...]
    coverage: tuple[EdgeCoverage, ...]
    elapsed: float
    skipped: tuple[str, ...] = field(default=())  # checks left out by --affected (their services did not change)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        counts = {outcome: sum(c.outcome == outcome for c in self.checks) for outcome in ("passed", "failed", "error")}
        return {"passed": self.passed, "seconds": round(self.elapsed, 3), "counts": counts,
                "checks": [check.as_json() for check in self.checks], "skipped": list(self.skipped),
                "coverage": [edge.as_json() for edge in self.coverage]}
