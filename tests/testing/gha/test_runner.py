"""The executor's job semantics: needs order, if: rules, matrices, fail-fast, outputs, triggers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testing.gha.harness import Runner
from testing.gha.events import dispatch_event, pull_request_event, push_event
from testing.gha.model import CANCELLED, FAILURE, SKIPPED, SUCCESS, WorkflowError

ON_PUSH = "on:\n  push:\n    branches: [main]\n"


def test_jobs_run_in_needs_order_and_pass_outputs_downstream(run_yaml: Runner) -> None:
    run = run_yaml(
        ON_PUSH
        + """
jobs:
  last:
    needs: [middle]
    runs-on: ubuntu-latest
    steps:
      - run: test "${{ needs.middle.outputs.word }}" = "hello world"
  middle:
    needs: first
    runs-on: ubuntu-latest
    outputs:
      word: ${{ steps.w.outputs.word }} ${{ needs.first.outputs.word }}
    steps:
      - id: w
        run: echo "word=hello" >> "$GITHUB_OUTPUT"
  first:
    runs-on: ubuntu-latest
    outputs:
      word: ${{ steps.w.outputs.word }}
    steps:
      - id: w
        run: echo "word=world" >> "$GITHUB_OUTPUT"
"""
    )
    assert run.order == ["first", "middle", "last"]
    assert run.results() == {"first": SUCCESS, "middle": SUCCESS, "last": SUCCESS}, run.report()
    assert run["middle"].outputs == {"word": "hello world"}


def test_a_matrix_from_fromjson_of_a_job_output_runs_one_leg_per_value(run_yaml: Runner) -> None:
    run = run_yaml(
        ON_PUSH
        + """
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      services: ${{ steps.p.outputs.services }}
    steps:
      - id: p
        run: echo 'services=["api","web","my lib"]' >> "$GITHUB_OUTPUT"
  test:
    needs: plan
    strategy:
      matrix:
        service: ${{ fromJSON(needs.plan.outputs.services) }}
        node: [20]
    runs-on: ubuntu-latest
    steps:
      - run: echo "testing $SERVICE on ${{ matrix.node }} (${{ strategy.job-index }}/${{ strategy.job-total }})"
        env:
          SERVICE: ${{ matrix.service }}
"""
    )
    assert run["test"].result == SUCCESS
    assert [leg.name for leg in run["test"].legs] == ["test (api, 20)", "test (web, 20)", "test (my lib, 20)"]
    assert "testing my lib on 20 (2/3)" in run["test"].leg(service="my lib").steps[0].log


def test_an_empty_matrix_list_fails_the_job_as_on_github(run_yaml: Runner) -> None:
    run = run_yaml(
        ON_PUSH
        + """
jobs:
  test:
    strategy:
      matrix:
        service: ${{ fromJSON('[]') }}
    runs-on: ubuntu-latest
    steps:
      - run: echo never
"""
    )
    assert run["test"].result == FAILURE
    assert "does not contain any values" in run["test"].reason
    assert not run["test"].legs


SKIP_CHAIN = (
    ON_PUSH
    + """
jobs:
  a:
    if: false
    runs-on: ubuntu-latest
    steps: [{run: echo a}]
  b:
    needs: a
    runs-on: ubuntu-latest
    steps: [{run: echo b}]
  c:
    needs: a
    if: ${{ !failure() && !cancelled() }}
    runs-on: ubuntu-latest
    steps: [{run: echo c}]
  d:
    needs: c
    runs-on: ubuntu-latest
    steps: [{run: echo d}]
  e:
    needs: c
    if: ${{ !failure() && !cancelled() && needs.c.result == 'success' }}
    runs-on: ubuntu-latest
    steps: [{run: echo e}]
"""
)


def test_a_job_whose_need_was_skipped_is_skipped_by_the_implicit_success(run_yaml: Runner) -> None:
    run = run_yaml(SKIP_CHAIN)
    assert run["a"].result == SKIPPED and not run["a"].legs
    assert run["b"].result == SKIPPED


def test_not_failure_and_not_cancelled_runs_after_a_skipped_need(run_yaml: Runner) -> None:
    run = run_yaml(SKIP_CHAIN)
    assert run["c"].result == SUCCESS


def test_success_looks_at_every_job_upstream_not_only_the_direct_needs(run_yaml: Runner) -> None:
    # actions/runner#2205: d's only need (c) succeeded, yet a skipped job above c skips d.
    run = run_yaml(SKIP_CHAIN)
    assert run["c"].result == SUCCESS
    assert run["d"].result == SKIPPED
    assert run["e"].result == SUCCESS


FAILURE_CHAIN = (
    ON_PUSH
    + """
