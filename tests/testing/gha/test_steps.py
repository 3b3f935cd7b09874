"""The executor's step semantics: shells, env layering, file commands, step if:, actions."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from testing.gha.harness import Runner
from testing.gha.model import FAILURE, SKIPPED, SUCCESS, RunResult
from testing.gha.runner import package_mirror
from testing.gha.shell import parse_file_command

HEAD = "on: push\n"


def one_job(run_yaml: Runner, steps: str, extra: str = "") -> RunResult:
    return run_yaml(HEAD + extra + "jobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n" + steps)


def test_the_default_shell_is_bash_e_without_pipefail(run_yaml: Runner) -> None:
    leg = one_job(run_yaml, "      - run: false | true\n")["job"].legs[0]
    assert leg.result == SUCCESS


def test_shell_bash_adds_pipefail(run_yaml: Runner) -> None:
    leg = one_job(run_yaml, "      - run: false | true\n        shell: bash\n")["job"].legs[0]
    assert leg.result == FAILURE
    assert "exit code 1" in leg.steps[0].log


def test_a_failing_command_stops_the_script_and_fails_the_step(run_yaml: Runner) -> None:
    leg = one_job(run_yaml, "      - run: |\n          false\n          echo not reached\n")["job"].legs[0]
    assert leg.steps[0].outcome == FAILURE and "not reached" not in leg.steps[0].log


def test_python_and_custom_shells(run_yaml: Runner) -> None:
    leg = one_job(
        run_yaml,
        "      - run: print('from python')\n        shell: python\n"
        "      - run: echo custom\n        shell: sh -c 'echo via-sh && . {0}'\n",
    )["job"].legs[0]
    assert leg.result == SUCCESS, leg.log
    assert "from python" in leg.steps[0].log and "via-sh\ncustom" in leg.steps[1].log


def test_env_layers_workflow_then_job_then_github_env_then_step(run_yaml: Runner) -> None:
    run = run_yaml(
        """
on: push
env:
  A: workflow
  B: workflow
  C: workflow
  D: workflow
jobs:
  job:
    runs-on: ubuntu-latest
    env:
      B: job
      C: job
      D: job
    steps:
      - run: echo "C=exported" >> "$GITHUB_ENV"
      - run: test "$A/$B/$C/$D" = "workflow/job/exported/step" && test "${{ env.C }}" = exported
        env:
          D: step
"""
    )
    assert run["job"].result == SUCCESS, run.report()


def test_github_output_supports_multiline_values_and_feeds_steps_context(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - id: out
        run: |
          echo "one=1" >> "$GITHUB_OUTPUT"
          { echo "many<<EOF"; echo "line 1"; echo "line 2"; echo "EOF"; } >> "$GITHUB_OUTPUT"
      - run: test "${{ steps.out.outputs.one }}" = 1 && test "$MANY" = "$(printf 'line 1\\nline 2')"
        env:
          MANY: ${{ steps.out.outputs.many }}
""",
    )
    leg = run["job"].legs[0]
    assert leg.result == SUCCESS, leg.log
    assert leg.step("out").outputs == {"one": "1", "many": "line 1\nline 2"}


def test_github_path_prepends_folders_for_later_steps(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - run: |
          mkdir -p "$RUNNER_TEMP/bin"
          printf '#!/bin/sh\\necho tool ran\\n' > "$RUNNER_TEMP/bin/mytool"
          chmod +x "$RUNNER_TEMP/bin/mytool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - run: mytool
""",
    )
    assert "tool ran" in run["job"].legs[0].steps[1].log


def test_the_step_summary_is_collected(run_yaml: Runner) -> None:
    run = one_job(run_yaml, '      - run: echo "## Plan" >> "$GITHUB_STEP_SUMMARY"\n')
    assert run["job"].legs[0].summary == "## Plan\n"


def test_expressions_in_run_are_substituted_into_the_script_text_before_bash_runs(run_yaml: Runner, repo: Path) -> None:
    # Why untrusted values must go through env: the text becomes code.
    from testing.gha.events import dispatch_event

    run = run_yaml(
        """
on:
  workflow_dispatch:
    inputs:
      name: {type: string}
jobs:
  job:
    runs-on: ubuntu-latest
    steps:
      - run: echo "hello ${{ inputs.name }}"
      - run: echo "hello $NAME"
        env:
          NAME: ${{ inputs.name }}
""",
        dispatch_event(repo, {"name": "$(echo injected)"}),
    )
    steps = run["job"].legs[0].steps
    assert "hello injected" in steps[0].log
    assert "hello $(echo injected)" in steps[1].log


def test_steps_after_a_failure_are_skipped_unless_their_if_says_otherwise(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - run: exit 1
      - run: echo skipped
      - if: failure()
        run: echo on failure
      - if: always()
        run: test "${{ job.status }}" = failure
      - if: success()
        run: echo on success
""",
    )
    steps = run["job"].legs[0].steps
    assert [s.conclusion for s in steps] == [FAILURE, SKIPPED, SUCCESS, SUCCESS, SKIPPED]
    assert run["job"].result == FAILURE


