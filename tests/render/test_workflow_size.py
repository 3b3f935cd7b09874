"""At 20,000 members every generated file stays far under GitHub's 500 KB limit on a workflow file.

The workflow holds no per-service data (the plan job hands each leg its
services) and the leg's steps live once, in the leg action: the files grow
with the stages, not the members. The monorepo is layered as real ones are
(and as ../shared/tools/synth_monorepo.py makes them): libraries over eight
layers, each depending on one of the layer below and a few lower ones.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from cigen.render.limits import WORKFLOW_FILE_LIMIT
from cigen.app.generate import build_model, generate_leg_action
from cigen.config.root import Config
from cigen.render.ownership import dump
from cigen.render.workflow import render_workflow
from testing.workspace_builder import workspace

MEMBERS = 20_000
LAYERS = 8


def layered(members: int, layers: int, seed: int = 12) -> dict[str, list[str]]:
    rng = random.Random(seed)
    by_layer: list[list[str]] = [[] for _ in range(layers)]
    spec: dict[str, list[str]] = {}
    for i in range(members):
        layer = i * layers // members
        name = f"p{i:05}"
        deps = []
        if layer:
            deps.append(rng.choice(by_layer[layer - 1]))
            lower = [n for lay in by_layer[:layer] for n in rng.sample(lay, min(2, len(lay)))]
            deps += rng.sample(lower, min(2, len(lower)))
        spec[name] = sorted(set(deps))
        by_layer[layer].append(name)
    return spec


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("big")
    ws = dataclasses.replace(workspace(layered(MEMBERS, LAYERS)), root=root)
    config = Config()
    model = build_model(ws, config)
    return {
        "workflow": dump(render_workflow(model)),
        "leg action": generate_leg_action(config, model, Path(root)).text,
    }


def test_every_generated_file_is_under_500_kb_at_20000_members(files: dict[str, str]) -> None:
    sizes = {name: len(text.encode()) for name, text in files.items()}
    assert sizes["workflow"] < WORKFLOW_FILE_LIMIT / 3, sizes  # 140 KB: 80 jobs of a few lines each
    assert sizes["leg action"] < 10_000, sizes


def test_the_workflow_grows_with_its_stages_not_its_members(files: dict[str, str]) -> None:
    workflow = files["workflow"]
    # 2,500 members a layer: each stage is split into 10 jobs of at most 256 legs (GitHub's matrix limit).
    assert workflow.count("\n  stage-") == 1 + LAYERS * 10  # and the head-start job
    assert "p19999" not in workflow and "p00000" not in workflow
