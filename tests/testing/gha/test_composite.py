"""Composite actions in the local executor: ``uses: ./path`` and an ``owner/repo`` mapped to a folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

from testing.gha.harness import Runner, commit_files
from testing.gha.model import FAILURE, SKIPPED, SUCCESS

GREETER = """\
name: greeter
description: says hello
inputs:
  who:
    description: whom to greet
    required: true
  punctuation:
    description: the end of the line
    default: "!"
  repository:
    description: an expression default
    default: ${{ github.repository }}
outputs:
  line:
    description: the greeting
    value: ${{ steps.greet.outputs.line }}
  outcome:
    description: the greeting step's outcome
    value: ${{ steps.greet.outcome }}
runs:
  using: composite
  steps:
    - id: greet
      shell: bash
      env:
        WHO: ${{ inputs.who }}
        PUNCTUATION: ${{ inputs.punctuation }}
      run: |
        echo "line=hello $WHO$PUNCTUATION" >> "$GITHUB_OUTPUT"
        echo "path=$GITHUB_ACTION_PATH caller=$CALLER repo=$REPO"
        echo "greeted $WHO" >> "$GITHUB_STEP_SUMMARY"
    - shell: bash
      env:
        REPO: ${{ inputs.repository }}
        ACTION_PATH: ${{ github.action_path }}
      run: echo "repo=$REPO action_path=$ACTION_PATH"
"""


def _action(repo: Path, folder: str, text: str) -> None:
    commit_files(repo, {f"{folder}/action.yml": textwrap.dedent(text)}, f"the {folder} action")


def _job(steps: str) -> str:
    return (
        "on: push\njobs:\n  job:\n    runs-on: ubuntu-latest\n"
        "    outputs:\n      line: ${{ steps.hello.outputs.line }}\n    steps:\n" + steps
    )


CHECKOUT = "      - uses: actions/checkout@v4\n        with: {persist-credentials: false}\n"


def test_a_local_composite_action_runs_its_steps_with_inputs_defaults_and_outputs(repo: Path, run_yaml: Runner) -> None:
    _action(repo, ".github/actions/greeter", GREETER)
    run = run_yaml(_job(CHECKOUT + "      - id: hello\n        uses: ./.github/actions/greeter\n"
                        "        with: {who: $world}\n        env: {CALLER: outer}\n"))
    leg = run["job"].legs[0]
    assert leg.result == SUCCESS, leg.log
    assert run["job"].outputs["line"] == "hello $world!"
    folder = leg.workspace / ".github/actions/greeter"
    assert f"path={folder} caller=outer" in leg.log
    assert f"repo=cigen-local/repo action_path={folder}" in leg.log
    assert leg.summary == "greeted $world\n"


def test_a_mapped_repository_runs_the_folder_in_place_of_the_published_action(
    repo: Path, tmp_path: Path, run_yaml: Runner
) -> None:
    folder = tmp_path / "greeter-checkout"
    folder.mkdir()
    (folder / "action.yml").write_text(GREETER)
    run = run_yaml(
        _job("      - id: hello\n        uses: acme/greeter@0123456789abcdef0123456789abcdef01234567\n"
             "        with: {who: you, punctuation: .}\n"),
        actions={"acme/greeter": folder},
    )
    assert run["job"].outputs["line"] == "hello you.", run.report()


def test_a_failing_step_fails_the_calling_step_and_skips_the_rest(repo: Path, run_yaml: Runner) -> None:
    _action(repo, "broken", """\
        name: broken
        description: fails
        outputs:
          after: {description: set after the failure, value: "${{ steps.after.outputs.value }}"}
        runs:
          using: composite
          steps:
            - {shell: bash, run: exit 3}
            - {id: after, shell: bash, run: echo value=ran >> "$GITHUB_OUTPUT"}
            - {if: failure(), shell: bash, run: echo cleaning up}
        """)
    run = run_yaml(_job(CHECKOUT + "      - id: hello\n        uses: ./broken\n"
                        "      - if: always()\n        run: echo after the action\n"))
    leg = run["job"].legs[0]
    assert leg.result == FAILURE
    assert leg.steps[1].outcome == FAILURE and "cleaning up" in leg.steps[1].log
    assert "exit code 3" in leg.steps[1].log
    assert leg.steps[1].outputs == {"after": ""}
    assert leg.steps[2].conclusion == SUCCESS


def test_a_run_step_without_shell_fails_as_on_github(repo: Path, run_yaml: Runner) -> None:
    _action(repo, "noshell", """\
        name: noshell
        description: forgets the shell
        runs:
          using: composite
          steps:
            - run: echo hi
        """)
    leg = run_yaml(_job(CHECKOUT + "      - uses: ./noshell\n"))["job"].legs[0]
    assert leg.result == FAILURE and "needs shell" in leg.steps[1].log


def test_undeclared_and_missing_required_inputs_fail_the_step(repo: Path, run_yaml: Runner) -> None:
    _action(repo, ".github/actions/greeter", GREETER)
    leg = run_yaml(_job(CHECKOUT + "      - uses: ./.github/actions/greeter\n        with: {who: a, typo: b}\n"
                        "      - if: always()\n        uses: ./.github/actions/greeter\n"))["job"].legs[0]
    assert "unexpected input(s) ['typo']" in leg.steps[1].log
    assert "Input required and not supplied: who" in leg.steps[2].log


def test_without_checkout_a_local_action_is_not_found(repo: Path, run_yaml: Runner) -> None:
    _action(repo, ".github/actions/greeter", GREETER)
    leg = run_yaml(_job("      - uses: ./.github/actions/greeter\n        with: {who: a}\n"))["job"].legs[0]
    assert leg.result == FAILURE and "Did you forget to run actions/checkout" in leg.steps[0].log


def test_setup_python_without_update_environment_leaves_path_alone(run_yaml: Runner) -> None:
    leg = run_yaml(_job(
        "      - id: py\n        uses: actions/setup-python@v5\n"
        "        with: {python-version: '3.13', update-environment: false}\n"
        "      - run: |\n          echo \"which=$(command -v python || true)\"\n"
        "          test -x \"$PY\"\n        env: {PY: '${{ steps.py.outputs.python-path }}'}\n"
    ))["job"].legs[0]
    assert leg.result == SUCCESS, leg.log
    assert "tools/python" not in leg.steps[1].log
    assert leg.steps[0].outputs["python-path"].endswith("tools/python/bin/python")
    assert SKIPPED not in (s.conclusion for s in leg.steps)
