"""Execution plans: one model for the cascade, parallel and auto modes.

The workflow renderer, the local executor and the PM2 runtime all read the same
:class:`Plan`, so CI and a laptop run services in the same order.

- ``cascade``: one stage per service, in stable topological order, each needing
  the one before; the first failure stops the rest.
- ``parallel``: one stage holding every selected service, run together under
  the concurrency limit; every result is collected.
- ``auto``: stages are the graph's topological generations (services with no
  dependencies among themselves); a stage needs only the stages that hold its
  services' dependencies. Within a stage every result is collected; a failed
  stage stops the stages that need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["auto", "cascade", "parallel"]


@dataclass(frozen=True, slots=True)
class Stage:
    id: str  # "stage-1", "stage-2", ... in plan order
    services: tuple[str, ...]  # member paths, in the order they are listed and run
    needs: tuple[str, ...]  # ids of the stages this one waits for


@dataclass(frozen=True, slots=True)
class Plan:
    mode: Mode
    stages: tuple[Stage, ...]
    concurrency: int | None  # services run at once within a stage; None = no limit
    fail_fast: bool  # True: a failure stops the rest of its stage (cascade)
    services: tuple[str, ...]  # every selected member path, in topological order
