"""The graph and the plan rendered as JSON, text, Mermaid and DOT."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from cigen.graph.graph import build_graph
from cigen.model import Unlinked
from cigen.plan.stages import Plan, compute_plan
from cigen.render.graph_formats import (
    GraphView,
    graph_document,
    graph_dot,
    graph_json,
    graph_mermaid,
    graph_text,
    graph_view,
    plan_json,
    plan_text,
)
from testing.workspace_builder import workspace

UNLINKED = Unlinked("apps/web", "ui", "^2.0.0", "dependencies", "ui is 1.0.0, outside ^2.0.0: npm installs it from the registry")


def shop() -> GraphView:
    ws = workspace(
        {
            "apps/web:web": {"ui": ["dependencies"], "utils": ["devDependencies"]},
            "ui": ["utils"],
            "utils": [],
            "services/api:api": ["utils"],
        },
        root=True,
        root_deps=("web",),
    )
    return graph_view(dataclasses.replace(ws, unlinked=(UNLINKED,)))


def cyclic() -> GraphView:
    return graph_view(workspace({"a": ["b"], "b": {"a": ["devDependencies"]}, "c": []}))


# -- graph JSON ------------------------------------------------------------------------------


def test_graph_json_is_one_document_with_the_contract_keys_in_order() -> None:
    doc = json.loads(graph_json(shop()))
    assert list(doc) == ["root", "definition", "package_manager", "services", "edges", "levels", "cycles", "unlinked"]
    assert doc["root"] == "."


def test_graph_json_lists_every_member_by_path_with_the_root_marked() -> None:
    doc = json.loads(graph_json(shop()))
    assert [s["path"] for s in doc["services"]] == [".", "apps/web", "packages/ui", "packages/utils", "services/api"]
    assert doc["services"][0] == {
        "name": "monorepo", "path": ".", "kind": "package", "version": "1.0.0", "package_manager": "npm",
        "scripts": {"build": "true"}, "private": False, "root": True, "language": "node", "startable": False,
    }
    assert [s["root"] for s in doc["services"]] == [True, False, False, False, False]


def test_graph_json_edges_carry_names_paths_and_fields() -> None:
    doc = json.loads(graph_json(shop()))
    assert {"from": "web", "to": "utils", "from_path": "apps/web", "to_path": "packages/utils",
            "kinds": ["devDependencies"]} in doc["edges"]
    assert [(e["from_path"], e["to_path"]) for e in doc["edges"]] == sorted((e["from_path"], e["to_path"])
                                                                             for e in doc["edges"])


def test_graph_json_levels_list_names_dependencies_first() -> None:
    doc = json.loads(graph_json(shop()))
    assert doc["levels"] == [["utils"], ["api", "ui"], ["web"], ["monorepo"]]
    assert doc["cycles"] == []


def test_graph_json_reports_cycles_and_no_levels_when_cyclic() -> None:
    doc = json.loads(graph_json(cyclic()))
    assert doc["levels"] == []
    assert doc["cycles"] == [["a", "b"]]


def test_graph_json_lists_unlinked_dependencies_with_the_reason() -> None:
    doc = json.loads(graph_json(shop()))
    assert doc["unlinked"] == [{
        "from": "web", "from_path": "apps/web", "name": "ui", "spec": "^2.0.0", "field": "dependencies",
        "reason": UNLINKED.reason,
    }]


def test_graph_json_is_byte_identical_whatever_the_input_order() -> None:
    ws = shop().workspace
    shuffled = dataclasses.replace(ws, members=ws.members[::-1], edges=ws.edges[::-1])
    assert graph_json(graph_view(ws)) == graph_json(graph_view(shuffled))


def test_graph_json_is_the_same_without_the_c_json_accelerator(monkeypatch: pytest.MonkeyPatch) -> None:
    import json.encoder

    with_c = graph_json(shop()), graph_json(cyclic())
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    assert (graph_json(shop()), graph_json(cyclic())) == with_c


def test_graph_json_puts_one_member_per_line() -> None:
    text = graph_json(shop())
    assert text.endswith("}\n")
    assert sum(1 for line in text.splitlines() if line.startswith('    {"name": ')) == 5


def test_an_unnamed_member_has_a_null_name_and_its_path_as_label() -> None:
    ws = workspace({"tools/gen:": [], "a": ["tools/gen"]})
    doc = graph_document(graph_view(ws))
    assert doc["services"][1]["name"] is None
    assert doc["edges"][0]["to"] == "tools/gen"


# -- graph text ------------------------------------------------------------------------------


def test_graph_text_reads_at_a_glance() -> None:
    assert graph_text(shop()) == (
        "npm workspace (package.json): 5 members, 5 edges, 4 levels\n"
        "\n"
        "levels (dependencies first)\n"
        "  1  utils\n"
        "  2  api, ui\n"
        "  3  web\n"
        "  4  monorepo\n"
        "\n"
        "members\n"
        "  NAME      PATH            KIND     PM   VERSION\n"
        "  monorepo  .               package  npm  1.0.0    root\n"
        "  web       apps/web        app      npm  1.0.0\n"
        "  ui        packages/ui     package  npm  1.0.0\n"
        "  utils     packages/utils  package  npm  1.0.0\n"
        "  api       services/api    service  npm  1.0.0\n"
        "\n"
        "not linked (named a member, but the package manager installs something else)\n"
        f'  web -> ui (dependencies "^2.0.0"): {UNLINKED.reason}\n'
    )


def test_graph_text_shows_each_cycle_with_paths_and_the_edges_to_remove() -> None:
    text = graph_text(cyclic())
    assert text.startswith("npm workspace (package.json): 3 members, 2 edges, 1 cycle\n")
    assert "cycles (no order exists until each is broken)\n  a -> b -> a  (packages/a, packages/b)\n" in text
    assert "  removing b -> a breaks every cycle\n" in text
    assert "levels" not in text


# -- Mermaid and DOT -------------------------------------------------------------------------


def test_mermaid_draws_each_member_and_edge_dev_edges_dotted() -> None:
    text = graph_mermaid(shop())
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert '  m1["web"]' in lines
    assert "  m1 --> m2" in lines  # web -> ui (dependencies)
    assert "  m1 -.-> m3" in lines  # web -> utils (devDependencies)
    assert "  class m0 root" in lines
    assert not any(line.startswith("  linkStyle") for line in lines)


def test_mermaid_colours_the_edges_on_a_cycle_only() -> None:
    ws = workspace({"a": ["b"], "b": ["a"], "c": ["a"]})
    lines = graph_mermaid(graph_view(ws)).splitlines()
    # edges sorted: a->b (0), b->a (1), c->a (2, not on the cycle)
    assert "  linkStyle 0,1 stroke:#d00,stroke-width:2px" in lines


def test_the_graph_formats_never_import_networkx() -> None:
    # networkx is ~70 ms of import; the graph type and its algorithms are cigen's own.
    code = "import sys; import cigen.render.graph_formats, cigen.graph.core; assert 'networkx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert shop().cycles == [] and cyclic().cycles


def test_mermaid_escapes_quotes_in_labels() -> None:
    ws = workspace({'odd:say "hi"': []})
    assert '  m0["say #quot;hi#quot;"]' in graph_mermaid(graph_view(ws))


def test_dot_is_a_digraph_with_quoted_ids_styles_and_red_cycle_edges() -> None:
    assert graph_dot(shop()).splitlines()[:4] == [
        "digraph cigen {",
        '  node [fontname="Helvetica"];',
        '  "." [label="monorepo", shape=box, style="dashed"];',
        '  "apps/web" [label="web", shape=doubleoctagon];',
    ]
    cyclic_dot = graph_dot(cyclic())
    assert '  "packages/b" -> "packages/a" [tooltip="devDependencies", style="dashed", color="red"];' in cyclic_dot


def test_dot_escapes_quotes_and_backslashes() -> None:
    ws = workspace({'odd:a"b\\c': []})
    assert r'[label="a\"b\\c", shape=box]' in graph_dot(graph_view(ws))


# -- plan ------------------------------------------------------------------------------------


def test_plan_json_has_mode_concurrency_fail_fast_stages_and_jobs() -> None:
    g = build_graph(shop().workspace)
    doc = json.loads(plan_json(compute_plan(g, concurrency=2), g))
    assert list(doc) == ["mode", "concurrency", "fail_fast", "services", "stages", "jobs", "ignored", "units"]
    assert (doc["ignored"], doc["units"]) == ([], [])  # nothing left out of the order
    assert (doc["mode"], doc["concurrency"], doc["fail_fast"]) == ("auto", 2, False)
    assert doc["stages"][1] == {
        "id": "stage-2", "services": ["api", "ui"], "paths": ["services/api", "packages/ui"], "needs": ["stage-1"],
    }
    assert doc["jobs"][2] == {
        "id": "stage-3", "stage": "stage-3", "services": ["web"], "paths": ["apps/web"], "needs": ["stage-1", "stage-2"],
    }


def test_plan_json_splits_an_oversized_stage_into_jobs() -> None:
    ws = workspace({f"p{i:03}": [] for i in range(300)})
    g = build_graph(ws)
    doc = json.loads(plan_json(compute_plan(g, mode="parallel"), g))
    assert [(j["id"], len(j["paths"])) for j in doc["jobs"]] == [("stage-1-part-1", 150), ("stage-1-part-2", 150)]


def test_plan_text_reads_at_a_glance() -> None:
    g = build_graph(shop().workspace)
    assert plan_text(compute_plan(g), g) == (
        "auto plan: 3 stages, 4 services, concurrency no limit\n"
        "on failure: a stage runs to the end; stages that need a failed one are skipped\n"
        "\n"
        "  STAGE    NEEDS             SERVICES\n"
        "  stage-1  -                 utils\n"
        "  stage-2  stage-1           api, ui\n"
        "  stage-3  stage-1, stage-2  web\n"
    )


def test_plan_text_of_an_empty_plan_is_its_summary() -> None:
    g = build_graph(workspace({}))
    assert plan_text(Plan("cascade", (), 1, True, ()), g) == (
        "cascade plan: 0 stages, 0 services, concurrency 1\non failure: the first failure stops everything after it\n"
    )


def test_plan_text_names_a_stage_per_service_in_cascade() -> None:
    g = build_graph(shop().workspace)
    text = plan_text(compute_plan(g, mode="cascade"), g)
    assert "  stage-4  stage-3  web\n" in text