def test_continue_on_error_keeps_the_job_green_and_records_the_outcome(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - id: flaky
        run: exit 1
        continue-on-error: true
      - run: test "${{ steps.flaky.outcome }}/${{ steps.flaky.conclusion }}" = failure/success
""",
    )
    assert run["job"].result == SUCCESS, run.report()


def test_working_directory_from_the_step_or_the_defaults(run_yaml: Runner) -> None:
    run = run_yaml(
        """
on: push
defaults:
  run:
    working-directory: packages
jobs:
  job:
    runs-on: ubuntu-latest
    defaults:
      run:
        shell: bash
    steps:
      - uses: actions/checkout@v4
      - run: test "$(basename "$PWD")" = packages && test -d a
      - run: test "$(basename "$PWD")" = a
        working-directory: packages/a
      - run: echo never
        working-directory: does/not/exist
"""
    )
    assert [s.conclusion for s in run["job"].legs[0].steps] == [SUCCESS, SUCCESS, SUCCESS, FAILURE]


def test_a_step_that_outlives_its_timeout_is_killed(run_yaml: Runner) -> None:
    run = one_job(run_yaml, "      - run: sleep 30\n        timeout-minutes: 0.02\n")
    step = run["job"].legs[0].steps[0]
    assert step.outcome == FAILURE and "timeout" in step.log


def test_default_github_variables_are_set(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - run: |
          test "$CI" = true && test "$GITHUB_ACTIONS" = true && test "$GITHUB_EVENT_NAME" = push
          test "$GITHUB_REF" = refs/heads/main && test "$GITHUB_JOB" = job && test "$RUNNER_OS" = Linux
          test "$GITHUB_WORKSPACE" = "$PWD" && test -f "$GITHUB_EVENT_PATH"
          test "$GITHUB_SHA" = "${{ github.sha }}"
""",
    )
    assert run["job"].result == SUCCESS, run.report()


def test_the_test_interpreters_venv_is_not_on_path(run_yaml: Runner) -> None:
    run = one_job(run_yaml, "      - run: '! command -v cigen'\n")
    assert run["job"].result == SUCCESS, run.report()