jobs:
  build:
    runs-on: ubuntu-latest
    steps: [{run: exit 3}]
  test:
    needs: build
    runs-on: ubuntu-latest
    steps: [{run: echo test}]
  later:
    needs: test
    if: ${{ !failure() && !cancelled() }}
    runs-on: ubuntu-latest
    steps: [{run: echo later}]
  report:
    needs: build
    if: failure()
    runs-on: ubuntu-latest
    steps: [{run: echo report}]
  gate:
    needs: [build, test, later]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "build=${{ needs.build.result }} test=${{ needs.test.result }} later=${{ needs.later.result }}"
          test "${{ contains(needs.*.result, 'failure') || contains(needs.*.result, 'cancelled') }}" = false
"""
)


def test_a_failed_job_skips_its_dependents_and_fails_the_run(run_yaml: Runner) -> None:
    run = run_yaml(FAILURE_CHAIN)
    assert run["build"].result == FAILURE
    assert run["test"].result == SKIPPED
    assert run.result == FAILURE


def test_not_failure_does_not_run_below_a_failure_even_through_a_skipped_job(run_yaml: Runner) -> None:
    assert run_yaml(FAILURE_CHAIN)["later"].result == SKIPPED


def test_failure_and_always_run_after_a_failure(run_yaml: Runner) -> None:
    run = run_yaml(FAILURE_CHAIN)
    assert run["report"].result == SUCCESS
    gate = run["gate"]
    assert gate.result == FAILURE
    assert "build=failure test=skipped later=skipped" in gate.legs[0].steps[0].log


def test_matrix_context_in_a_job_level_if_fails_the_job(run_yaml: Runner) -> None:
    run = run_yaml(
        ON_PUSH
        + """
jobs:
  test:
    if: matrix.x == 1
    strategy: {matrix: {x: [1]}}
    runs-on: ubuntu-latest
    steps: [{run: echo}]
"""
    )
    assert run["test"].result == FAILURE and "matrix" in run["test"].reason


FAIL_FAST = (
    ON_PUSH
    + """
jobs:
  test:
    strategy:
      fail-fast: {fail_fast}
      matrix:
        n: [1, 2, 3]
    runs-on: ubuntu-latest
    steps:
      - run: test "${{{{ matrix.n }}}}" != 2
"""
)


def test_fail_fast_cancels_the_legs_after_a_failed_one(run_yaml: Runner) -> None:
    job = run_yaml(FAIL_FAST.format(fail_fast="true"))["test"]
    assert [leg.result for leg in job.legs] == [SUCCESS, FAILURE, CANCELLED]
    assert job.legs[2].steps == []
    assert job.result == FAILURE


def test_without_fail_fast_every_leg_runs_and_the_job_still_fails(run_yaml: Runner) -> None:
    job = run_yaml(FAIL_FAST.format(fail_fast="false"))["test"]
    assert [leg.result for leg in job.legs] == [SUCCESS, FAILURE, SUCCESS]
    assert job.result == FAILURE


def test_fail_fast_is_the_default(run_yaml: Runner) -> None:
    job = run_yaml(FAIL_FAST.replace("      fail-fast: {fail_fast}\n", "").format())["test"]
    assert [leg.result for leg in job.legs] == [SUCCESS, FAILURE, CANCELLED]


def test_a_leg_allowed_to_fail_neither_fails_the_job_nor_cancels_the_rest(run_yaml: Runner) -> None:
    job = run_yaml(
        ON_PUSH
        + """
jobs:
  test:
    continue-on-error: ${{ matrix.n == 1 }}
    strategy: {matrix: {n: [1, 2]}}
    runs-on: ubuntu-latest
    steps:
      - run: test "${{ matrix.n }}" = 2
"""
    )["test"]
    assert [leg.result for leg in job.legs] == [FAILURE, SUCCESS]
    assert job.result == SUCCESS


def test_matrix_job_outputs_take_the_last_non_empty_value(run_yaml: Runner) -> None:
    run = run_yaml(
        ON_PUSH
        + """
jobs:
  test:
    strategy: {matrix: {n: [1, 2, 3]}}
    runs-on: ubuntu-latest
    outputs:
      seen: ${{ steps.s.outputs.seen }}
    steps:
      - id: s
        if: matrix.n != 3
        run: echo "seen=${{ matrix.n }}" >> "$GITHUB_OUTPUT"
