"""The Markdown impact report: what it says, how it escapes, and that it always fits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cigen.graph.graph import display_names
from cigen.impact.affected import compute_impact
from cigen.render.impact import MERMAID_MAX_EDGES, render_impact
from tests.impact.test_affected import CHAIN, graph, member, workspace


@dataclass
class Job:
    id: str
    services: tuple[str, ...]
    needs: tuple[str, ...] = ()


JOBS = [
    Job("stage-1", ("apps/docs-site", "packages/core", "packages/ui", "packages/ui/icons")),
    Job("stage-2", ("packages/util", "services/worker"), ("stage-1",)),
    Job("stage-3", ("services/api",), ("stage-2",)),
    Job("stage-4", ("apps/web",), ("stage-3",)),
]


def report(files, ws=CHAIN, jobs=JOBS, **kwargs):
    g = graph(ws)
    budget = kwargs.pop("budget", 1024 * 1024)
    impact = compute_impact(files, ws, g, **kwargs)
    return render_impact(impact, g, display_names(ws.members), jobs=jobs, base="main", head="HEAD",
                         merge_base="0123456789abcdef", budget=budget)


def mermaid_block(text: str) -> str:
    return re.search(r"```mermaid\n(.*?)\n```", text, re.S).group(1)


def test_the_headline_counts_affected_changed_and_dependents():
    text = report(["packages/util/x.ts", "README.md"])
    assert "**3 of 8 services affected**: 1 changed, 2 through their dependencies." in text
    assert "2 files changed from merge-base <code>0123456789ab</code> of <code>main</code> to <code>HEAD</code>" in text
    assert "(1 in services, 1 ignored)" in text


def test_each_affected_service_has_its_reason_chain_from_file_to_dependents():
    text = report(["packages/core/index.ts"])
    assert ("| <code>web</code> | <code>apps/web</code> | <code>packages/core/index.ts</code> → <code>core</code> → "
            "<code>util</code> → <code>api</code> → <code>web</code> |") in text


def test_changed_services_are_listed_before_their_dependents():
    rows = [line for line in report(["packages/util/x.ts"]).splitlines() if line.startswith("| <code>")]
    services = [row for row in rows if "packages/" in row or "services/" in row or "apps/" in row]
    assert "util" in services[0]


def test_the_stage_table_says_how_many_services_of_each_job_run():
    text = report(["packages/util/x.ts"])
    assert "| <code>stage-1</code> | 0 | 4 |" in text
    assert "| <code>stage-3</code> | 1 | 1 |" in text


def test_build_only_services_are_counted_and_styled_apart():
    text = report(["services/api/x.js"], build_dependencies=True)
    assert "; 2 more built for them." in text
    assert "| <code>stage-1</code> | 1 (1 build only) | 4 |" in text
    assert re.search(r"class n\d+(,n\d+)* build", mermaid_block(text))
    assert "| <code>core</code> | <code>packages/core</code> | build only, needed by <code>api</code> → <code>util</code> → <code>core</code> |" in text


def test_the_graph_draws_changed_and_affected_services_in_different_classes():
    block = mermaid_block(report(["packages/core/a.ts"]))
    ids = dict(re.findall(r'(n\d+)\["([^"]+)"\]', block))
    by_name = {v: k for k, v in ids.items()}
    assert f"class {by_name['core']} changed" in block
    affected_line = next(line for line in block.splitlines() if line.strip().endswith(" affected"))
    assert by_name["web"] in affected_line and by_name["core"] not in affected_line
    assert f"{by_name['core']} --> {by_name['util']}" in block  # arrows point to the dependents


def test_the_graph_is_folded_in_details():
    text = report(["packages/core/a.ts"])
    assert text.index("<details><summary>") < text.index("```mermaid") < text.index("</details>")


def test_names_are_escaped_for_tables_html_and_mermaid():
    ws = workspace([member("packages/x", 'evil | <b>"name"</b> `tick` #1')], [])
    text = report(["packages/x/a.js"], ws=ws, jobs=[Job("stage-1", ("packages/x",))])
    row = next(line for line in text.splitlines() if "packages/x</code>" in line)
    assert row.count(" | ") == 2 and "<b>" not in row
    assert "&lt;b&gt;" in row and "&#124;" in row and "&#96;tick&#96;" in row
    block = mermaid_block(text)
    assert '<b>' not in block and 'evil | #lt;b#gt;#quot;name#quot;#lt;/b#gt; `tick` #35;1' in block


def test_everything_running_is_said_up_front_without_a_graph():
    text = report(["pnpm-workspace.yaml"])
    assert "> Everything runs: pnpm-workspace.yaml changed (a global file)" in text
    assert "**8 of 8 services affected**" in text


def test_no_affected_service_gives_a_short_report_without_tables():
    text = report(["README.md"])
    assert "**0 of 8 services affected**." in text
    assert "### Affected services" not in text and "```mermaid" not in text


def test_a_cycle_note_replaces_the_stage_table():
    g = graph(CHAIN)
    impact = compute_impact(["packages/core/a.ts"], CHAIN, g)
    text = render_impact(impact, g, display_names(CHAIN.members), stages_note="No stages: a -> b -> a")
    assert "No stages: a -&gt; b -&gt; a" in text and "### Stages" not in text


def _big(n: int):
    members = [member("packages/base", "base")] + [member(f"packages/p{i:05d}", f"p{i:05d}") for i in range(n)]
    edges = [(f"packages/p{i:05d}", "packages/base") for i in range(n)]
    ws = workspace(members, edges)
    return ws, graph(ws)


def test_a_graph_too_large_for_mermaid_draws_the_changed_services_and_their_direct_dependents():
    members = [member("base", "base")] + [member(f"mid/{i}", f"mid{i}") for i in range(10)]
    members += [member(f"leaf/{i}/{j}", f"leaf{i}-{j}") for i in range(10) for j in range(60)]
    edges = [(f"mid/{i}", "base") for i in range(10)] + [(f"leaf/{i}/{j}", f"mid/{i}") for i in range(10) for j in range(60)]
    ws = workspace(members, edges)
    g = graph(ws)
    text = render_impact(compute_impact(["base/x.js"], ws, g), g, display_names(ws.members))
    assert "changed services and their direct dependents (600 more affected services not drawn" in text
    block = mermaid_block(text)
    assert block.count("-->") == 10 and "leaf" not in block


def test_past_that_the_graph_is_summarised_as_one_node_per_stage():
    ws, g = _big(MERMAID_MAX_EDGES + 10)
    jobs = [Job("stage-1", ("packages/base",)), Job("stage-2", tuple(sorted(set(g) - {"packages/base"})), ("stage-1",))]
    text = render_impact(compute_impact(["packages/base/x.js"], ws, g), g, display_names(ws.members), jobs=jobs)
    assert "<summary>Stages (too many services to draw one by one)</summary>" in text
    block = mermaid_block(text)
    assert 's0["stage-1: 1 of 1 run"]' in block and 's1["stage-2: 510 of 510 run"]' in block
    assert "s0 --> s1" in block


def test_a_small_change_in_a_large_graph_is_drawn_in_full():
    ws, g = _big(MERMAID_MAX_EDGES + 10)
    block = mermaid_block(render_impact(compute_impact(["packages/p00001/x.js"], ws, g), g, display_names(ws.members)))
    assert block.count('["') == 1


def test_the_report_always_fits_the_budget_cutting_rows_deterministically():
    ws, g = _big(3000)
    impact = compute_impact(["packages/base/x.js"], ws, g)
    budget = 60_000
    first = render_impact(impact, g, display_names(ws.members), budget=budget)
    second = render_impact(impact, g, display_names(ws.members), budget=budget)
    assert first == second
    assert len(first.encode("utf-8")) <= budget
    assert re.search(r"… and \d+ more \(`cigen affected --format json` lists every one\)\.", first)


def test_a_large_affected_set_stays_under_the_step_summary_limit():
    ws, g = _big(20_000)
    text = render_impact(compute_impact(["packages/base/x.js"], ws, g), g, display_names(ws.members))
    assert len(text.encode("utf-8")) <= 1024 * 1024


def test_the_graph_is_not_modified_by_rendering():
    ws, g = _big(5)
    before = {n: list(g.successors(n)) for n in g}
    render_impact(compute_impact(["packages/base/x.js"], ws, g), g, display_names(ws.members))
    assert {n: list(g.successors(n)) for n in g} == before
