"""The plan job's outputs at scale: what a service costs of GitHub's 1 MB a job.

GitHub fails a job whose outputs pass 1 MB (counted in UTF-16), and the plan
job's outputs are every leg's entry, after the list of the affected services.
What they hold per service is its folder in its leg's entry and its name in
that list; per leg, a download pattern that grows with the jobs, not with the
legs it names. At 160 bytes a service a full run of 6,000 services fits (the
5,000-package bench monorepo's take 430 KB).
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from cigen.adapters.github_env import OUTPUT_LIMIT, outputs_size
from cigen.app.affected import Affected
from cigen.config.root import Config
from cigen.graph.graph import build_graph
from cigen.impact.affected import compute_impact
from cigen.impact.changes import ChangeSet
from testing.workspace_builder import workspace

LAYERS, WIDTH = 10, 200  # 2,000 services, each needing up to three of the two layers below


def layered(root: Path) -> Affected:
    rng = random.Random(7)
    spec: dict[str, list[str]] = {}
    for layer in range(LAYERS):
        below = [f"packages/l{lower}-{i:03}" for lower in range(layer) for i in range(WIDTH)]
        for i in range(WIDTH):
            spec[f"packages/l{layer}-{i:03}"] = rng.sample(below[-2 * WIDTH:], min(3, len(below)))
    ws = dataclasses.replace(workspace(spec), root=root)
    config = Config()
    graph = build_graph(ws)
    everything = "a manual run of everything"
    impact = compute_impact((), ws, graph, everything=everything, build_dependencies=True)
    return Affected(config, ws, graph, ChangeSet((), everything=everything), impact, True)


def test_a_full_run_costs_a_service_under_160_bytes_of_the_plan_jobs_outputs(tmp_path: Path) -> None:
    result = layered(tmp_path)
    values = result.github_outputs(result.workflow_jobs())
    entries = sum(int(values[f"{job.id}-count"]) for job in result.workflow_jobs())
    assert 0 < entries <= 20 * len(result.workflow_jobs())
    services = LAYERS * WIDTH
    assert outputs_size(values) < 160 * services < OUTPUT_LIMIT, outputs_size(values) / services
    assert "cigen-packages-" not in "".join(values.values())  # a leg names its outputs' folders itself
