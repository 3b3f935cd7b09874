"""The GitHub Actions side: events -> what to compare, step outputs, the step summary."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from cigen.adapters import github_env
from cigen.errors import InputError, ToolError


def test_a_pull_request_compares_with_its_base_branch_on_origin():
    found = github_env.event_range("pull_request", {"pull_request": {"base": {"ref": "release/2.x"}}})
    assert found.base == "refs/remotes/origin/release/2.x"
    assert found.fetch == ("+refs/heads/release/2.x:refs/remotes/origin/release/2.x",)
    assert found.everything is None


def test_a_push_compares_with_the_commit_before_it():
    before = "a" * 40
    found = github_env.event_range("push", {"before": before, "after": "b" * 40})
    assert (found.base, found.fetch, found.everything) == (before, (before,), None)


@pytest.mark.parametrize("before", ["0" * 40, "0" * 64])
def test_a_push_that_creates_a_branch_runs_everything_and_says_why(before):
    found = github_env.event_range("push", {"before": before})
    assert found.base is None and "creates a branch" in found.everything


def test_a_push_without_before_runs_everything():
    assert "no 'before'" in github_env.event_range("push", {}).everything


def test_a_merge_group_compares_with_its_base_commit():
    found = github_env.event_range("merge_group", {"merge_group": {"base_sha": "c" * 40, "head_sha": "d" * 40}})
    assert found.base == "c" * 40


@pytest.mark.parametrize("event", ["workflow_dispatch", "schedule"])
def test_manual_and_scheduled_runs_run_everything(event):
    found = github_env.event_range(event, {})
    assert found.base is None and "runs everything" in found.everything


def test_an_event_with_no_base_runs_everything_naming_the_event():
    assert "release" in github_env.event_range("release", {}).everything


def test_a_pull_request_payload_without_a_base_branch_runs_everything():
    assert github_env.event_range("pull_request", {"pull_request": {}}).everything


def test_read_event_reads_the_name_and_the_payload_file(tmp_path):
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"before": "x"}), encoding="utf-8")
    env = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(payload)}
    assert github_env.read_event(env) == ("push", {"before": "x"})


def test_read_event_without_an_event_name_is_an_input_error():
    with pytest.raises(InputError, match="GITHUB_EVENT_NAME"):
        github_env.read_event({})


def test_single_line_values_are_written_as_name_equals_value():
    assert github_env.format_outputs({"count": "3", "any": "true"}) == "count=3\nany=true\n"


def test_multi_line_values_use_a_random_delimiter_that_differs_each_time():
    first = github_env.format_outputs({"all": "line one\nline two"})
    second = github_env.format_outputs({"all": "line one\nline two"})
    match = re.fullmatch(r"all<<(ghadelimiter_[0-9a-f]{32})\nline one\nline two\n\1\n", first)
    assert match is not None
    assert first != second


def test_an_invalid_output_name_is_refused():
    with pytest.raises(ValueError):
        github_env.format_outputs({"bad name": "x"})


@dataclass
class Job:
    id: str
    services: tuple[str, ...]


def test_job_outputs_are_each_jobs_legs_as_one_line_of_json_and_their_count():
    jobs = [Job("stage-1", ("libs/b", "libs/a")), Job("stage-2", ("apps/web",))]
    legs = {"stage-1": [{"name": "b +1", "run": ["libs/a"], "build": ["libs/b"]}],
            "stage-2": [{"name": "web \"quoted\" ünï", "run": ["apps/web"]}]}
    outputs = github_env.job_outputs(jobs, legs)
    assert json.loads(outputs["stage-1"]) == legs["stage-1"]
    assert outputs["stage-1-count"] == "1"
    assert outputs["stage-2"] == '[{"name":"web \\"quoted\\" ünï","run":["apps/web"]}]'
    assert "\n" not in outputs["stage-2"]


def test_a_job_with_nothing_to_run_gets_an_empty_list_and_zero():
    outputs = github_env.job_outputs([Job("stage-1", ("x",))], {})
    assert outputs == {"stage-1": "[]", "stage-1-count": "0"}


def test_summary_outputs_state_count_any_and_why_everything():
    assert github_env.summary_outputs(["b", "a"], None) == {"affected": '["a","b"]', "count": "2", "any": "true", "all": ""}
    assert github_env.summary_outputs([], "cigen.yaml changed")["all"] == "cigen.yaml changed"


def test_outputs_over_the_per_job_limit_fail_before_anything_is_written(tmp_path):
    out = tmp_path / "output"
    with pytest.raises(ToolError, match="over GitHub's limit"):
        github_env.write_outputs(out, {"affected": "x" * (github_env.OUTPUT_LIMIT // 2)})
    assert not out.exists()


def test_outputs_are_appended_to_what_earlier_steps_wrote(tmp_path):
    out = tmp_path / "output"
    out.write_text("earlier=1\n", encoding="utf-8")
    github_env.write_outputs(out, {"count": "0"})
    assert out.read_text(encoding="utf-8") == "earlier=1\ncount=0\n"


def test_the_summary_budget_accounts_for_what_is_already_in_the_file(tmp_path):
    summary = tmp_path / "summary"
    assert github_env.summary_budget(summary) == 1024 * 1024
    summary.write_bytes(b"x" * 1000)
    assert github_env.summary_budget(summary) == 1024 * 1024 - 1000
    with pytest.raises(ToolError):
        github_env.append_summary(summary, "y" * (1024 * 1024))
    github_env.append_summary(summary, "## report\n")
    assert summary.read_bytes().endswith(b"## report\n")
