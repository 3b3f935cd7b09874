"""What earlier ``cigen run``s of a monorepo measured: each service's time per task, to schedule the next run.

The scheduler starts the longest remaining path first
(:mod:`cigen.executor.schedule`), which needs to know how long each service
takes before it runs. Each run keeps the time of every task that passed in
cigen's cache (:mod:`cigen.adapters.cache`), one entry per monorepo root::

    {"version": 1, "seconds": {"build": {"packages/core": 0.41, ...}, "test": {...}}}

A newer time replaces an older one; services a run did not run keep theirs.
What a service is expected to take for ``cigen run build test`` is the sum of
its known times of those tasks. A missing or stale entry costs only order,
never a result: a first run, and a service no run has timed, start in plan
order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cigen.adapters import cache
from cigen.executor.runner import RunResult

VERSION = 1
Times = dict[str, dict[str, float]]  # task -> service path -> seconds


def entry(root: Path, env: Mapping[str, str]) -> Path:
    """Where the times of the monorepo at ``root`` are kept."""
    return cache.home(env) / "run-times" / f"{cache.key(str(root.resolve()))}.json"


def read(path: Path) -> Times:
    """The times kept at ``path``; empty when there are none that can be used."""
    data = cache.read(path)
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("seconds"), dict):
        return {}
    return {
        str(task): {str(p): float(s) for p, s in times.items() if isinstance(s, (int, float)) and s >= 0}
        for task, times in data["seconds"].items() if isinstance(times, dict)
    }


def expected(times: Times, tasks: Sequence[str], services: Sequence[str]) -> dict[str, float]:
    """Seconds each service is expected to take for ``tasks``: the sum of its known times (none known: absent)."""
    result: dict[str, float] = {}
    for path in services:
        known = [times[t][path] for t in tasks if path in times.get(t, {})]
        if known:
            result[path] = sum(known)
    return result


def record(path: Path, result: RunResult) -> None:
    """Keep the time of every task of ``result`` that passed, over what ``path`` held."""
    times = read(path)
    for service in result.services:
        for task in service.tasks:
            if task.status == "passed" and task.seconds is not None:
                times.setdefault(task.task, {})[service.path] = round(task.seconds, 3)
    cache.write(path, {"version": VERSION, "seconds": times})
