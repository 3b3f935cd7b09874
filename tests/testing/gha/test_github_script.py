"""actions/github-script in the local executor: a real script under node, a local comments API."""

from __future__ import annotations

from pathlib import Path

from testing.gha.harness import Runner, git
from testing.gha.events import pull_request_event
from testing.gha.github_script import comments
from testing.gha.model import FAILURE, SUCCESS

COMMENT = """\
on: pull_request
jobs:
  job:
    runs-on: ubuntu-latest
    permissions: PERMISSIONS
    steps:
      - id: script
        uses: actions/github-script@v8
        env:
          BODY: ${{ github.event.pull_request.title }}
        with:
          script: |
            const { owner, repo } = context.repo;
            const issue_number = context.issue.number;
            const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body: process.env.BODY });
            core.setOutput('id', data.id);
            const all = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 1 });
            core.info(`comments: ${all.length}`);
            return { count: all.length };
"""


def _feature(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "f.txt").write_text("f\n")
    git(repo, "add", "f.txt")
    git(repo, "commit", "-q", "-m", "feature")
    git(repo, "checkout", "-q", "main")


def test_a_script_comments_through_the_local_api_with_the_step_env(repo: Path, run_yaml: Runner) -> None:
    _feature(repo)
    workflow = COMMENT.replace("PERMISSIONS", "{pull-requests: write}")
    first = run_yaml(workflow, pull_request_event(repo))["job"].legs[0]
    second = run_yaml(workflow, pull_request_event(repo))["job"].legs[0]
    assert first.result == SUCCESS and second.result == SUCCESS, first.log + second.log
    assert first.steps[0].outputs == {"id": "1", "result": '{"count":1}'}
    assert "comments: 2" in second.steps[0].log
    stored = comments(repo, 1)
    assert [c["body"] for c in stored] == ["Change feature", "Change feature"]
    assert stored[0]["user"] == {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}


def test_without_a_write_permission_the_api_answers_403(repo: Path, run_yaml: Runner) -> None:
    _feature(repo)
    leg = run_yaml(COMMENT.replace("PERMISSIONS", "{contents: read}"), pull_request_event(repo))["job"].legs[0]
    assert leg.result == FAILURE
    assert "Resource not accessible by integration (HTTP 403)" in leg.steps[0].log
    assert comments(repo, 1) == []


def test_a_pull_request_from_a_fork_gets_a_read_only_token(repo: Path, run_yaml: Runner) -> None:
    _feature(repo)
    event = pull_request_event(repo, fork="someone/repo")
    leg = run_yaml(COMMENT.replace("PERMISSIONS", "{pull-requests: write}"), event)["job"].legs[0]
    assert leg.result == FAILURE and "HTTP 403" in leg.steps[0].log


def test_a_body_over_65536_characters_is_refused(repo: Path, run_yaml: Runner) -> None:
    _feature(repo)
    workflow = COMMENT.replace("PERMISSIONS", "{pull-requests: write}").replace(
        "body: process.env.BODY", "body: 'x'.repeat(65537)")
    leg = run_yaml(workflow, pull_request_event(repo))["job"].legs[0]
    assert leg.result == FAILURE and "body is too long (maximum is 65536 characters)" in leg.steps[0].log


def test_an_api_the_stand_in_lacks_fails_the_step(repo: Path, run_yaml: Runner) -> None:
    _feature(repo)
    workflow = COMMENT.replace("PERMISSIONS", "{pull-requests: write}").replace(
        "github.rest.issues.createComment", "github.rest.pulls.merge")
    leg = run_yaml(workflow, pull_request_event(repo))["job"].legs[0]
    assert leg.result == FAILURE and "Unhandled error" in leg.steps[0].log
