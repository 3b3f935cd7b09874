"""actions/checkout in the executor: a real, isolated clone with the event's commit and depth."""

from __future__ import annotations

from pathlib import Path

from testing.gha.harness import Runner, commit_files, git
from testing.gha.events import pull_request_event
from testing.gha.model import FAILURE, SUCCESS


def steps_log(run_yaml: Runner, steps: str, event: object = None) -> str:
    run = run_yaml("on: [push, pull_request]\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n" + steps, event)
    leg = run["job"].legs[0]
    assert leg.result == SUCCESS, leg.log
    return leg.steps[-1].log


def test_the_default_is_a_shallow_clone_of_the_pushed_commit_on_its_branch(run_yaml: Runner, repo: Path) -> None:
    log = steps_log(
        run_yaml,
        "      - uses: actions/checkout@v4\n"
        "      - run: git rev-list --count HEAD; git rev-parse HEAD; git branch --show-current; cat README.md\n",
    )
    assert log.split() == ["1", git(repo, "rev-parse", "main"), "main", "three"]


def test_fetch_depth_zero_fetches_all_history_branches_and_tags(run_yaml: Runner, repo: Path) -> None:
    git(repo, "tag", "v1", "HEAD~1")
    git(repo, "branch", "other", "HEAD~2")
    log = steps_log(
        run_yaml,
        "      - uses: actions/checkout@v4\n        with: {fetch-depth: 0}\n"
        "      - run: git rev-list --count HEAD; git tag; git branch -r | sort\n",
    )
    assert log.split() == ["3", "v1", "origin/main", "origin/other"]


def test_a_pull_request_checks_out_the_merge_commit_of_head_into_base(run_yaml: Runner, repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature", "HEAD~1")
    commit_files(repo, {"packages/b/src/b.txt": "feature\n"}, "feature work")
    git(repo, "checkout", "-q", "main")
    event = pull_request_event(repo, "main", "feature")
    log = steps_log(
        run_yaml,
        "      - uses: actions/checkout@v4\n        with: {fetch-depth: 0}\n"
        "      - run: |\n"
        "          git rev-parse HEAD HEAD^1 HEAD^2\n"
        "          cat README.md packages/b/src/b.txt\n"
        '          git diff --name-only "${{ github.event.pull_request.base.sha }}...HEAD"\n',
        event,
    )
    assert log.split() == [
        event.sha, git(repo, "rev-parse", "main"), git(repo, "rev-parse", "feature"),
        "three", "feature",
        "packages/b/src/b.txt",
    ]


def test_each_job_gets_a_fresh_workspace(run_yaml: Runner) -> None:
    run = run_yaml(
        """
on: push
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo built > packages/a/built.txt && echo untracked > stray.txt
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: test -z "$(ls -A)"
      - uses: actions/checkout@v4
      - run: test ! -e packages/a/built.txt && test ! -e stray.txt && test -f packages/a/src/a.txt
"""
    )
    assert run["second"].result == SUCCESS, run.report()


def test_checkout_into_a_path_and_of_another_ref(run_yaml: Runner, repo: Path) -> None:
    git(repo, "tag", "v1", "HEAD~1")
    log = steps_log(
        run_yaml,
        "      - uses: actions/checkout@v4\n        with: {path: src, ref: v1}\n"
        "      - run: cat src/README.md; git -C src rev-parse HEAD\n",
    )
    assert log.split() == ["one", git(repo, "rev-parse", "v1")]


def test_checking_out_another_repository_or_outside_the_workspace_fails(run_yaml: Runner) -> None:
    run = run_yaml(
        """
on: push
jobs:
  job:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: {repository: someone/else}
      - if: always()
        uses: actions/checkout@v4
        with: {path: ../outside}
"""
    )
    assert [s.outcome for s in run["job"].legs[0].steps] == [FAILURE, FAILURE]
