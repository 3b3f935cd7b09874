"""The dependency graph: its shape, stable order, levels, cycles and the edges that break them."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from cigen.graph import feedback_arcs
from cigen.errors import EXIT_FAILED, CycleError
from cigen.graph.core import cycles, levels, require_acyclic, topological_order
from cigen.graph.graph import Graph, build_graph
from cigen.model import Edge, Workspace
from testing.workspace_builder import member, workspace

SHOP = {"web": ["ui", "utils"], "api": ["db"], "ui": ["utils"], "db": ["utils"], "utils": [], "docs": []}


def names(g: Graph, paths: list[str]) -> list[str]:
    return [g.member(p).label for p in paths]


def as_networkx(g: Graph) -> nx.DiGraph:
    """An independent oracle for the cycle checks."""
    h = nx.DiGraph()
    h.add_nodes_from(g)
    h.add_edges_from(g.edges())
    return h


# -- shape -----------------------------------------------------------------------------------


def test_nodes_are_member_paths_carrying_their_member() -> None:
    ws = workspace(SHOP)
    g = build_graph(ws)
    assert sorted(g) == sorted(m.path for m in ws.members)
    assert g.member("packages/web") == ws.member("packages/web")


def test_edges_point_from_dependent_to_dependency_with_their_fields() -> None:
    g = build_graph(workspace({"web": {"ui": ["dependencies", "devDependencies"]}, "ui": []}))
    assert list(g.edges()) == [("packages/web", "packages/ui")]
    assert g.kinds("packages/web", "packages/ui") == ("dependencies", "devDependencies")


def test_root_package_and_its_edges_are_left_out_by_default() -> None:
    g = build_graph(workspace(SHOP, root=True, root_deps=("web",)))
    assert "." not in g
    assert all("." not in edge for edge in g.edges())


def test_root_package_is_a_node_with_include_root() -> None:
    g = build_graph(workspace(SHOP, root=True, root_deps=("web",)), include_root=True)
    assert g.member(".").is_root
    assert g.has_edge(".", "packages/web")


# -- order -----------------------------------------------------------------------------------


def test_topological_order_puts_dependencies_first() -> None:
    g = build_graph(workspace(SHOP))
    order = topological_order(g)
    for source, target in g.edges():
        assert order.index(target) < order.index(source)


def test_topological_order_breaks_ties_by_name_then_path() -> None:
    g = build_graph(workspace(SHOP))
    assert names(g, topological_order(g)) == ["docs", "utils", "db", "api", "ui", "web"]


def test_topological_order_sorts_by_label_duplicates_by_path_and_unnamed_members_by_their_path() -> None:
    g = build_graph(workspace({"b/x:dup": [], "a/x:dup": [], "c/unnamed:": [], "z:aaa": []}))
    assert topological_order(g) == ["z", "c/unnamed", "a/x", "b/x"]


def test_topological_order_does_not_depend_on_insertion_order() -> None:
    ws = workspace(SHOP)
    reversed_ws = Workspace(ws.root, ws.definition, ws.package_manager, ws.members[::-1], ws.edges[::-1])
    assert topological_order(build_graph(ws)) == topological_order(build_graph(reversed_ws))


def test_levels_are_topological_generations_dependencies_first_each_sorted() -> None:
    g = build_graph(workspace(SHOP))
    assert [names(g, level) for level in levels(g)] == [["docs", "utils"], ["db", "ui"], ["api", "web"]]


def test_a_member_sits_one_level_above_its_deepest_dependency() -> None:
    # app depends on base directly and on top through a chain: it waits for the chain.
    g = build_graph(workspace({"app": ["base", "top"], "top": ["mid"], "mid": ["base"], "base": []}))
    assert [names(g, level) for level in levels(g)] == [["base"], ["mid"], ["top"], ["app"]]


def test_levels_of_an_empty_graph_are_empty() -> None:
    assert levels(build_graph(workspace({}))) == []


@pytest.mark.parametrize("ordering", [topological_order, levels])
def test_ordering_a_cyclic_graph_raises_a_cycle_error_with_exit_code_1(ordering) -> None:
    g = build_graph(workspace({"a": ["b"], "b": ["a"], "c": []}))
    with pytest.raises(CycleError, match=r"dependency cycle: a -> b -> a") as err:
        ordering(g)
    assert err.value.exit_code == EXIT_FAILED


# -- reach -----------------------------------------------------------------------------------


def test_dependents_are_transitive_and_exclude_the_start() -> None:
    g = build_graph(workspace(SHOP))
    assert g.dependents(["packages/utils"]) == {"packages/ui", "packages/web", "packages/db", "packages/api"}
    assert g.dependents(["packages/utils"], transitive=False) == {"packages/ui", "packages/web", "packages/db"}


def test_dependencies_are_transitive_and_exclude_the_start() -> None:
    g = build_graph(workspace(SHOP))
    assert g.dependencies(["packages/api"]) == {"packages/db", "packages/utils"}
    assert g.dependencies(["packages/api"], transitive=False) == {"packages/db"}


def test_a_start_that_depends_on_another_start_is_included() -> None:
    g = build_graph(workspace(SHOP))
    assert "packages/ui" in g.dependents(["packages/utils", "packages/ui"])


def test_reach_of_an_unknown_path_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="packages/nope"):
        build_graph(workspace(SHOP)).dependents(["packages/nope"])


# -- cycles ----------------------------------------------------------------------------------


def test_an_acyclic_graph_has_no_cycles_and_passes_require_acyclic() -> None:
    g = build_graph(workspace(SHOP))
    assert cycles(g) == []
    require_acyclic(g)


def test_one_cycle_is_reported_per_strongly_connected_component() -> None:
    g = build_graph(workspace({
        "a": ["b"], "b": ["c", "a"], "c": ["a"],  # one component holding two cycles
        "x": ["y"], "y": ["x"],
        "free": ["a"],
    }))
    assert [names(g, c) for c in cycles(g)] == [["a", "b"], ["x", "y"]]


def test_a_cycle_starts_at_its_smallest_member_and_is_the_shortest_through_it() -> None:
    g = build_graph(workspace({"d": ["a"], "a": ["b", "c"], "b": ["d"], "c": ["d"], "e": []}))
    assert names(g, cycles(g)[0]) == ["a", "b", "d"]


def test_a_self_dependency_is_a_cycle() -> None:
    g = build_graph(workspace({"loop": ["loop"], "ok": []}))
    assert cycles(g) == [["packages/loop"]]
    with pytest.raises(CycleError, match=r"dependency cycle: loop -> loop; removing loop -> loop breaks it"):
        require_acyclic(g)


def test_the_cycle_error_names_the_cycle_the_edge_to_remove_and_the_manifest_field() -> None:
    g = build_graph(workspace({"a": ["b"], "b": ["c"], "c": {"a": ["devDependencies"]}}))
    with pytest.raises(CycleError) as err:
        require_acyclic(g)
    assert str(err.value) == (
        "dependency cycle: a -> b -> c -> a; removing c -> a breaks it "
        "(fix: drop a from the devDependencies of packages/c/package.json)"
    )


def test_the_edge_on_every_cycle_is_the_one_to_remove() -> None:
    # a -> hub is on both cycles; removing it alone breaks them.
    g = build_graph(workspace({"a": ["hub"], "hub": ["b", "c"], "b": ["a"], "c": ["a"]}))
    with pytest.raises(CycleError, match=r"; removing a -> hub breaks it \("):
        require_acyclic(g)


def test_two_cycles_in_separate_components_are_both_counted_and_both_cut() -> None:
    g = build_graph(workspace({"a": ["b"], "b": ["a"], "x": ["y"], "y": ["x"]}))
    with pytest.raises(CycleError) as err:
        require_acyclic(g)
    message = str(err.value)
    assert message.startswith("dependency cycle: a -> b -> a (and 1 more;")
    assert "removing a -> b, x -> y breaks them all" in message


def test_duplicate_names_in_a_cycle_message_carry_their_paths() -> None:
    g = build_graph(workspace({"one/p:pkg": ["two/p"], "two/p:pkg": ["one/p"]}))
    with pytest.raises(CycleError, match=r"pkg \(one/p\) -> pkg \(two/p\) -> pkg \(one/p\)"):
        require_acyclic(g)


def test_a_development_edge_is_preferred_among_equally_small_fixes() -> None:
    g = build_graph(workspace({"a": ["b"], "b": {"a": ["devDependencies"]}}))
    with pytest.raises(CycleError, match=r"removing b -> a breaks it"):
        require_acyclic(g)


def _brute_force_minimum(g: Graph) -> int:
    edges = sorted(g.edges())
    for size in range(len(edges) + 1):
        for cut in itertools.combinations(edges, size):
            h = as_networkx(g)
            h.remove_edges_from(cut)
            if nx.is_directed_acyclic_graph(h):
                return size
    raise AssertionError


def _random_graph(seed: int) -> Graph:
    rng = random.Random(seed)
    names_ = [f"n{i}" for i in range(rng.randint(3, 7))]
    spec = {n: {d: ["dependencies"] for d in names_ if d != n and rng.random() < 0.35} for n in names_}
    return build_graph(workspace(spec))


@pytest.mark.parametrize("seed", range(40))
def test_the_removal_set_is_a_smallest_one_on_random_graphs(seed: int) -> None:
    g = _random_graph(seed)
    components = [c for c in nx.strongly_connected_components(as_networkx(g)) if len(c) > 1]
    arcs, exact = feedback_arcs.minimum_feedback_arcs(g, [sorted(c) for c in components])
    h = as_networkx(g)
    h.remove_edges_from(arcs)
    assert nx.is_directed_acyclic_graph(h)
    assert exact
    assert len(arcs) == _brute_force_minimum(g)


def test_past_the_search_budget_a_minimal_set_is_given_and_the_message_says_so(monkeypatch) -> None:
    monkeypatch.setattr(feedback_arcs, "EXACT_SEARCH_BUDGET", 10)
    rng = random.Random(7)
    spec = {f"n{i:02}": {f"n{j:02}": ["dependencies"] for j in range(30) if j != i and rng.random() < 0.15}
            for i in range(30)}
    g = build_graph(workspace(spec))
    components = [sorted(c) for c in nx.strongly_connected_components(as_networkx(g)) if len(c) > 1]
    arcs, exact = feedback_arcs.minimum_feedback_arcs(g, components)
    assert not exact
    h = as_networkx(g)
    h.remove_edges_from(arcs)
    assert nx.is_directed_acyclic_graph(h)
    for arc in arcs:  # minimal: putting back any one edge closes a cycle again
        h.add_edge(*arc)
        assert not nx.is_directed_acyclic_graph(h)
        h.remove_edge(*arc)
    with pytest.raises(CycleError, match="a minimal set; the component is too large to prove it the smallest"):
        require_acyclic(g)


def test_cycle_report_is_identical_across_runs_and_insertion_orders() -> None:
    spec = {"a": ["b"], "b": ["c", "a"], "c": ["a"], "x": ["y"], "y": ["x"]}
    ws = workspace(spec)
    shuffled = Workspace(ws.root, ws.definition, ws.package_manager, ws.members[::-1], ws.edges[::-1])

    def report(w: Workspace) -> str:
        with pytest.raises(CycleError) as err:
            require_acyclic(build_graph(w))
        return str(err.value)

    assert report(ws) == report(shuffled)
    assert cycles(build_graph(ws)) == cycles(build_graph(shuffled))


def test_an_edge_to_a_member_missing_from_the_workspace_is_dropped() -> None:
    ws = Workspace(workspace({}).root, "package.json", "npm",
                   (member("packages/a", "a"),), (Edge("packages/a", "packages/gone", ("dependencies",)),))
    assert list(build_graph(ws).edges()) == []
