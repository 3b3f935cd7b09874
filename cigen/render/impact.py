"""The change-impact report in Markdown: counts, stages, reason chains and a Mermaid graph.

Used by ``cigen affected --format markdown`` and as the plan job's step
summary, so it always fits a byte budget (GitHub drops a summary over
1024 KiB): the table is cut to fewer rows and the graph summarised until it
does. Mermaid on GitHub refuses diagrams over 50,000 characters or 500 edges;
a larger affected part is drawn as the changed services and their direct
dependents, and past that as one node per stage.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Protocol

from cigen.adapters.github_env import SUMMARY_LIMIT
from cigen.graph.graph import Graph
from cigen.impact.affected import FileEffect, Impact

if TYPE_CHECKING:
    import jinja2

MERMAID_MAX_TEXT = 50_000
MERMAID_MAX_EDGES = 500


class ReportDoesNotFit(ValueError):
    """Even the smallest form of the report is larger than the bytes left (earlier steps filled the summary)."""


class _Job(Protocol):  # read-only, so plan's frozen Job satisfies it
    @property
    def id(self) -> str: ...
    @property
    def services(self) -> tuple[str, ...]: ...


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    # lazy: cigen affected loads this module for every format, and only markdown renders (jinja2: ~30 ms)
    import jinja2

    text = (files("cigen") / "templates" / "impact.md.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(
        autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.from_string(text)


# Anything but printable ASCII is looked at; of that, the invisible characters that change how the text
# around them reads (bidi overrides, isolates and marks, zero-width joiners and spaces: Unicode's format
# characters) and control characters.
_NOT_PLAIN = re.compile(r"[^\x20-\x7e]")
_INVISIBLE = frozenset({"Cf", "Cc"})


def _visible(text: str) -> str:
    """``text`` with each invisible character written as its code point, ``<U+202E>``: a name whose bidi
    override would reorder what a reviewer reads shows the override instead, as ``<b>`` shows as text."""
    return _NOT_PLAIN.sub(
        lambda m: f"<U+{ord(m[0]):04X}>" if unicodedata.category(m[0]) in _INVISIBLE else m[0], text
    )


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell and inline HTML: escaped, visible, one line, no pipes."""
    return html.escape(_visible(" ".join(text.split())), quote=False).replace("|", "&#124;").replace("`", "&#96;")


def _mermaid_label(text: str) -> str:
    out = _visible(" ".join(text.split()))
    for char, entity in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;")):
        out = out.replace(char, entity)
    return out


def _why(impact: Impact, path: str, names: Mapping[str, str]) -> str:
    reason = impact.reasons[path]
    chain = " → ".join(f"<code>{cell(names.get(p, p))}</code>" for p in reason.chain)
    if reason.kind == "global":
        return cell(reason.text(names))
    if reason.kind == "build":
        return f"build only, needed by {chain}"
    start = f"<code>{cell(reason.origin)}</code>"
    if reason.kind == "changed" and reason.more_files and len(reason.chain) == 1:
        start += f" (+{reason.more_files} more)"
    elif reason.kind == "lockfile":
        start += " (resolved dependencies)"
    elif reason.kind == "removed":
        start += " (removed)"
    return f"{start} → {chain}"


def _mermaid(graph: Graph, nodes: Sequence[str], impact: Impact, names: Mapping[str, str]) -> str | None:
    """The subgraph on ``nodes``, arrows from a service to its dependents; None when GitHub would refuse it."""
    chosen = set(nodes)
    edges = sorted((t, s) for s in chosen for t in graph.successors(s) if t in chosen)
    if len(edges) > MERMAID_MAX_EDGES:
        return None
    changed, build = set(impact.changed), set(impact.build_only)
    ids = {p: f"n{i}" for i, p in enumerate(sorted(chosen))}
    lines = ["flowchart LR"]
    groups: dict[str, list[str]] = {}
    for p in sorted(chosen):
        lines.append(f'  {ids[p]}["{_mermaid_label(names.get(p, p))}"]')
        groups.setdefault("changed" if p in changed else "build" if p in build else "affected", []).append(ids[p])
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in edges]
    lines += [
        "  classDef changed fill:#fde68a,stroke:#b45309,stroke-width:2px",
        "  classDef affected fill:#dbeafe,stroke:#1d4ed8",
        "  classDef build fill:#f3f4f6,stroke:#9ca3af,stroke-dasharray:4",
    ]
    lines += [f"  class {','.join(members)} {group}" for group, members in sorted(groups.items())]
    text = "\n".join(lines)
    return text if len(text) <= MERMAID_MAX_TEXT else None


