"""GitHub Actions at run time: the event that started the run, step outputs, the step summary.

The outputs of ``cigen affected --format github`` are the contract between
the plan job and the stage jobs of the generated workflow:

``affected``
    compact JSON list of the affected services' names, sorted
``count``
    how many services are affected
``any``
    ``true`` or ``false``
``all``
    empty, or why every service runs (a global file, a dispatch, no base...)
``<job id>``
    for every job of the workflow (:func:`cigen.plan.head_start.workflow_jobs`:
    ``stage-0``, ``stage-1``, ``stage-2-part-1``, ...): a compact one-line JSON list of
    the job's legs, one matrix entry each (the entry's keys:
    :mod:`cigen.render.leg_matrix`). A leg runs one service or a balanced
    batch of them (``workflow.legs``). With ``--build-deps`` the unaffected
    dependencies of affected services are listed under ``build``: they only
    build, so that their outputs exist for their dependents.
``<job id>-count``
    how many legs that list has; ``0`` means the job has nothing to do.

Every value is written as ``name<<delimiter`` heredoc when it spans lines,
with a fresh random delimiter that the value does not contain. All outputs
together stay within GitHub's 1 MB per job (measured, as GitHub does, in
UTF-16); past that cigen fails with a clear error instead of writing a
truncated list.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cigen.adapters.files import read_json
from cigen.errors import InputError, ToolError

OUTPUT_LIMIT = 1_000_000  # bytes of UTF-16 per job (GitHub: "1 MB per job ... based on UTF-16")
SUMMARY_LIMIT = 1024 * 1024  # a step summary over 1024k is dropped by the runner
ZERO_SHA = re.compile(r"0{40}(0{24})?")
_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Events with no earlier state to compare with: everything runs.
_RUN_ALL = {
    "workflow_dispatch": "a manual run (workflow_dispatch) runs everything",
    "schedule": "a scheduled run runs everything",
    "repository_dispatch": "a repository_dispatch run runs everything",
}


def in_actions(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("GITHUB_ACTIONS") == "true"


@dataclass(frozen=True, slots=True)
class EventRange:
    """What a GitHub event compares: a base to diff against, or why everything runs."""

    event: str
    base: str | None  # a ref ("refs/remotes/origin/main") or a commit id
    fetch: tuple[str, ...] = ()  # refspecs that bring the base into a clone that lacks it
    everything: str | None = None


def read_event(env: Mapping[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """The event name and payload of the running workflow (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH)."""
    env = os.environ if env is None else env
    name = env.get("GITHUB_EVENT_NAME", "")
    if not name:
        raise InputError("GITHUB_EVENT_NAME is not set", hint="outside GitHub Actions, pass --base REF")
    path = env.get("GITHUB_EVENT_PATH")
    payload: Any = {}
    if path:
        payload = read_json(Path(path))
    return name, payload if isinstance(payload, dict) else {}


def event_range(name: str, payload: Mapping[str, Any]) -> EventRange:
    """The base a run of event ``name`` is compared against (see the issue's rules)."""
    if name in _RUN_ALL:
        return EventRange(name, None, everything=_RUN_ALL[name])
    if name in ("pull_request", "pull_request_target"):
        branch = _get(payload, "pull_request", "base", "ref")
        if not branch:
            return EventRange(name, None, everything=f"the {name} event names no base branch")
        ref = f"refs/remotes/origin/{branch}"
        return EventRange(name, ref, (f"+refs/heads/{branch}:{ref}",))
    if name == "push":
        before = payload.get("before")
        if not isinstance(before, str) or not before:
            return EventRange(name, None, everything="the push event has no 'before' commit to compare with")
        if ZERO_SHA.fullmatch(before):
            return EventRange(name, None, everything="a push that creates a branch has no earlier commit to compare with")
        return EventRange(name, before, (before,))
    if name == "merge_group":
        base = _get(payload, "merge_group", "base_sha")
        if not base:
            return EventRange(name, None, everything="the merge_group event has no base_sha")
        return EventRange(name, base, (base,))
    return EventRange(name, None, everything=f"a {name} event has no base to compare with, so everything runs")


def _get(data: Mapping[str, Any], *keys: str) -> str | None:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) and value else None


class _Job(Protocol):  # read-only, so plan's frozen Job satisfies it
    @property
    def id(self) -> str: ...
    @property
    def services(self) -> tuple[str, ...]: ...


def compact(value: Any) -> str:
    """One-line JSON, as ``fromJSON`` reads it; non-ASCII kept as is (smaller, still valid)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def job_outputs(jobs: Sequence[_Job], legs: Mapping[str, Sequence[Any]]) -> dict[str, str]:
    """``<job id>`` and ``<job id>-count`` for every job: the matrix entries of its legs (none: no legs)."""
    outputs: dict[str, str] = {}
    for job in jobs:
        entries = list(legs.get(job.id, ()))
        outputs[job.id] = compact(entries)
        outputs[f"{job.id}-count"] = str(len(entries))
    return outputs


def summary_outputs(affected_names: Sequence[str], everything: str | None) -> dict[str, str]:
    return {
        "affected": compact(sorted(affected_names)),
        "count": str(len(affected_names)),
        "any": "true" if affected_names else "false",
        "all": everything or "",
    }


def outputs_size(values: Mapping[str, str]) -> int:
    return sum(len(k.encode("utf-16-le")) + len(v.encode("utf-16-le")) for k, v in values.items())


def format_outputs(values: Mapping[str, str]) -> str:
    """The text appended to $GITHUB_OUTPUT; multi-line values get a random heredoc delimiter."""
    lines: list[str] = []
    for name, value in values.items():
        if not _OUTPUT_NAME.fullmatch(name):
            raise ValueError(f"not a valid output name: {name!r}")
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:  # practically never; never wrong either
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            lines += [f"{name}<<{delimiter}", value, delimiter]
        else:
            lines.append(f"{name}={value}")
    return "".join(line + "\n" for line in lines)


def output_file(env: Mapping[str, str], writer: str, elsewhere: str) -> Path:
    """The file GitHub reads a step's outputs from. Outside GitHub Actions there is none: ``writer`` (what
    wanted to write there) fails before doing any work, with ``elsewhere`` (what to do instead) as the hint."""
    path = env.get("GITHUB_OUTPUT")
    if not path:
        raise InputError(f"{writer} writes to $GITHUB_OUTPUT, which is not set",
                         hint=f"it is set inside GitHub Actions; elsewhere {elsewhere}")
    return Path(path)


def write_outputs(path: Path, values: Mapping[str, str]) -> None:
    """Append ``values`` to the $GITHUB_OUTPUT file, or fail before writing anything when too large."""
    size = outputs_size(values)
    if size > OUTPUT_LIMIT:
        raise ToolError(
            f"the step outputs would take {size:,} bytes, over GitHub's limit of {OUTPUT_LIMIT:,} per job",
            hint="the service lists are too long for one job's outputs; split the monorepo's workflow",
        )
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write(format_outputs(values))


def summary_budget(path: Path) -> int:
    """Bytes still free in the step summary file (others may have written to it already)."""
    try:
        used = path.stat().st_size
    except FileNotFoundError:
        used = 0
    return max(0, SUMMARY_LIMIT - used)


def append_summary(path: Path, markdown: str) -> None:
    data = markdown.encode("utf-8")
    if len(data) > summary_budget(path):
        raise ToolError(f"the step summary would exceed GitHub's {SUMMARY_LIMIT // 1024} KiB limit")
    with path.open("ab") as fh:
        fh.write(data)
