"""What each service is expected to take, to pack legs by: earlier runs' times, else its size.

The generated workflow keeps one file of timings in the Actions cache
(``cigen-timings-<run id>-<attempt>``; a run restores the newest by prefix, no
API token needed): ``{"version": 1, "seconds": {member path: seconds}}``, the
time of every task a service ran, summed. Each leg uploads its ``cigen run
--json`` documents; the workflow's ``timings`` job folds them into the file it
restored (a service's newest time replaces its older one; services that did
not run keep theirs) and saves it under the run's key.

How missing or stale timings degrade: nothing is wrong, only less balanced.

- No file (the first run, or the cache evicted after 7 days unused): every
  service is expected to take :data:`DEFAULT_SECONDS`, scaled by its size
  (the files in its folder, nested members and dependencies excluded)
  against the median size.
- A file without a service (a new member, or one no run has run yet): its
  size, at the median seconds per file of the services it does have.
- A stale time (a service that grew since it last ran) counts as it was
  until the service runs again, which it does whenever a change affects it.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path

from cigen import reporting

DEFAULT_SECONDS = 30.0  # what the median service is expected to take when no run has timed any
_SKIPPED = {"node_modules", "dist", "build", "__pycache__"}


def read_timings(path: Path | None) -> dict[str, float]:
    """The timings file's seconds per member path; empty (with a warning when unreadable) when absent."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seconds = data["seconds"] if data.get("version") == 1 else {}
        return {str(k): float(v) for k, v in seconds.items() if isinstance(v, (int, float)) and v >= 0}
    except (OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
        reporting.warn(f"{path}: ignored, not a cigen timings file ({exc}); legs are packed by size")
        return {}


def folder_sizes(root: Path, paths: Iterable[str]) -> dict[str, int]:
    """Files in each member's folder, not counting nested members, dependencies, outputs or dot-folders."""
    chosen = list(paths)
    members = {root / p for p in chosen}
    sizes: dict[str, int] = {}
    for path in chosen:
        top = root / path
        count = 0
        for folder, subfolders, files in os.walk(top):
            subfolders[:] = [
                d for d in subfolders
                if not d.startswith(".") and d not in _SKIPPED and Path(folder, d) not in members
            ]
            count += len(files)
        sizes[path] = max(count, 1)
    return sizes


def expected_seconds(known: Mapping[str, float], sizes: Mapping[str, int]) -> dict[str, float]:
    """Seconds per service: its timing when there is one, else its size at the known rate."""
    rates = [known[p] / sizes[p] for p in sizes if p in known]
    if rates:
        rate = statistics.median(rates)
    else:
        rate = DEFAULT_SECONDS / statistics.median(sizes.values()) if sizes else DEFAULT_SECONDS
    return {p: known[p] if p in known else sizes[p] * rate for p in sizes}
