"""The validator harness: each validator passes a clean workflow and catches a real problem.

If any of these failed to catch its problem, every "passes the validators"
assertion in the suite would be worthless, so each one is shown failing here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.validators import (
    PERSONAS,
    ROOT,
    action_findings,
    actionlint,
    assert_valid_workflow,
    check_jsonschema,
    workflow_findings,
    zizmor,
    zizmor_personas,
)

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"

GOOD = f"""\
name: ci
on:
  pull_request:
  push:
    branches: [main]
permissions: {{}}
concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}
  cancel-in-progress: true
jobs:
  test:
    name: test
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - name: greet
        env:
          TITLE: ${{{{ github.event.pull_request.title }}}}
        run: echo "$TITLE"
"""

GOOD_ACTION = """\
name: greet
description: Say hello.
inputs:
  who:
    description: whom to greet
    required: true
runs:
  using: composite
  steps:
    - shell: bash
      env:
        WHO: ${{ inputs.who }}
      run: echo "hello $WHO"
"""


def write(tmp_path: Path, text: str, name: str = "ci.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_clean_workflow_has_no_findings_from_any_validator(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert actionlint(path) == []
    assert zizmor(path) == []
    assert check_jsonschema(path) == []
    assert_valid_workflow(path)


def test_the_pedantic_persona_catches_a_computed_index(tmp_path: Path) -> None:
    bad = GOOD.replace("${{ github.event.pull_request.title }}", "${{ fromJSON(env.DATA)[github.ref_name] }}")
    assert zizmor(write(tmp_path, bad)) == []  # the regular persona lets it pass
    assert any("zizmor [obfuscation]" in f and "[persona pedantic]" in f for f in zizmor_personas(write(tmp_path, bad)))


def _untagged(finding: str) -> tuple[str, str]:
    """A finding of zizmor_personas as (the finding, the persona it is tagged with)."""
    text, persona = finding.rsplit(" [persona ", 1)
    return text, persona.removesuffix("]")


def test_one_auditor_run_of_zizmor_is_each_persona_run_apart(tmp_path: Path) -> None:
    """zizmor_personas runs zizmor once, as the auditor: that holds while each persona reports exactly the
    findings of the personas up to it, and each finding names the least persona that reports it."""
    # An unpinned action (a regular finding); a computed index, no workflow permissions and no
    # concurrency (pedantic ones).
    bad = GOOD.replace(CHECKOUT, "actions/checkout@v4").replace(
        "${{ github.event.pull_request.title }}", "${{ fromJSON(env.DATA)[github.ref_name] }}")
    bad = bad.replace("permissions: {}\n", "").replace(bad[bad.index("concurrency:"):bad.index("jobs:")], "")
    path = write(tmp_path, bad)
    tagged = [_untagged(finding) for finding in zizmor_personas(path)]
    assert {persona for _, persona in tagged} == {"regular", "pedantic"}
    for rank, persona in enumerate(PERSONAS):
        expected = sorted(text for text, least in tagged if least in PERSONAS[: rank + 1])
        assert sorted(zizmor(path, persona=persona)) == expected, persona


def test_actionlint_catches_a_malformed_expression(tmp_path: Path) -> None:
    bad = GOOD.replace('run: echo "$TITLE"', 'run: echo "${{ github.sha( }}"')
    findings = actionlint(write(tmp_path, bad))
    assert len(findings) == 1
    assert "actionlint [expression]" in findings[0] and "ci.yml:23:" in findings[0]


def test_actionlint_catches_an_undefined_job_in_needs(tmp_path: Path) -> None:
    bad = GOOD.replace("    name: test\n", "    name: test\n    needs: [build]\n")
    assert any('"build"' in f and "needs" in f for f in actionlint(write(tmp_path, bad)))


def test_actionlint_lints_text_under_the_given_name() -> None:
    findings = actionlint(GOOD.replace("ubuntu-latest", "ubuntu-lastest"), name="text.yml")
    assert len(findings) == 1 and findings[0].startswith("text.yml:13:")
    assert "runner-label" in findings[0]


def test_actionlint_accepts_hosted_runner_labels_newer_than_its_build() -> None:
    assert actionlint(GOOD.replace("ubuntu-latest", "ubuntu-24.04")) == []


def test_zizmor_catches_an_unpinned_action(tmp_path: Path) -> None:
    bad = GOOD.replace(CHECKOUT, "actions/checkout@v4")
    findings = zizmor(write(tmp_path, bad))
    assert [f for f in findings if "[unpinned-uses]" in f and "ci.yml:17:" in f]


def test_zizmor_catches_template_injection_in_a_run_step(tmp_path: Path) -> None:
    bad = GOOD.replace('run: echo "$TITLE"', 'run: echo "${{ github.event.pull_request.title }}"')
    findings = zizmor(write(tmp_path, bad))
    assert len(findings) == 1 and "[template-injection]" in findings[0]


def test_zizmor_catches_persisted_credentials(tmp_path: Path) -> None:
    bad = GOOD.replace("        with:\n          persist-credentials: false\n", "")
    assert any("[artipacked]" in f for f in zizmor(write(tmp_path, bad)))


def test_zizmor_audits_a_workflow_outside_a_github_workflows_folder(tmp_path: Path) -> None:
    bad = GOOD.replace(CHECKOUT, "actions/checkout@v4")
    nested = tmp_path / "repo" / ".github" / "workflows"
    nested.mkdir(parents=True)
    assert len(zizmor(write(nested, bad))) == len(zizmor(write(tmp_path, bad))) > 0


def test_zizmor_reports_a_file_it_cannot_load_as_a_finding(tmp_path: Path) -> None:
    findings = zizmor(write(tmp_path, GOOD.replace("steps:", "stepz:")))
    assert len(findings) == 1 and "zizmor could not load the file" in findings[0]
    assert "stepz" in findings[0]


def test_check_jsonschema_catches_a_schema_violation(tmp_path: Path) -> None:
    bad = GOOD.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    timeout-minutes: soon")
    findings = check_jsonschema(write(tmp_path, bad))
    assert len(findings) == 1 and "$.jobs.test" in findings[0]


def test_check_jsonschema_reports_unparseable_yaml(tmp_path: Path) -> None:
    findings = check_jsonschema(write(tmp_path, "on: [push\n"))
    assert len(findings) == 1 and "could not parse" in findings[0]


def test_an_action_is_checked_against_the_action_schema(tmp_path: Path) -> None:
    assert action_findings(write(tmp_path, GOOD_ACTION, "action.yml")) == []
    broken = GOOD_ACTION.replace("    - shell: bash\n", "    - ")
    findings = check_jsonschema(write(tmp_path, broken, "action.yml"), "vendor.github-actions")
    assert findings and all("action.yml" in f for f in findings)


def test_assert_valid_workflow_lists_every_finding_of_every_validator(tmp_path: Path) -> None:
    # A wrong type fails the schema (zizmor then refuses to load the file: a
    # finding too) and an injected title fails actionlint.
    bad = GOOD.replace('run: echo "$TITLE"', 'run: echo "${{ github.event.pull_request.title }}"').replace(
        "runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    timeout-minutes: soon"
    )
    path = write(tmp_path, bad)
    with pytest.raises(AssertionError) as failure:
        assert_valid_workflow(path)
    message = str(failure.value)
    for expected in ("actionlint [expression]", "zizmor could not load", "check-jsonschema:"):
        assert expected in message
    assert f"{len(workflow_findings(path))} validator finding(s)" in message


def _can_isolate_network() -> bool:
    unshare = shutil.which("unshare")
    return bool(unshare) and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_isolate_network(), reason="needs `unshare -n` (a network namespace)")
def test_the_validators_work_without_any_network(tmp_path: Path) -> None:
    good = write(tmp_path, GOOD)
    bad = write(tmp_path, GOOD.replace(CHECKOUT, "actions/checkout@v4"), "bad.yml")
    script = (
        "import sys; from pathlib import Path; from testing.validators import workflow_findings\n"
        "print(len(workflow_findings(Path(sys.argv[1]))), len(workflow_findings(Path(sys.argv[2]))))"
    )
    result = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", script, str(good), str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["0", str(len(workflow_findings(bad)))]
