"""What ``cigen run`` tells a person (the summary table) and a machine (JSON) when it ends.

The JSON document's keys only ever grow: ``ok`` (bool), ``interrupted``
(bool), ``mode``, ``concurrency`` (null: no limit), ``tasks`` (as asked),
``seconds``, and ``services`` in plan order, each with ``name`` (null when
unnamed), ``path``, ``status`` (passed | failed | interrupted | not run |
skipped: it defines none of the tasks), ``reason`` (why it did not run, else
null), ``build_only`` (``--affected``: not affected, only built for the
services that are) and ``tasks``: per task asked, ``task``, ``status``
(passed | failed | interrupted | not run | no script | build only: a task
other than build of a build-only service), ``seconds`` (null when it did not run),
``exit_code`` (null when it did not run or could not start; negative: the
signal that ended it) and ``error`` (why it could not start, else null).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cigen.executor.runner import RunResult, TaskResult
from cigen.durations import format_seconds


def to_json(result: RunResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "interrupted": result.interrupted,
        "mode": result.mode,
        "concurrency": result.concurrency,
        "tasks": list(result.tasks),
        "seconds": round(result.seconds, 3),
        "services": [
            {
                "name": s.name,
                "path": s.path,
                "status": s.status,
                "reason": s.reason,
                "build_only": s.build_only,
                "tasks": [
                    {**asdict(t), "seconds": None if t.seconds is None else round(t.seconds, 3)} for t in s.tasks
                ],
            }
            for s in result.services
        ],
    }


def describe(task: TaskResult, reason: str | None = None) -> str:
    """A task's result as the summary reads it: ``passed``, ``failed (exit code 1)``, ``not run: depends on x``."""
    if task.status == "failed":
        if task.error:
            return f"failed: {task.error}"
        return f"failed (exit code {task.exit_code})" if task.exit_code is not None else "failed"
    if task.status == "not run" and reason:
        return f"not run: {reason}"
    return task.status


def summary(result: RunResult) -> str:
    """The table of every service and task (result and time), then the totals."""
    rows = [("service", "task", "result", "time")]
    counts: dict[str, int] = {}
    for service in result.services:
        for task in service.tasks:
            counts[task.status] = counts.get(task.status, 0) + 1
            seconds = "" if task.seconds is None else format_seconds(task.seconds)
            rows.append((service.label, task.task, describe(task, service.reason), seconds))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        f"{label:<{widths[0]}}  {task:<{widths[1]}}  {what:<{widths[2]}}  {seconds}".rstrip()
        for label, task, what, seconds in rows
    ]
    totals = [f"{counts[s]} {s}" for s in ("passed", "failed", "interrupted", "not run") if counts.get(s)]
    if counts.get("no script"):
        totals.append(f"{counts['no script']} without a script")
    ending = "interrupted" if result.interrupted else ("ok" if result.ok else "failed")
    lines += ["", f"{ending}: {', '.join(totals) or 'nothing to run'} in {format_seconds(result.seconds)}"]
    return "\n".join(lines)


def markdown(result: RunResult) -> str:
    """The results as a Markdown table, for a CI step summary: a row per service and task, with its time."""
    rows = ["| service | task | result | time |", "| --- | --- | --- | --- |"]
    for service in result.services:
        for task in service.tasks:
            seconds = "" if task.seconds is None else format_seconds(task.seconds)
            cells = (service.label, task.task, describe(task, service.reason), seconds)
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    ending = "interrupted" if result.interrupted else ("passed" if result.ok else "failed")
    return "\n".join(rows) + f"\n\n**{ending}** in {format_seconds(result.seconds)}\n\n"


def _cell(text: str) -> str:
    """Table cell text: pipes and line breaks would end the cell or the row; markup stays literal."""
    return "".join(f"\\{c}" if c in "\\`*_[]<>|" else c for c in text.replace("\n", " "))
