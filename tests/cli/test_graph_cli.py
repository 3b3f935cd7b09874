"""``cigen graph`` on small monorepos: in process, and as a real process where start-up or a closed pipe is the point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.cli import run_cigen, run_cigen_process
from testing.monorepos import CYCLIC, SHOP, write_monorepo


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_monorepo(tmp_path / "shop", SHOP)


@pytest.fixture
def cyclic(tmp_path: Path) -> Path:
    return write_monorepo(tmp_path / "cyclic", CYCLIC)


def graph_json(root: Path) -> dict:
    done = run_cigen("graph", "--format", "json", cwd=root)
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout)


def test_json_is_one_document_on_stdout_and_nothing_on_stderr(shop: Path) -> None:
    done = run_cigen("graph", "--format", "json", cwd=shop)
    assert done.exit_code == 0
    assert done.stderr == ""
    doc = json.loads(done.stdout)  # the whole of stdout is one document
    assert list(doc)[:1] == ["root"] and doc["root"] == "."


def test_json_lists_every_member_with_the_root_package_marked(shop: Path) -> None:
    services = {s["path"]: s for s in graph_json(shop)["services"]}
    assert sorted(services) == [".", "apps/web", "packages/ui", "packages/utils", "services/api", "services/worker"]
    assert services["."]["root"] is True and services["."]["name"] == "mono"
    assert [p for p, s in services.items() if s["root"]] == ["."]
    assert services["services/api"]["scripts"] == {"start": "node server.js"}
    assert services["services/api"]["startable"] is True
    assert set(services["apps/web"]) >= {
        "name", "path", "kind", "version", "package_manager", "scripts", "private", "root", "language", "startable",
    }


def test_json_edges_are_the_links_npm_makes_with_their_fields(shop: Path) -> None:
    edges = {(e["from_path"], e["to_path"]): e for e in graph_json(shop)["edges"]}
    assert sorted(edges) == [
        ("apps/web", "packages/ui"),
        ("apps/web", "packages/utils"),
        ("packages/ui", "packages/utils"),
    ]
    assert edges["apps/web", "packages/utils"] == {
        "from": "web", "to": "@x/utils", "from_path": "apps/web", "to_path": "packages/utils",
        "kinds": ["devDependencies"],
    }


def test_json_levels_put_dependencies_first(shop: Path) -> None:
    doc = graph_json(shop)
    assert doc["levels"] == [["@x/utils", "api", "mono", "worker"], ["@x/ui"], ["web"]]
    assert doc["cycles"] == []


def test_json_lists_a_dependency_that_names_a_member_but_does_not_link(shop: Path) -> None:
    unlinked = graph_json(shop)["unlinked"]
    assert [(u["from_path"], u["name"], u["spec"], u["field"]) for u in unlinked] == [
        ("services/api", "@x/utils", "^2.0.0", "dependencies"),
    ]
    assert unlinked[0]["reason"]


def test_output_is_byte_identical_across_runs(shop: Path) -> None:
    first = run_cigen("graph", "--format", "json", cwd=shop)
    assert first.stdout == run_cigen("graph", "--format", "json", cwd=shop).stdout


def test_root_option_reads_another_folder(shop: Path, tmp_path: Path) -> None:
    elsewhere = run_cigen("graph", "--format", "json", "--root", str(shop), cwd=tmp_path)
    assert elsewhere.exit_code == 0
    assert elsewhere.stdout == run_cigen("graph", "--format", "json", cwd=shop).stdout


def test_text_is_the_default_and_reads_at_a_glance(shop: Path) -> None:
    done = run_cigen("graph", cwd=shop)
    assert done.exit_code == 0
    assert done.stdout.startswith("npm workspace (package.json): 6 members, 3 edges, 3 levels\n")
    assert "  3  web\n" in done.stdout
    assert "  api       services/api     service  npm  1.0.0    start\n" in done.stdout


@pytest.mark.parametrize(("fmt", "first_line"), [("mermaid", "flowchart TD"), ("dot", "digraph cigen {")])
def test_diagram_formats(shop: Path, fmt: str, first_line: str) -> None:
    done = run_cigen("graph", "--format", fmt, cwd=shop)
    assert done.exit_code == 0
    assert done.stdout.splitlines()[0] == first_line
    assert done.stdout.count("\n") > 6


def test_a_cycle_is_reported_not_fatal(cyclic: Path) -> None:
    done = run_cigen("graph", "--format", "json", cwd=cyclic)
    assert done.exit_code == 0
    doc = json.loads(done.stdout)
    assert doc["cycles"] == [["a", "b"]]
    assert doc["levels"] == []
    assert done.stderr == (
        "cigen: warning: 1 dependency cycle (a -> b -> a  (packages/a, packages/b)): "
        "commands that need an order fail until each is broken\n"
    )


def test_text_names_the_cycle_and_the_edge_that_breaks_it(cyclic: Path) -> None:
    done = run_cigen("graph", "--format", "text", cwd=cyclic)
    assert "  a -> b -> a  (packages/a, packages/b)\n  removing b -> a breaks every cycle\n" in done.stdout


def test_an_acyclic_graph_is_drawn_without_importing_networkx(shop: Path) -> None:
    done = run_cigen_process("graph", "--format", "json", cwd=shop, python_flags=("-X", "importtime"))
    assert done.exit_code == 0
    assert "networkx" not in done.stderr


def test_without_cigen_yaml_the_graph_is_drawn_without_importing_pydantic(shop: Path) -> None:
    done = run_cigen_process("graph", "--format", "json", cwd=shop, python_flags=("-X", "importtime"))
    assert done.exit_code == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "cigen.config.file" in imported
    assert not {"cigen.config.loader", "cigen.config.root", "cigen.config.base"} & imported
    assert not any(m.startswith("pydantic") for m in imported)


@pytest.mark.parametrize("name", ["cigen.yaml", "cigen.yml"])
def test_a_cigen_yaml_shapes_the_graph(shop: Path, name: str) -> None:
    (shop / name).write_text(
        "workspaces: [packages/*, services/*]\n"
        "kinds:\n  worker: app\n"
        "services:\n  packages/utils:\n    start: node x.js\n"
    )
    services = {s["path"]: s for s in graph_json(shop)["services"]}
    assert sorted(services) == [".", "packages/ui", "packages/utils", "services/api", "services/worker"]
    assert services["services/worker"]["kind"] == "app"
    assert services["packages/utils"]["startable"] is True


def test_an_unknown_format_is_a_usage_error_without_traceback(shop: Path) -> None:
    done = run_cigen("graph", "--format", "yaml", cwd=shop)
    assert done.exit_code == 2
    assert "yaml" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_broken_manifest_is_one_located_line_and_exit_2(shop: Path) -> None:
    (shop / "packages" / "ui" / "package.json").write_text('{\n  "name": "@x/ui",\n  "version": 1.0.0\n}\n')
    done = run_cigen("graph", "--format", "json", cwd=shop)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "packages/ui/package.json:3:" in done.stderr and "Traceback" not in done.stderr


def test_a_reader_that_went_away_gets_no_traceback(tmp_path: Path) -> None:
    write_monorepo(tmp_path, SHOP)
    # `cigen graph | head` once head has exited: the pipe has no reader left.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cigen", "graph", "--format", "json"],
            cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60,
        )
    finally:
        os.close(write_end)

    assert result.returncode == 141
    assert result.stderr == ""