def test_setup_python_gives_each_job_its_own_virtual_environment(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - uses: actions/setup-python@v5
        id: py
        with:
          python-version: '3.11'
      - run: |
          python -c 'import sys; assert sys.prefix != sys.base_prefix, sys.prefix'
          test "$(command -v python)" = "${{ steps.py.outputs.python-path }}"
""",
    )
    assert run["job"].result == SUCCESS, run.report()


def test_setup_python_venvs_are_copies_that_install_into_their_own_job(run_yaml: Runner) -> None:
    # The executor copies one made venv per interpreter (testing.gha.actions): each copy's pip,
    # its script included, must install into that copy and nowhere else.
    run = run_yaml(
        HEAD
        + """jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v5
        id: py
      - run: |
          import os, zipfile
          with zipfile.ZipFile(os.path.join(os.environ["RUNNER_TEMP"], "marker_pkg-1-py3-none-any.whl"), "w") as whl:
              whl.writestr("marker_pkg/__init__.py", "")
              whl.writestr("marker_pkg-1.dist-info/METADATA", "Metadata-Version: 2.1\\nName: marker-pkg\\nVersion: 1\\n")
              whl.writestr("marker_pkg-1.dist-info/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
              whl.writestr("marker_pkg-1.dist-info/RECORD", "")
        shell: python
      - run: |
          venv="$(dirname "$(dirname "${{ steps.py.outputs.python-path }}")")"
          pip --version | grep -F "from $venv/lib/"
          head -1 "$venv/bin/pip" | grep -Fx "#!$venv/bin/python3"
          python -m pip install --quiet --no-index --no-deps "$RUNNER_TEMP/marker_pkg-1-py3-none-any.whl"
          python -c 'import marker_pkg, sys; assert marker_pkg.__file__.startswith(sys.prefix), marker_pkg.__file__'
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v5
      - run: "! python -c 'import marker_pkg'"
"""
    )
    assert run["first"].result == SUCCESS, run.report()
    assert run["second"].result == SUCCESS, run.report()


def test_setup_and_cache_actions_are_no_ops_with_their_outputs(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - uses: actions/setup-node@v4
        with: {node-version: 20, cache: npm}
      - uses: pnpm/action-setup@v4
        with: {version: 9}
      - uses: astral-sh/setup-uv@v6
        with: {enable-cache: true}
      - uses: oven-sh/setup-bun@v2
      - id: cache
        uses: actions/cache@v4
        with: {path: ~/.npm, key: "npm-${{ hashFiles('**/package-lock.json') }}"}
      - run: test "${{ steps.cache.outputs.cache-hit }}" = false && node --version
""",
    )
    assert run["job"].result == SUCCESS, run.report()


def test_unknown_actions_and_unexpected_inputs_fail_the_step(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - uses: someone/something@v1
      - if: always()
        uses: actions/setup-node@v4
        with: {node-versoin: 20}
      - if: always()
        uses: actions/cache@v4
        with: {path: x}
""",
    )
    steps = run["job"].legs[0].steps
    assert [s.outcome for s in steps] == [FAILURE, FAILURE, FAILURE]
    assert "does not know the action 'someone/something'" in steps[0].log
    assert "node-versoin" in steps[1].log
    assert "Input required and not supplied: key" in steps[2].log


def test_hashfiles_hashes_matched_files_and_is_empty_when_nothing_matches(run_yaml: Runner) -> None:
    run = one_job(
        run_yaml,
        """      - uses: actions/checkout@v4
      - run: |
          test -n "${{ hashFiles('packages/**/*.txt') }}"
          test "${{ hashFiles('packages/**/*.txt') }}" != "${{ hashFiles('packages/a/**') }}"
          test -z "${{ hashFiles('**/nothing.lock') }}"
""",
    )
    assert run["job"].result == SUCCESS, run.report()


def test_file_commands_parse_like_the_runner() -> None:
    assert parse_file_command("a=1\nb=x=y\n\nc<<END\n1\n\n2\nEND\n", "GITHUB_OUTPUT") == {
        "a": "1",
        "b": "x=y",
        "c": "1\n\n2",
    }


def test_processes_a_job_leaves_running_are_ended_with_the_job(run_yaml: Runner, tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    run = one_job(
        run_yaml,
        f"""      - run: |
          setsid sleep 300 > /dev/null 2>&1 < /dev/null &
          echo $! > {pid_file}
          # The job ends only once the child has become `sleep` (not the forked shell).
          until [ "$(cat /proc/$!/comm)" = sleep ]; do sleep 0.01; done
""",
    )
    leg = run["job"].legs[0]
    assert leg.result == SUCCESS, leg.log
    assert not running(int(pid_file.read_text()))
    assert len(leg.orphans) == 1 and "sleep 300" in leg.orphans[0]


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for its new parent to reap it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_machine_env_reaches_every_step_below_the_workflows_own_env(run_yaml: Runner) -> None:
    run = run_yaml(
        HEAD
        + """env:
  B: workflow
jobs:
  job:
    runs-on: ubuntu-latest
    steps:
      - run: test "$A" = machine && test "$B" = workflow
""",
        machine_env={"A": "machine", "B": "machine"},
    )
    assert run["job"].result == SUCCESS, run.report()


def _wheel(folder: Path, name: str) -> Path:
    """A pure-Python wheel of one module ``name`` (``name.VALUE == 1``), written by hand: no build backend needed."""
    dist = f"{name}-1.0"
    files = {
        f"{name}.py": "VALUE = 1\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},,\n" for path in [*files, f"{dist}.dist-info/RECORD"])
    wheel = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in {**files, f"{dist}.dist-info/RECORD": record}.items():
            archive.writestr(path, text)
    return wheel


def test_a_package_mirror_installs_from_its_wheels_only_uncompiled_and_npm_from_its_cache(
    run_yaml: Runner, tmp_path: Path
) -> None:
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    _wheel(wheelhouse, "mirrored")
    run = run_yaml(
        HEAD + """jobs:
  job:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v6
      - run: python -m pip install --quiet --disable-pip-version-check --target site mirrored
      - run: PYTHONPATH=site python -c 'import mirrored; assert mirrored.VALUE == 1'
      - run: test -z "$(find site -name '*.pyc')"
      - run: test "$(npm config get prefer-offline)" = true && test "$(npm config get audit)" = false
      - id: elsewhere
        continue-on-error: true
        run: python -m pip install --quiet --disable-pip-version-check --target other cigen-no-such-package
""",
        machine_env=package_mirror(wheelhouse),
    )
    leg = run["job"].legs[0]
    assert leg.result == SUCCESS, leg.log
    assert [step.outcome for step in leg.steps] == [SUCCESS] * 5 + [FAILURE]  # nothing but the mirror's wheels


def test_each_step_records_its_wall_time(run_yaml: Runner) -> None:
    leg = one_job(run_yaml, "      - run: sleep 1\n")["job"].legs[0]
    assert leg.result == SUCCESS, leg.log
    assert leg.steps[0].seconds >= 1.0
    assert re.search(r"^--- Run sleep 1 \[success, \d+\.\d s\]$", leg.log, re.M)  # beside each step, as GitHub shows it