"""
    )
    assert run["test"].outputs == {"seen": "2"}


def test_a_named_leg_uses_the_evaluated_name(run_yaml: Runner) -> None:
    run = run_yaml(
        ON_PUSH
        + """
jobs:
  test:
    name: test ${{ matrix.service }}
    strategy: {matrix: {service: [api]}}
    runs-on: ubuntu-latest
    steps: [{run: echo}]
"""
    )
    assert [leg.name for leg in run["test"].legs] == ["test api"]


def test_workflow_dispatch_inputs_are_typed_in_inputs_and_strings_in_the_event(run_yaml: Runner, repo: Path) -> None:
    run = run_yaml(
        """
on:
  workflow_dispatch:
    inputs:
      all:
        type: boolean
        default: false
      label:
        type: string
        default: none
jobs:
  show:
    if: inputs.all
    runs-on: ubuntu-latest
    steps:
      - run: test "${{ inputs.all == true }}/${{ github.event.inputs.all }}/${{ inputs.label }}" = "true/true/none"
""",
        dispatch_event(repo, {"all": True}),
    )
    assert run["show"].result == SUCCESS, run.report()


def test_undeclared_dispatch_inputs_are_rejected(run_yaml: Runner, repo: Path) -> None:
    with pytest.raises(WorkflowError, match="Unexpected inputs"):
        run_yaml("on: workflow_dispatch\njobs: {a: {runs-on: x, steps: [{run: echo}]}}\n", dispatch_event(repo, {"x": 1}))


def test_a_push_to_a_branch_outside_the_filter_does_not_trigger(run_yaml: Runner, repo: Path) -> None:
    from testing.gha.harness import git

    git(repo, "branch", "topic")
    with pytest.raises(WorkflowError, match="does not run"):
        run_yaml(ON_PUSH + "jobs: {a: {runs-on: x, steps: [{run: echo}]}}\n", push_event(repo, "topic"))


def test_pull_request_events_see_the_base_and_head_refs(run_yaml: Runner, repo: Path) -> None:
    from testing.gha.harness import commit_files, git

    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {"packages/a/src/a.txt": "changed\n"}, "change a")
    git(repo, "checkout", "-q", "main")
    run = run_yaml(
        """
on:
  pull_request:
    branches: [main]
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - run: test "$GITHUB_BASE_REF/$GITHUB_HEAD_REF/${{ github.event.pull_request.number }}" = "main/feature/1"
""",
        pull_request_event(repo, "main", "feature"),
    )
    assert run["show"].result == SUCCESS, run.report()


def test_the_concurrency_group_is_evaluated(run_yaml: Runner) -> None:
    run = run_yaml(
        ON_PUSH
        + """
concurrency:
  group: ci-${{ github.ref }}
  cancel-in-progress: ${{ github.event_name == 'pull_request' }}
jobs: {a: {runs-on: x, steps: [{run: echo}]}}
"""
    )
    assert run.concurrency_group == "ci-refs/heads/main"


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        ("{a: {needs: b, runs-on: x, steps: [{run: echo}]}, b: {needs: a, runs-on: x, steps: [{run: echo}]}}", "cycle"),
        ("{a: {needs: nope, runs-on: x, steps: [{run: echo}]}}", "does not exist"),
        ("{a: {uses: ./.github/workflows/other.yml}}", "not supported"),
        ("{a: {runs-on: x, container: node:20, steps: [{run: echo}]}}", "not supported"),
    ],
)
def test_workflows_the_executor_cannot_run_faithfully_are_refused(run_yaml: Runner, jobs: str, message: str) -> None:
    with pytest.raises(WorkflowError, match=message):
        run_yaml(ON_PUSH + f"jobs: {jobs}\n")


def test_each_job_runs_inside_around_job(run_yaml: Runner) -> None:
    seen: list[str] = []

    @contextmanager
    def around(job_id: str) -> Iterator[None]:
        seen.append(f"enter {job_id}")
        yield
        seen.append(f"leave {job_id}")

    run = run_yaml(
        ON_PUSH
        + """
jobs:
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: echo two
  first:
    runs-on: ubuntu-latest
    steps:
      - run: echo one
""",
        around_job=around,
    )
    assert run.result == SUCCESS, run.report()
    assert seen == ["enter first", "leave first", "enter second", "leave second"]
