"""cigen.yaml ``workflow:``: defaults that work, and one clear error for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from cigen.config.loader import load_config
from cigen.errors import InputError


def config_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "cigen.yaml").write_text(text)
    with pytest.raises(InputError) as caught:
        load_config(tmp_path)
    return str(caught.value)


def test_without_a_workflow_section_every_key_has_its_default(tmp_path: Path) -> None:
    wf = load_config(tmp_path).workflow
    assert (wf.path, wf.name, wf.default_branch, wf.runs_on) == (".github/workflows/cigen.yml", "cigen", "main",
                                                                  "ubuntu-latest")
    assert (wf.tasks, wf.outputs, wf.setup, wf.python_tasks) == (("lint", "build", "test"), ("dist", "build"), (), None)


def test_a_full_section_is_read(tmp_path: Path) -> None:
    (tmp_path / "cigen.yaml").write_text(
        "workflow:\n"
        "  runs_on: [self-hosted, linux]\n"
        "  node_version: '22'\n"
        "  python_version: '3.12'\n"
        "  tasks: [typecheck, test:unit]\n"
        "  python_tasks: {typecheck: mypy .}\n"
        "  outputs: [lib, 'out/**/*.js']\n"
        "  setup:\n"
        "    - name: Log in\n"
        "      run: echo hi\n"
        "  cigen_requirement: .\n"
    )
    wf = load_config(tmp_path).workflow
    assert wf.runs_on == ("self-hosted", "linux")
    assert wf.tasks == ("typecheck", "test:unit")
    assert wf.setup == ({"name": "Log in", "run": "echo hi"},)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("workflow:\n  tasks: ['build; rm -rf /']\n", "cigen.yaml:2:3: workflow.tasks: value error, 'build; rm -rf /' is not a script name"),
        ("workflow:\n  tasks: [build, build]\n", "lists a task twice"),
        ("workflow:\n  outputs: [../secrets]\n", "relative to the service's folder"),
        ("workflow:\n  outputs: ['my dist']\n", "relative to the service's folder"),
        ("workflow:\n  path: ci.yml\n", "must be a file in .github/workflows/"),
        ("workflow:\n  default_branch: 'main; x'\n", "must be a branch name"),
        ("workflow:\n  runs_on: 'ubuntu-latest $(id)'\n", "is not a label or version"),
        ("workflow:\n  node_version: '${{ x }}'\n", "is not a label or version"),
        ("workflow:\n  timeout_minutes: 0\n", "workflow.timeout_minutes"),
        ("workflow:\n  setup: [{uses: a/b@v1, run: x}]\n", "exactly one of `uses` or `run`"),
        ("workflow:\n  setup: [{run: x, needs: y}]\n", "unknown step key 'needs'"),
        ("workflow:\n  python_tasks: {typecheck: mypy .}\n", "python_tasks.typecheck is not in tasks"),
        ("workflow:\n  python_tasks: {test: '  '}\n", "the command of task 'test' is empty"),
        ("workflow:\n  cigen_requirement: '${{ github.token }}'\n", "must be one pip requirement"),
        ("workflow:\n  fail_fast: true\n", "unknown key workflow.fail_fast"),
    ],
)
def test_a_bad_value_is_one_located_error_that_says_what_is_wrong(tmp_path: Path, text: str, expected: str) -> None:
    message = config_error(tmp_path, text)
    assert expected in message
    assert "\n" not in message
