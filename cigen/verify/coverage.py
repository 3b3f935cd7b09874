"""Coverage: every runtime edge between services, and the checks that exercise it.

A runtime edge is a dependent calling a dependency: a ``depends_on`` of cigen.yaml, a runtime dependency in a
manifest between two services (what ``cigen up`` orders by), or a ``${url:NAME}`` in a service's environment.
A check covers the edge when it involves both ends: it sends requests to (or reads, or faults) each, or names
the one it reaches only through the other in its ``services:``.
"""

from __future__ import annotations

from collections.abc import Mapping

from cigen.config.checks import Check
from cigen.runtime.services import ServiceSpec
from cigen.verify.engine import services_of
from cigen.verify.model import Edge, EdgeCoverage


def runtime_edges(specs: Mapping[str, ServiceSpec], depends_on: Mapping[str, list[str]]) -> list[Edge]:
    """The edges between ``specs``, each with how cigen knows it; ``depends_on`` as cigen.yaml writes it."""
    found: dict[tuple[str, str], set[str]] = {}
    for name, spec in specs.items():
        written = set(depends_on.get(name, ()))
        for dependency in spec.depends_on:
            via = found.setdefault((name, dependency), set())
            if dependency in spec.refers_to:
                via.add("url")
            if dependency in written:
                via.add("depends_on")
            if not via:
                via.add("package")
    return [Edge(dependent, dependency, tuple(sorted(via))) for (dependent, dependency), via in sorted(found.items())]


def coverage(edges: list[Edge], checks: Mapping[str, Check]) -> tuple[EdgeCoverage, ...]:
    involved = {name: set(services_of(check)) for name, check in checks.items()}
    return tuple(
        EdgeCoverage(edge, tuple(sorted(name for name, services in involved.items()
                                        if {edge.dependent, edge.dependency} <= services)))
        for edge in edges
    )
