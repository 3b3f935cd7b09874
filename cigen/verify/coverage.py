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


def runtime_edges(specs: Mapping[str, ServiceSpec], depends_on: Mapping[str, list[str]],
                  url_refs: Mapping[str, list[str]] | None = None) -> list[Edge]:
    """The edges between ``specs``, each with how cigen knows it; ``depends_on`` as cigen.yaml writes it,
    ``url_refs`` the services each one refers to as ``${url:NAME}``."""
    found: dict[tuple[str, str], set[str]] = {}
    for name, spec in specs.items():
        written = set(depends_on.get(name, ()))
        referred = set((url_refs or {}).get(name, ()))
        for dependency in spec.depends_on:
            if dependency in written or dependency not in referred:  # a reference is a depends_on too
                found.setdefault((name, dependency), set()).add("depends_on" if dependency in written else "package")
        for dependency in referred:
            if dependency in specs and dependency != name:
                found.setdefault((name, dependency), set()).add("url")
    return [Edge(dependent, dependency, tuple(sorted(via))) for (dependent, dependency), via in sorted(found.items())]


def coverage(edges: list[Edge], checks: Mapping[str, Check]) -> tuple[EdgeCoverage, ...]:
    involved = {name: set(services_of(check)) for name, check in checks.items()}
    return tuple(
        EdgeCoverage(edge, tuple(sorted(name for name, services in involved.items()
                                        if {edge.dependent, edge.dependency} <= services)))
        for edge in edges
    )