def _stage_mermaid(stages: list[dict[str, Any]], jobs: Sequence[_Job]) -> str:
    lines = ["flowchart LR"]
    for i, s in enumerate(stages):
        lines.append(f'  s{i}["{s["id"]}: {s["runs"]} of {s["total"]} run"]')
    index = {job.id: i for i, job in enumerate(jobs)}
    edges = [f"  s{index[need]} --> s{i}" for i, job in enumerate(jobs) for need in getattr(job, "needs", ()) if need in index]
    return "\n".join(lines + (edges if len(edges) <= MERMAID_MAX_EDGES else []))


def _graph(
    impact: Impact, graph: Graph, names: Mapping[str, str], stages: list[dict[str, Any]], jobs: Sequence[_Job]
) -> dict[str, Any]:
    shown = [*impact.affected, *impact.build_only]
    if not shown:
        return {"mermaid": None, "graph_title": "", "graph_note": ""}
    title = "Graph of the affected services (changed: amber, affected: blue, build only: grey; arrows point to dependents)"
    drawn = _mermaid(graph, shown, impact, names) if not impact.everything else None
    if drawn:
        return {"mermaid": drawn, "graph_title": title, "graph_note": ""}
    if not impact.everything:
        near = set(impact.changed) | {d for c in impact.changed for d in graph.predecessors(c)}
        drawn = _mermaid(graph, sorted(near), impact, names)
        if drawn:
            hidden = len(shown) - len(near)
            return {"mermaid": drawn, "graph_title": f"Graph of the changed services and their direct dependents "
                    f"({hidden} more affected services not drawn: too many to render)", "graph_note": ""}
    if stages:
        return {"mermaid": _stage_mermaid(stages, jobs), "graph_title": "Stages (too many services to draw one by one)",
                "graph_note": ""}
    return {"mermaid": None, "graph_title": "", "graph_note": f"The graph of {len(shown)} services is too large to draw."}


def render_impact(
    impact: Impact,
    graph: Graph,
    names: Mapping[str, str],
    *,
    jobs: Sequence[_Job] | None = None,
    base: str | None = None,
    head: str | None = None,
    merge_base: str | None = None,
    stages_note: str = "",
    budget: int = SUMMARY_LIMIT,
) -> str:
    """The Markdown report, at most ``budget`` bytes of UTF-8."""
    run = set(impact.affected) | set(impact.build_only)
    build = set(impact.build_only)
    stages = [
        {"id": cell(job.id), "runs": sum(p in run for p in job.services), "build": sum(p in build for p in job.services),
         "total": len(job.services)}
        for job in jobs or ()
    ]
    effects = [e for e, _ in impact.effects.values()]
    kinds: tuple[tuple[FileEffect, str], ...] = (("member", "in services"), ("lockfile", "in lockfiles"), ("global", "global"),
             ("ignored", "ignored"), ("unowned", "outside any service"))
    breakdown = ", ".join(f"{effects.count(k)} {label}" for k, label in kinds if effects.count(k))
    if base:
        where = f"merge-base <code>{cell(merge_base[:12])}</code> of " if merge_base else ""
        span = f"from {where}<code>{cell(base)}</code> to <code>{cell(head or 'the working tree')}</code>"
    else:
        span = ""
    changed = set(impact.changed)
    ordered = sorted(impact.affected, key=lambda p: (p not in changed, names.get(p, p), p))
    ordered += sorted(impact.build_only, key=lambda p: (names.get(p, p), p))
    rows = [{"name": cell(names.get(p, p)), "path": cell(p), "why": _why(impact, p, names)} for p in ordered]
    values: dict[str, Any] = {
        "affected_count": len(impact.affected),
        "total": len(graph),
        "changed_count": sum(p in changed for p in impact.affected),
        "dependent_count": sum(p not in changed for p in impact.affected),
        "build_count": len(impact.build_only),
        "file_count": len(impact.files),
        "file_breakdown": breakdown,
        "range": span,
        "everything": cell(impact.everything or ""),
        "stages": stages,
        "stages_note": cell(stages_note),
        **_graph(impact, graph, names, stages, jobs or ()),
    }
    return _fit(values, rows, budget)


def _fit(values: dict[str, Any], rows: list[dict[str, str]], budget: int) -> str:
    """Render with as many table rows as fit in ``budget`` (then without the graph, if even that is too much)."""
    template = _template()

    def render(count: int) -> str:
        return template.render(**values, rows=rows[:count], hidden_rows=len(rows) - count)

    text = render(len(rows))
    if len(text.encode("utf-8")) <= budget:
        return text
    low, high = 0, len(rows)  # the largest row count that fits, by bisection: the same answer every time
    while low < high:
        mid = (low + high + 1) // 2
        if len(render(mid).encode("utf-8")) <= budget:
            low = mid
        else:
            high = mid - 1
    text = render(low)
    if len(text.encode("utf-8")) > budget:
        values = {**values, "mermaid": None, "graph_note": "", "stages": []}
        text = render(0)
    if len(text.encode("utf-8")) > budget:
        raise ReportDoesNotFit(f"the impact report needs more than the {budget} bytes left in the summary")
    return text
