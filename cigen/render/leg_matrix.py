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
    folders of their unaffected dependencies this leg only builds (``--build-deps``)
``again``
    those of ``run`` and ``build`` that other legs run too: in a head-start leg,
    the dependencies it runs itself, first, rather than wait for their legs
    (:mod:`cigen.plan.head_start`); it never packs their outputs
``toolchains``
    the toolchain keys its services use, space-separated, with a space at
    each end (``contains(inputs.toolchains, ' npm ')`` matches whole keys)
``folders``
    ``[toolchain key, folder]`` pairs for toolchains without a shared folder
    (each service installs in its own)
``download``
    the artifacts of every leg its services depend on, directly or not, that it
    does not run again, as a download-artifact pattern (:func:`pattern`); empty
    when there are none

A leg packs the outputs of its own ``run`` and ``build`` services, each in the
folder :func:`artifact_name` names; the entry does not list those names, as
a run's outputs must fit in GitHub's 1 MB a job.

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


def artifact_name(path: str) -> str:
    """The folder a service's build outputs travel in, inside its leg's artifact: readable, safe for
    upload-artifact, and distinct for every path (a short hash of it), so that the leg itself and the
    integration job can name it from the path alone.

    ``packages/core`` -> ``cigen-packages-core-<8 hex digits>``.
    """
    slug = _UNSAFE.sub("-", "root" if path == "." else path.replace("/", "-")).strip("-.") or "member"
    return f"{SERVICE_PREFIX}{slug[:80]}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"


def pattern(legs: Iterable[str], jobs: Mapping[str, int]) -> str:
    """A download-artifact pattern (minimatch) matching exactly the artifacts of these legs (ids
    ``<job id>-<n>``; ``jobs``: each job's number of legs), written short: a job all of whose legs are
    wanted is ``<job id>-*``, others list their numbers (``stage-2-{1,4}``), so the pattern grows with
    the jobs rather than the legs."""
    wanted: dict[str, list[int]] = {}
    for leg in legs:
        job, _, n = leg.rpartition("-")
        wanted.setdefault(job, []).append(int(n))
    pieces = []
    for job, numbers in sorted(wanted.items()):
        numbers.sort()
        if len(numbers) == jobs[job] > 1:
            tail = "*"
        elif len(numbers) == 1:
            tail = str(numbers[0])
        else:  # minimatch reads {a} as the text "{a}": braces only around two or more
            tail = "{" + ",".join(map(str, numbers)) + "}"
        pieces.append(f"{LEG_ARTIFACT_PREFIX}{job}-{tail}")
    if len(pieces) < 2:
        return "".join(pieces)
    return "{" + ",".join(pieces) + "}"


def leg_entries(
    legs: Mapping[str, Sequence[Leg]],
    *,
    build_only: Iterable[str],
    names: Mapping[str, str],
    toolchains: Mapping[str, Toolchain],
    dependencies: Mapping[str, Sequence[str]],
) -> dict[str, list[dict[str, Any]]]:
    """Each job's entries. ``dependencies``: each service's direct ones among the planned services
    (empty where no outputs pass between jobs, as in parallel mode)."""
    building = set(build_only)
    leg_of = {path: leg.id for job_legs in legs.values() for leg in job_legs for path in leg.services}
    counts = {job: len(job_legs) for job, job_legs in legs.items()}
    entries: dict[str, list[dict[str, Any]]] = {}
    for job, job_legs in legs.items():
        entries[job] = []
        for leg in job_legs:
            present = (*leg.again, *leg.services)  # a head-start leg runs what it needs first
            used = sorted({toolchains[p].key for p in present})
            first = names.get(leg.services[0], leg.services[0])
            entries[job].append({
                "name": first if len(leg.services) == 1 else f"{first} +{len(leg.services) - 1}",
                "id": leg.id,
                "artifact": LEG_ARTIFACT_PREFIX + leg.id,
                "run": [p for p in present if p not in building],
                "build": [p for p in present if p in building],
                "again": list(leg.again),
                "toolchains": f" {' '.join(used)} ",
                "folders": [[toolchains[p].key, p] for p in present if toolchains[p].root is None],
                "download": pattern(_needed(leg, leg_of, dependencies), counts),
            })
    return entries


def _needed(leg: Leg, leg_of: Mapping[str, str], dependencies: Mapping[str, Sequence[str]]) -> set[str]:
    """The other legs that run a dependency of ``leg``'s services, directly or not, that it does not build."""
    seen: set[str] = set(leg.again)
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
