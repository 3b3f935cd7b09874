"""The edges a plan's order follows: the graph's, less those cigen.yaml leaves out, with cycles resolved.

What package managers and task runners do with a cycle between workspace
members (run here on the vitest-, medusa- and livekit-shaped fixtures of
tests/plan/test_stages_cycles.py):

- pnpm 10 warns at install ("There are cyclic workspace dependencies") and
  ``pnpm -r run`` runs anyway: its graph sequencer puts a cycle's members in
  one chunk, run together.
- yarn 4's ``workspaces foreach --topological-dev`` refuses ("Dependency cycle
  detected (...)"); Turborepo 2.11 refuses ("Cyclic dependency detected",
  with the sets of edges that break it); Nx refuses a task graph with a
  cycle (its documentation; not run here).
- uv 0.13 locks ``pkg[extra] -> plugin -> pkg`` without a word: Python
  packages may import each other, and uv runs no tasks, so it needs no order.

cigen's default is ``cycles: error``, as Turborepo, Nx and yarn: a build order
that goes against some edge can build a member before what it uses, so that
should be a decision written down, not a surprise. The error names the
cycle, how many edges break them all and the best few, and the settings that
resolve it; ``cycles: units`` is pnpm's way made deterministic: each
strongly connected component becomes one unit whose members are built one
after another, in the order that goes against the fewest edges (a minimum
feedback arc set, :mod:`cigen.graph.feedback_arcs`), with a warning naming it.

A unit is one block of the plan, as a service is (:func:`chained`,
:func:`block_ordering`): its members sit together in one stage and one CI
leg (:mod:`cigen.plan.legs` packs a unit as one item whose expected duration
is its members' sum), each member needs the one before it, the first waits
for every dependency of the unit, and whatever depends on a member waits for
the last: in a cycle every member needs every other, so nothing outside may
see a unit half built, and ``cigen run`` runs nothing of it in parallel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

from cigen import reporting
from cigen.config.ordering import KIND_FIELDS, CycleMode, EdgeKind, split_edge
from cigen.errors import CycleError, InputError
from cigen.graph.core import cyclic_components, cycles, declared_in, partial_order
from cigen.graph.feedback_arcs import minimum_feedback_arcs
from cigen.graph.graph import Graph, Kinds
from cigen.graph.order import generations, stable_order
from cigen.suggest import did_you_mean

if TYPE_CHECKING:  # pydantic: cigen graph plans without reading a cigen.yaml
    from cigen.config.root import PlanConfig

Arc = tuple[str, str]

# How much of a cycle the error shows: a long line is read by nobody (livekit/agents: 3,172 characters).
SHOWN_MEMBERS = 6
SHOWN_EDGES = 3


@dataclass(frozen=True, slots=True)
class Ignored:
    """An edge between planned members that does not order the plan, and the setting that says so."""

    source: str
    target: str
    kinds: Kinds
    setting: str  # "kinds: dev" or "edges"


@dataclass(frozen=True, slots=True)
class Unit:
    """The members of one cycle, planned as one unit: built in ``members`` order, one after another."""

    members: tuple[str, ...]
    broken: tuple[Arc, ...]  # the unit's edges that order goes against (dependency built after dependent)


@dataclass(frozen=True, slots=True)
class OrderRules:
    """The ordering settings of cigen.yaml's ``plan:``."""

    kinds: tuple[EdgeKind, ...] = ()
    edges: tuple[str, ...] = ()  # "dependent -> dependency", as written
    cycles: CycleMode = "error"
    fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", frozenset(f for k in self.kinds for f in KIND_FIELDS[k]))

    @classmethod
    def of(cls, plan: PlanConfig) -> OrderRules:
        return cls(tuple(plan.ignore.kinds), tuple(plan.ignore.edges), plan.cycles)


class EdgeEntryError(InputError):
    """An entry of ``plan.ignore.edges`` that names no member, or more than one."""

    def __init__(self, index: int, detail: str, hint: str) -> None:
        super().__init__(f"plan.ignore.edges[{index}]: {detail}", path="cigen.yaml", hint=hint)
        self.index = index
        self.detail = detail


def resolve_edge(g: Graph, index: int, text: str) -> Arc:
    """Entry ``index`` of ``plan.ignore.edges`` as (dependent, dependency) paths of ``g``."""
    ends = []
    for end in split_edge(text):
        if end in g:
            ends.append(end)
            continue
        paths = [p for p, m in g.members.items() if m.label == end]
        if len(paths) != 1:
            what = "names no member" if not paths else f"names {len(paths)} members ({', '.join(paths)}): use a path"
            hint = did_you_mean(end, [*(m.label for m in g.members.values()), *g]) if not paths else None
            raise EdgeEntryError(index, f"{text!r}: {end!r} {what}",
                                 hint or "write member names or paths as cigen graph lists them")
        ends.append(paths[0])
    return ends[0], ends[1]


