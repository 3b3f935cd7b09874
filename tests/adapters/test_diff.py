"""cigen.adapters.diff: unified diffs that are right, look like difflib's, and stay linear on a workflow of many
near-identical jobs (``cigen check`` of a stale 10,000-job workflow)."""

from __future__ import annotations

import difflib
import random
import re
from collections.abc import Callable, Iterable, Sequence

import pytest

from cigen.adapters.diff import matching_blocks, unified_diff

Diff = Callable[[Sequence[str], Sequence[str]], Iterable[str]]


def ours(a: Sequence[str], b: Sequence[str]) -> Iterable[str]:
    return unified_diff(a, b, fromfile="a", tofile="b")


def difflibs(a: Sequence[str], b: Sequence[str]) -> Iterable[str]:
    return difflib.unified_diff(a, b, "a", "b")


def patch(a: Sequence[str], diff: list[str]) -> list[str]:
    """``a`` with the hunks of ``diff`` applied, checking every context and removed line against ``a``."""
    out: list[str] = []
    at = 0
    lines = diff[2:]
    k = 0
    while k < len(lines):
        hunk = re.fullmatch(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@\n", lines[k])
        assert hunk, lines[k]
        start = int(hunk[1]) - (1 if hunk[2] != "0" else 0)
        assert start >= at
        out += a[at:start]
        at = start
        k += 1
        while k < len(lines) and not lines[k].startswith("@@"):
            kind, text = lines[k][0], lines[k][1:]
            if kind in " -":
                assert a[at] == text, (at, text)
                at += 1
            if kind in " +":
                out.append(text)
            k += 1
    return out + list(a[at:])


def edits(seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    alphabet = rng.choice(["ab", "abc", "abcdefgh", "abcdefghijklmnopqrstuvwxyz"])
    a = [rng.choice(alphabet) + "\n" for _ in range(rng.randint(0, 30))]
    b = list(a)
    for _ in range(rng.randint(0, 6)):
        op = rng.random()
        if op < 0.33 and b:
            del b[rng.randrange(len(b))]
        elif op < 0.66:
            b.insert(rng.randint(0, len(b)), rng.choice(alphabet) + "\n")
        elif b:
            b[rng.randrange(len(b))] = rng.choice(alphabet) + "\n"
    return a, b


def test_every_diff_turns_the_old_lines_into_the_new_ones() -> None:
    for seed in range(400):
        a, b = edits(seed)
        diff = list(ours(a, b))
        assert patch(a, diff) == b, (seed, a, b, diff)
        assert (diff == []) == (a == b)
        for i, j, size in matching_blocks(a, b):
            assert a[i:i + size] == b[j:j + size]


def job(k: int, timeout: int) -> list[str]:
    """A stage job as the workflow writes it: a few lines of its own, the rest the same in every job."""
    return [
        f"  stage-{k}:\n", "    name: ${{ matrix.service.name }}\n", f"    needs: [plan, stage-{k - 1}]\n",
        "    runs-on: ubuntu-latest\n", f"    timeout-minutes: {timeout}\n", "    permissions:\n",
        "      contents: read\n", "    steps:\n", "      - uses: actions/checkout@0123456789abcdef  # v7\n",
        "        with:\n", "          persist-credentials: false\n", "      - name: Install dependencies\n",
        "        run: npm install\n", "      - name: test\n", "        run: npm run test\n",
    ]


def workflow(jobs: int, timeout: int) -> list[str]:
    return ["name: cigen\n", "jobs:\n", *(line for k in range(1, jobs + 1) for line in job(k, timeout))]


@pytest.mark.parametrize("a, b", [
    (workflow(3, 60), workflow(3, 61)),
    (workflow(3, 60), workflow(4, 60)),
    (workflow(4, 60), workflow(2, 60)),
    (["x\n"], ["y"]),
    ([], workflow(1, 60)),
], ids=["every job changed", "a job added", "jobs removed", "no newline at the end", "from nothing"])
def test_a_workflow_diff_is_the_one_difflib_writes(a: list[str], b: list[str]) -> None:
    assert list(ours(a, b)) == list(difflibs(a, b))


class Line(str):
    """A line that counts every hash and comparison made of it: the diff's work, without a clock."""

    work = 0

    def __hash__(self) -> int:
        Line.work += 1
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        Line.work += 1
        return str.__eq__(self, other)


def work(diff: Diff, jobs: int) -> int:
    old = [Line(line) for line in workflow(jobs, 60)]
    new = [Line(line) for line in workflow(jobs, 61)]  # every job changed: the stale file after a cigen.yaml edit
    Line.work = 0
    assert sum(line.startswith("+    timeout-minutes: 61") for line in diff(old, new)) == jobs
    return Line.work


def test_the_work_of_a_diff_grows_linearly_with_the_jobs() -> None:
    # difflib on the same input: 3.8 times the work for twice the jobs (100 -> 200); 500 real jobs took minutes.
    small, large = work(ours, 1000), work(ours, 2000)
    assert 1.9 < large / small < 2.2, (small, large)
