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

The plan holds the nodes of the graph it is given: build the graph with
``include_root=config.include_root`` so that the root package becomes a stage
only when cigen.yaml asks for it.

A selection restricts the plan to the selected services. Stages are computed
on the selected services alone (an unselected dependency is never a stage),
but a selected service still waits for a selected service it reaches through
unselected ones: ``a -> x -> b`` with ``x`` unselected orders ``b`` before ``a``.
A mode that needs an order fails only on cycles that pass through a selected
service.

The order follows the graph less the edges cigen.yaml's ``plan.ignore``
leaves out (:attr:`Plan.ignored`); with ``plan.cycles: units`` each cycle left
becomes one unit (:attr:`Plan.units`), one block of the plan as a service is:
its members together in one stage (one per unit in ``cascade``), one after
another (:mod:`cigen.plan.ordering`). :func:`ordered_graph` is that order as
a graph: what every consumer that waits on dependencies reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from cigen.errors import InputError
from cigen.graph.core import ordering, partial_order
from cigen.graph.graph import Graph, Kinds
from cigen.plan.ordering import (
    Ignored,
    OrderRules,
    Unit,
    block_ordering,
    blocks,
    chained,
    cycle_error,
    find_units,
    ignored_edges,
    named_edges,
    warn_units,
    without,
)

Mode = Literal["auto", "cascade", "parallel"]
MODES: tuple[str, ...] = get_args(Mode)

# GitHub Actions runs at most 256 jobs per matrix.
MAX_MATRIX_LEGS = 256


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
    ignored: tuple[Ignored, ...] = ()  # edges between planned members that do not order the plan
    units: tuple[Unit, ...] = ()  # cycles planned as units (plan.cycles: units)

    def blocks(self, services: Iterable[str]) -> list[tuple[str, ...]]:
        """``services`` (in plan order) as the plan's items: each unit's members among them together."""
        return blocks(self.units, services)


@dataclass(frozen=True, slots=True)
class Job:
    """One CI job: a stage, or one part of a stage too large for one matrix."""

    id: str  # the stage id, or "<stage id>-part-<n>"
    stage: str
    services: tuple[str, ...]  # member paths, in stage order
    needs: tuple[str, ...] = ()  # ids of every job of the stages this stage needs


def compute_plan(
    g: Graph,
    *,
    mode: Mode = "auto",
    concurrency: int | None = None,
    selected: Iterable[str] | None = None,
    rules: OrderRules = OrderRules(),
) -> Plan:
    """The stages that run ``g``'s members (or the ``selected`` ones) in ``mode``, ordered as ``rules`` say.

    Raises :class:`~cigen.errors.CycleError` when ``mode`` needs an order and a
    cycle the rules leave passes through a planned member (``cycles: error``).
    """
    if mode not in MODES:
        raise InputError(f"unknown plan mode {mode!r}", hint=f"use one of: {', '.join(MODES)}")
    if concurrency is not None and concurrency < 1:
        raise InputError(f"concurrency must be at least 1 (got {concurrency})", hint="omit it for no limit")
    h = g if selected is None else _restrict(g, selected)
    named = named_edges(g, rules) if rules.edges else set()
    ignored = ignored_edges(h, named, rules) if rules.kinds or rules.edges else ()
    o = without(h, ((e.source, e.target) for e in ignored)) if ignored else h

    if mode == "parallel":
        everything = _best_effort_order(o)
        together: tuple[Stage, ...] = (Stage("stage-1", everything, ()),) if everything else ()
        return Plan("parallel", together, concurrency, False, everything, ignored)

    generations, order = ordering(o)
    units: tuple[Unit, ...] = ()
    if len(order) < len(o):
        if rules.cycles == "error":
            # Named on the whole graph: a cycle through unselected members shows them.
            whole = without(g, ((e.source, e.target) for e in ignored_edges(g, named, rules)))
            raise cycle_error(whole, set(o), rules)
        units = find_units(o)
        warn_units(o, units)
        o = chained(o, units)
        generations, order = block_ordering(o, units)
    stages: tuple[Stage, ...]
    if mode == "cascade":
        # A stage per service, or per unit: its members one after another.
        stages = tuple(
            Stage(f"stage-{i}", block, (f"stage-{i - 1}",) if i > 1 else ())
            for i, block in enumerate(blocks(units, order), 1)
        )
        return Plan("cascade", stages, 1, True, tuple(order), ignored, units)

    stage_of = {path: i for i, generation in enumerate(generations, 1) for path in generation}
    stages = tuple(
        Stage(
            f"stage-{i}",
            tuple(generation),
            tuple(f"stage-{j}" for j in sorted({stage_of[d] for p in generation for d in o.successors(p)} - {i})),
        )
        for i, generation in enumerate(generations, 1)
    )
    return Plan("auto", stages, concurrency, False, tuple(order), ignored, units)


