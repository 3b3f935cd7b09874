"""Generating the workflow of a long dependency chain stays linear: in what it writes, and in the work it does.

A chain of N members is the worst shape for the stage plan (N stages, each a job). The workflow's content
must grow as N does (no job carrying a list of every job before it), and so must the work of building it.
Work is counted, not timed: the number of Python lines run (cigen's and the YAML library's), which is
deterministic and shows a loop inside a loop however fast the machine is.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from ruamel.yaml.comments import CommentedMap

from cigen.app.generate import build_model
from cigen.config.root import Config
from cigen.model import Workspace
from cigen.render.comments import carry, layout
from cigen.render.ownership import OWNED_JOB, _keep
from cigen.render.workflow import render_workflow
from testing.workspace_builder import workspace


def chain(root: Path, members: int) -> Workspace:
    """p00000 <- p00001 <- ... : each member depends on the one before it."""
    spec = {f"p{i:05}": [f"p{i - 1:05}"] if i else [] for i in range(members)}
    return dataclasses.replace(workspace(spec), root=root)


def python_lines(work: Callable[[], object]) -> int:
    """How many lines of Python ``work`` runs."""
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        nonlocal count
        count += event == "line"
        return trace

    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def nodes(value: object) -> int:
    """The values in a YAML document: every mapping, sequence and scalar, and every line of a block scalar."""
    if isinstance(value, dict):
        return 1 + sum(nodes(k) + nodes(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(nodes(v) for v in value)
    return 1 + str(value).count("\n")


def test_the_workflow_of_a_chain_grows_linearly_with_its_length(tmp_path: Path) -> None:
    config = Config()
    sizes = {}
    for members in (500, 1000):
        doc = render_workflow(build_model(chain(tmp_path, members), config))
        needs = sum(len(job.get("needs", [])) for job in doc["jobs"].values())
        sizes[members] = (len(doc["jobs"]), needs, nodes(doc))
    (jobs, needs, total), (jobs2, needs2, total2) = sizes[500], sizes[1000]
    assert (jobs, jobs2) == (504, 1004)  # plan, the head start, a stage per member, the timings, the gate
    # a stage needs plan and the stage before it; the gate and the timings need every stage
    assert needs2 - needs == 2 * 500 + 500 + 500
    assert 1.99 < total2 / total < 2.01, sizes


def test_building_the_workflow_of_a_chain_is_linear_work_with_a_concurrency_limit(tmp_path: Path) -> None:
    config = Config.model_validate({"plan": {"concurrency": 4}})  # each job's share of the limit is worked out
    small = python_lines(lambda: render_workflow(build_model(chain(tmp_path, 150), config)))
    large = python_lines(lambda: render_workflow(build_model(chain(tmp_path, 300), config)))
    assert 1.9 < large / small < 2.15, (small, large)


@pytest.mark.parametrize("where", ["first", "last"])
def test_keeping_a_persons_job_among_a_chains_jobs_is_linear_work(where: str) -> None:
    def keep(members: int) -> int:
        ids = [f"stage-{i}" for i in range(1, members + 1)]
        fresh = CommentedMap((job, CommentedMap()) for job in ids)
        mine = ["mine", *ids] if where == "first" else [*ids, "mine"]
        source = CommentedMap((job, CommentedMap()) for job in mine)
        work = python_lines(lambda: _keep(fresh, source, lambda key: OWNED_JOB.fullmatch(key)))
        assert list(fresh) == mine
        return work

    small, large = keep(500), keep(1000)
    assert 1.9 < large / small < 2.15, (small, large)


def test_carrying_a_comment_on_every_job_of_a_chain_is_linear_work() -> None:
    def carried(members: int) -> int:
        jobs = "".join(f"  stage-{i}:  # {i}\n    # its steps\n    steps:\n      - run: |\n          # {i}\n"
                       for i in range(members))
        text = f"# header\njobs:\n{jobs}"
        bare = "# header\njobs:\n" + "".join(f"  stage-{i}:\n    steps:\n      - run: |\n          # {i}\n"
                                              for i in range(members))
        out: list[str] = []
        work = python_lines(lambda: out.append(carry(layout(text), layout(bare))[0]))
        assert out == [text]
        return work

    small, large = carried(200), carried(400)
    assert 1.9 < large / small < 2.15, (small, large)
