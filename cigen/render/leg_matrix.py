"""The matrix entries of a run's legs: what the plan job hands each leg (the ``<job id>`` outputs).

One entry per leg (:class:`cigen.plan.legs.Leg`), a JSON object that the leg
action (:mod:`cigen.render.leg_action`) reads, and a contract between the two:

``name``
    what the Actions tab shows: the first service's name, ``+N`` for the others
``id``
    the leg's id, ``<job id>-<n>``
``artifact``
    the artifact its build outputs go to, ``cigen-leg-<id>``
``run``
    folders of the services the change affects: every task runs
``build``
    folders this leg only builds, before ``run``: the unaffected dependencies of
    its services (``--build-deps``), and in a head-start leg the dependencies it
    builds itself instead of waiting for their legs (:mod:`cigen.plan.head_start`)
``toolchains``
    the toolchain keys its services use, space-separated, with a space at
    each end (``contains(inputs.toolchains, ' npm ')`` matches whole keys)
``folders``
    ``[toolchain key, folder]`` pairs for toolchains without a shared folder
    (each service installs in its own)
``outputs``
    ``[service artifact folder, service folder]`` pairs: what it packs (its own
    services', never what it only builds for itself)
``download``
    the artifacts of every leg its services depend on, directly or not, as
    a download-artifact pattern (``{a,b}``); empty when there are none

Everything a leg needs that depends on the run is here, so the workflow file
holds no per-service data: it grows with the stages, not the members.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cigen.plan.legs import Leg
from cigen.plan.toolchains import Toolchain
from cigen.render.outputs import LEG_ARTIFACT_PREFIX

SERVICE_PREFIX = "cigen-"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def artifact_names(paths: Iterable[str]) -> dict[str, str]:
    """A distinct folder name per member path, readable and safe for upload-artifact.

    ``packages/core`` -> ``cigen-packages-core``. Names that would collide
    (``a/b`` and ``a-b``), or be too long, get a short hash of the path.
    """
    slugs = {}
    for path in paths:
        slug = _UNSAFE.sub("-", "root" if path == "." else path.replace("/", "-")).strip("-.") or "member"
        slugs[path] = slug[:80]
    counts: dict[str, int] = {}
    for slug in slugs.values():
        counts[slug] = counts.get(slug, 0) + 1
    names = {}
    for path, slug in slugs.items():
        if counts[slug] > 1 or len(slug) == 80:
            slug = f"{slug}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"
        names[path] = SERVICE_PREFIX + slug
    return names


def pattern(names: Sequence[str]) -> str:
    """A download-artifact pattern (minimatch) matching exactly these artifact names."""
    if not names:
        return ""
    return names[0] if len(names) == 1 else "{" + ",".join(names) + "}"


def leg_entries(
    legs: Mapping[str, Sequence[Leg]],
    *,
    build_only: Iterable[str],
    names: Mapping[str, str],
    toolchains: Mapping[str, Toolchain],
    artifacts: Mapping[str, str],
    dependencies: Mapping[str, Sequence[str]],
) -> dict[str, list[dict[str, Any]]]:
    """Each job's entries. ``dependencies``: each service's direct ones among the planned services
    (empty where no outputs pass between jobs, as in parallel mode)."""
    building = set(build_only)
    leg_of = {path: leg.id for job_legs in legs.values() for leg in job_legs for path in leg.services}
    entries: dict[str, list[dict[str, Any]]] = {}
    for job, job_legs in legs.items():
        entries[job] = []
        for leg in job_legs:
            present = (*leg.builds, *leg.services)  # a head-start leg builds what it needs first
            used = sorted({toolchains[p].key for p in present})
            first = names.get(leg.services[0], leg.services[0])
            entries[job].append({
                "name": first if len(leg.services) == 1 else f"{first} +{len(leg.services) - 1}",
                "id": leg.id,
                "artifact": LEG_ARTIFACT_PREFIX + leg.id,
                "run": [p for p in leg.services if p not in building],
                "build": [*leg.builds, *(p for p in leg.services if p in building)],
                "toolchains": f" {' '.join(used)} ",
                "folders": [[toolchains[p].key, p] for p in present if toolchains[p].root is None],
                "outputs": [[artifacts[p], p] for p in leg.services],
                "download": pattern(sorted(LEG_ARTIFACT_PREFIX + other for other in _needed(leg, leg_of, dependencies))),
            })
    return entries


def _needed(leg: Leg, leg_of: Mapping[str, str], dependencies: Mapping[str, Sequence[str]]) -> set[str]:
    """The other legs that run a dependency of ``leg``'s services, directly or not, that it does not build."""
    seen: set[str] = set(leg.builds)
    stack = [d for p in leg.services for d in dependencies.get(p, ())]
    found: set[str] = set()
    while stack:
        path = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        owner = leg_of.get(path)
        if owner is not None and owner != leg.id:
            found.add(owner)
        stack.extend(dependencies.get(path, ()))
    return found