def named_edges(g: Graph, rules: OrderRules) -> set[Arc]:
    """``rules.edges`` as (dependent, dependency) paths of ``g``; a name that is no member is an error."""
    found: set[Arc] = set()
    for index, text in enumerate(rules.edges):
        source, target = resolve_edge(g, index, text)
        if not g.has_edge(source, target):
            reporting.warn(f"plan.ignore.edges: {text!r}: {source} does not depend on {target}; nothing to ignore")
        found.add((source, target))
    return found


def ignored_edges(h: Graph, named: set[Arc], rules: OrderRules) -> tuple[Ignored, ...]:
    """The edges of ``h`` the rules leave out: declared only by ignored kinds, or named."""
    out = []
    for source, target in h.edges():
        kinds = h.kinds(source, target)
        if (source, target) in named:
            out.append(Ignored(source, target, kinds, "edges"))
        elif kinds and rules.fields and set(kinds) <= rules.fields:
            shown = [k for k in rules.kinds if set(kinds) & KIND_FIELDS[k]]
            out.append(Ignored(source, target, kinds, f"kinds: {', '.join(shown)}"))
    keys = h.keys
    return tuple(sorted(out, key=lambda e: (keys[e.source], keys[e.target])))


def without(h: Graph, arcs: Iterable[Arc], added: Iterable[tuple[str, str, Kinds]] = ()) -> Graph:
    """``h`` less ``arcs``, plus ``added``."""
    dropped = set(arcs)
    edges = [(s, t, k) for s, targets in h.succ.items() for t, k in targets.items() if (s, t) not in dropped]
    return h.rewired(h.keys, [*edges, *added])


def find_units(o: Graph) -> tuple[Unit, ...]:
    """One unit per cyclic component of ``o``: its members in the order that goes against the fewest edges."""
    units = []
    for component in cyclic_components(o):
        broken, _ = minimum_feedback_arcs(o, [component])
        inner = without(o.subgraph(component), broken)
        order = stable_order(inner.succ, inner.pred, inner.keys)
        units.append(Unit(tuple(order), tuple(broken)))
    return tuple(units)


def chained(o: Graph, units: Sequence[Unit]) -> Graph:
    """``o`` with each unit as one block: its broken edges left out, each member needing the one before it,
    the first member every dependency of the unit, and every dependent of a member the last one."""
    broken = [arc for u in units for arc in u.broken]
    unit_of = {m: u for u in units for m in u.members}
    added: dict[Arc, Kinds] = {}
    for u in units:
        for earlier, later in zip(u.members, u.members[1:]):
            added[later, earlier] = ()
    for s, t in o.edges():
        dependent, dependency = unit_of.get(s), unit_of.get(t)
        if dependent is not dependency:  # an edge into, out of or between units
            added[dependent.members[0] if dependent else s, dependency.members[-1] if dependency else t] = ()
    # An edge the graph has keeps its kinds.
    return without(o, broken, [(s, t, k) for (s, t), k in added.items() if not o.has_edge(s, t)])


def blocks(units: Sequence[Unit], services: Iterable[str]) -> list[tuple[str, ...]]:
    """``services`` (in plan order) as indivisible items: the members of a unit among them together, in the
    unit's order, where its first one is; every other service alone."""
    unit_of = {m: u for u in units for m in u.members}
    chosen = list(services)
    present = set(chosen)
    found: list[tuple[str, ...]] = []
    placed: set[tuple[str, ...]] = set()
    for path in chosen:
        unit = unit_of.get(path)
        if unit is None:
            found.append((path,))
        elif unit.members not in placed:
            placed.add(unit.members)
            found.append(tuple(m for m in unit.members if m in present))
    return found


def block_ordering(o: Graph, units: Sequence[Unit]) -> tuple[list[list[str]], list[str]]:
    """The levels and the stable order of ``o`` (a :func:`chained` graph), each unit one block: a level
    holds the whole unit, in its order, where its first member sorts; so does the order."""
    head = {m: u.members[0] for u in units for m in u.members}
    block = {u.members[0]: u.members for u in units}
    nodes = [n for n in o if head.get(n, n) == n]
    succ: dict[str, set[str]] = {n: set() for n in nodes}
    pred: dict[str, set[str]] = {n: set() for n in nodes}
    for s, t in o.edges():
        a, b = head.get(s, s), head.get(t, t)
        if a != b:
            succ[a].add(b)
            pred[b].add(a)
    keys = o.keys

    def expand(found: list[str]) -> list[str]:
        return [m for n in found for m in block.get(n, (n,))]

    levels = [expand(level) for level in generations(succ, pred, keys)]
    return levels, expand(stable_order(succ, pred, keys))


