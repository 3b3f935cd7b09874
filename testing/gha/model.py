"""What a local run of a workflow reports: per job, per matrix leg, per step.

Results use GitHub's words: a step's ``outcome`` and ``conclusion`` and a
job's ``result`` are each one of success, failure, cancelled, skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUCCESS, FAILURE, CANCELLED, SKIPPED = "success", "failure", "cancelled", "skipped"


class WorkflowError(Exception):
    """The workflow cannot run at all (bad YAML, a cycle in needs, an unsupported feature)."""


class ActionError(Exception):
    """A step fails for this reason (an action's error, an input it rejects)."""


@dataclass
class StepResult:
    name: str
    id: str | None
    outcome: str
    conclusion: str
    log: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0  # wall time, as GitHub shows beside each step


@dataclass
class LegResult:
    """One run of a job: the job itself, or one combination of its matrix."""

    job_id: str
    name: str
    matrix: dict[str, Any]
    result: str
    outputs: dict[str, str] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    workspace: Path | None = None
    summary: str = ""
    error: str = ""
    orphans: list[str] = field(default_factory=list)  # processes left running, ended with the job

    def step(self, name_or_id: str) -> StepResult:
        for step in self.steps:
            if name_or_id in (step.id, step.name):
                return step
        raise KeyError(f"no step {name_or_id!r} in {self.name}: {[s.name for s in self.steps]}")

    @property
    def log(self) -> str:
        """Every step's log, each under a header, for assertion messages."""
        parts = [f"--- {s.name} [{s.conclusion}, {s.seconds:.1f} s]\n{s.log}" for s in self.steps]
        if self.error:
            parts.append(f"--- error\n{self.error}")
        return "\n".join(parts)


@dataclass
class JobResult:
    job_id: str
    name: str
    result: str
    outputs: dict[str, str] = field(default_factory=dict)
    legs: list[LegResult] = field(default_factory=list)
    reason: str = ""  # why it was skipped, or why it failed before any leg ran

    @property
    def ran(self) -> bool:
        return any(leg.result != CANCELLED or leg.steps for leg in self.legs)

    def leg(self, **matrix: Any) -> LegResult:
        """The leg whose matrix contains these values."""
        for leg in self.legs:
            if all(leg.matrix.get(k) == v for k, v in matrix.items()):
                return leg
        raise KeyError(f"no leg of {self.job_id} with {matrix}: {[leg.matrix for leg in self.legs]}")


@dataclass
class RunResult:
    jobs: dict[str, JobResult]
    order: list[str]  # the order in which jobs were started, skipped ones included
    artifacts: dict[str, Path]
    concurrency_group: str | None = None

    @property
    def result(self) -> str:
        """The run's conclusion: failure if any job failed, cancelled if any was cancelled."""
        results = {job.result for job in self.jobs.values()}
        for outcome in (FAILURE, CANCELLED):
            if outcome in results:
                return outcome
        return SUCCESS

    def __getitem__(self, job_id: str) -> JobResult:
        return self.jobs[job_id]

    def results(self) -> dict[str, str]:
        return {job_id: job.result for job_id, job in self.jobs.items()}

    def legs_run(self) -> list[str]:
        """The names of the legs that ran steps, in the order they ran."""
        return [leg.name for job_id in self.order for leg in self.jobs[job_id].legs if leg.steps]

    def report(self) -> str:
        """A readable account of the run, for assertion messages."""
        lines = []
        for job_id in self.order:
            job = self.jobs[job_id]
            lines.append(f"{job_id}: {job.result}" + (f" ({job.reason})" if job.reason else ""))
            for leg in job.legs:
                lines.append(f"  {leg.name}: {leg.result}")
                if leg.result == FAILURE:
                    lines.extend("    " + line for line in leg.log.splitlines()[-60:])
        return "\n".join(lines)