def stage_jobs(plan: Plan, limit: int = MAX_MATRIX_LEGS) -> tuple[Job, ...]:
    """The plan's stages as CI jobs: a stage of more than ``limit`` items (services, or units: a leg each
    at most) is split into parts.

    Parts are consecutive slices of the stage's items, as even as possible
    (300 services with a limit of 256 make parts of 150 and 150), so adding
    one service moves few others between jobs; a unit is never split.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1 (got {limit})")
    jobs: list[Job] = []
    job_ids: dict[str, tuple[str, ...]] = {}
    for stage in plan.stages:
        needs = tuple(job_id for needed in stage.needs for job_id in job_ids[needed])
        items = plan.blocks(stage.services)
        count = len(items)
        if count <= limit:
            jobs.append(Job(stage.id, stage.id, stage.services, needs))
            job_ids[stage.id] = (stage.id,)
            continue
        parts = -(-count // limit)
        size, extra = divmod(count, parts)
        start = 0
        ids = []
        for part in range(1, parts + 1):
            end = start + size + (1 if part <= extra else 0)
            ids.append(f"{stage.id}-part-{part}")
            jobs.append(Job(ids[-1], stage.id, tuple(p for item in items[start:end] for p in item), needs))
            start = end
        job_ids[stage.id] = tuple(ids)
    return tuple(jobs)


def service_needs(g: Graph, plan: Plan) -> dict[str, tuple[str, ...]]:
    """Each planned service's direct dependencies among the planned ones, in plan order.

    What a per-service scheduler waits for (``cigen run`` in auto mode): the
    edges the stages are cut from, so a dependency reached through unplanned
    members counts (``a -> x -> b`` with ``x`` unplanned: ``a`` needs ``b``).
    """
    h = ordered_graph(g, plan)
    position = {path: i for i, path in enumerate(plan.services)}
    return {path: tuple(sorted(h.successors(path), key=position.__getitem__)) for path in plan.services}


def ordered_graph(g: Graph, plan: Plan) -> Graph:
    """The planned members with the edges the plan's order follows: ``g``'s (reached through unplanned
    members too) less :attr:`Plan.ignored`, with each unit's members following each other."""
    h = _restrict(g, plan.services)
    if plan.ignored:
        h = without(h, ((e.source, e.target) for e in plan.ignored))
    return chained(h, plan.units) if plan.units else h


def _restrict(g: Graph, selected: Iterable[str]) -> Graph:
    """The selected members, with an edge wherever one reaches another directly or through unselected ones."""
    chosen = set(selected)
    unknown = sorted(p for p in chosen if p not in g)
    if unknown:
        raise KeyError(f"not members of the graph: {', '.join(unknown)}")
    succ, pred = g.succ, g.pred
    # Unselected members on a path between two selected ones. For the usual
    # selections (affected sets are closed under dependents) there are none.
    bridges: set[str] = set()
    stack = [p for s in chosen for p in pred[s] if p not in chosen]
    while stack:
        node = stack.pop()
        if node not in bridges:
            bridges.add(node)
            stack.extend(p for p in pred[node] if p not in chosen and p not in bridges)

    edges: list[tuple[str, str, Kinds]] = []
    beyond: dict[str, set[str]] = {}
    for source in (n for n in g if n in chosen):
        for target, kinds in succ[source].items():
            if target in chosen:
                edges.append((source, target, kinds))
            elif target in bridges:
                if target not in beyond:
                    beyond[target] = _selected_beyond(target, succ, chosen, bridges)
                # Reached only through unselected members: an edge with no kinds (a direct one keeps its own).
                edges.extend((source, reached, ()) for reached in beyond[target] if reached not in succ[source])
    return g.rewired(chosen, edges)


def _selected_beyond(
    start: str, succ: Mapping[str, Mapping[str, Kinds]], chosen: set[str], bridges: set[str]
) -> set[str]:
    """Selected members reached from ``start`` through unselected ones only."""
    reached: set[str] = set()
    seen = {start}
    stack = [start]
    while stack:
        for nxt in succ[stack.pop()]:
            if nxt in chosen:
                reached.add(nxt)
            elif nxt in bridges and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return reached


def _best_effort_order(g: Graph) -> tuple[str, ...]:
    """The stable topological order; members on or behind a cycle follow, sorted."""
    order = partial_order(g)
    placed = set(order)
    rest = sorted((n for n in g if n not in placed), key=g.sort_key)
    return tuple(order + rest)