def warn_units(o: Graph, units: Sequence[Unit]) -> None:
    names = o.display_names()
    for u in units:
        against = ", ".join(f"{names[s]} -> {names[t]}" for s, t in u.broken[:SHOWN_EDGES])
        more = f" and {len(u.broken) - SHOWN_EDGES} more" if len(u.broken) > SHOWN_EDGES else ""
        reporting.warn(
            f"dependency cycle planned as one unit (plan.cycles: units): {_in_order(names, u.members)}"
            f"; this order goes against {against}{more}"
        )


def cycle_error(g: Graph, planned: set[str], rules: OrderRules) -> CycleError:
    """A short error on the cycles of ``g`` through ``planned`` members: the cycle, how many edges break every
    cycle, the best few, and the settings that resolve it."""
    involved = [c for c in cyclic_components(g) if any(n in planned for n in c)]
    o = g.subgraph(n for c in involved for n in c)
    names = o.display_names()
    found = cycles(o)
    components = cyclic_components(o)
    arcs, exact = minimum_feedback_arcs(o, components)
    first = found[0]
    message = f"dependency cycle: {_members(names, [*first, first[0]])}"
    in_cycles = sum(map(len, components))
    alone = in_cycles == len(first)
    if not alone:
        message += f" (one of the cycles among {in_cycles} members)"
    count = f"{len(arcs)} edge{'s' if len(arcs) != 1 else ''}" + ("" if exact else " (a minimal set, not proven smallest)")
    shown = ", ".join(f"{names[s]} -> {names[t]} [{', '.join(o.kinds(s, t)) or 'through unplanned members'}]"
                      for s, t in arcs[:SHOWN_EDGES])
    more = f" and {len(arcs) - SHOWN_EDGES} more" if len(arcs) > SHOWN_EDGES else ""
    message += f"; breaking {'it' if alone else 'them all'} takes removing {count}: {shown}{more}"
    return CycleError(message, hint=_resolutions(o, components, arcs, rules, names))


def _resolutions(o: Graph, components: list[list[str]], arcs: list[Arc], rules: OrderRules, names: dict[str, str]) -> str:
    """How to resolve the cycles: the one edge to drop, then the cigen.yaml settings, the least sweeping first."""
    settings = []
    kinds = _kinds_that_break(o, components, rules)
    if kinds:
        settings.append(f"plan.ignore.kinds: [{', '.join((*rules.kinds, *kinds))}]")
    if not kinds and len(arcs) <= SHOWN_EDGES or len(arcs) == 1:
        listed = ", ".join(f'"{names[s]} -> {names[t]}"' for s, t in arcs)
        settings.append(f"plan.ignore.edges: [{listed}]")
    settings.append("plan.cycles: units")
    text = "set " + ", or ".join(settings) + " in cigen.yaml"
    if len(arcs) == 1 and o.kinds(*arcs[0]):
        (source, target), = arcs
        text = f"drop {names[target]} from {declared_in(o, source, target)}, or {text}"
    return f"fix: {text}; cigen plan lists what they leave out"


def _kinds_that_break(o: Graph, components: list[list[str]], rules: OrderRules) -> tuple[EdgeKind, ...]:
    """The fewest further kinds whose edges, left out, leave no cycle; () when no choice of kinds does."""
    inside = o.subgraph(n for c in components for n in c)
    others = [k for k in KIND_FIELDS if k not in rules.kinds]
    for size in range(1, len(others) + 1):
        for chosen in combinations(others, size):
            fields = {f for k in (*rules.kinds, *chosen) for f in KIND_FIELDS[k]}
            drop = [(s, t) for s, t in inside.edges() if inside.kinds(s, t) and set(inside.kinds(s, t)) <= fields]
            rest = without(inside, drop)
            if len(partial_order(rest)) == len(rest):
                return chosen
    return ()


def _in_order(names: dict[str, str], members: Sequence[str]) -> str:
    """``a, then b, then c``; past :data:`SHOWN_MEMBERS` members, how many more (cigen plan lists them all)."""
    shown = ", then ".join(names[m] for m in members[:SHOWN_MEMBERS])
    return shown + (f", then {len(members) - SHOWN_MEMBERS} more" if len(members) > SHOWN_MEMBERS else "")


def _members(names: dict[str, str], path: list[str]) -> str:
    """``a -> b -> c``, the middle left out past :data:`SHOWN_MEMBERS` members."""
    shown = [names[n] for n in path]
    if len(shown) > SHOWN_MEMBERS + 1:
        hidden = len(shown) - SHOWN_MEMBERS
        shown = [*shown[: SHOWN_MEMBERS - 1], f"... ({hidden} more)", shown[-1]]
    return " -> ".join(shown)
