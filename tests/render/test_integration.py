"""The integration job with checks: `cigen verify` after `cigen up`, its JUnit file uploaded with the
logs, the variables the checks read passed from secrets, and `cigen down` whatever happened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from cigen.app.generate import generate_workflow
from cigen.config.loader import load_config
from cigen.discovery import discover
from testing.monorepos import write_monorepo
from testing.validators import assert_valid_workflow

MANIFESTS = {
    ".": {"name": "m", "private": True, "workspaces": ["services/*"]},
    "services/auth": {"name": "auth", "scripts": {"start": "node auth.js"}},
    "services/api": {"name": "api", "scripts": {"start": "node api.js"}},
}
SERVICES = """\
services:
  auth: {port: 4001}
  api: {port: 4000, depends_on: [auth]}
"""
CHECKS = """\
checks:
  me:
    kind: auth
    request: {service: api, path: /me}
    credentials: {headers: {authorization: "Bearer ${API_TOKEN}", x-trace: "${GITHUB_SHA}"}}
  login:
    kind: flow
    steps:
      - request: {service: auth, method: POST, path: /tokens, headers: {x-key: "${AUTH_KEY}"}}
        save: {token: $.token}
      - request: {service: api, path: /me, headers: {authorization: "Bearer ${token}"}}
"""


def integration(tmp_path: Path, config: str) -> tuple[str, list[dict[str, Any]]]:
    root = write_monorepo(tmp_path / "m", MANIFESTS, config=config)
    loaded = load_config(root)
    text = generate_workflow(discover(root, loaded), loaded).text
    return text, YAML(typ="safe", pure=True).load(text)["jobs"]["integration"]["steps"]


def names(steps: list[dict[str, Any]]) -> list[str]:
    return [step.get("name", "") for step in steps]


def step(steps: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(s for s in steps if s.get("name") == name)


def test_with_checks_the_job_verifies_the_stack_after_up_and_before_down(tmp_path: Path) -> None:
    _, steps = integration(tmp_path, SERVICES + CHECKS)
    order = names(steps)
    start = order.index("Start the services")
    assert order[start:start + 4] == [
        "Start the services", "Check the services together",
        "Upload the check results and the service logs", "Stop the services",
    ]
    verify = step(steps, "Check the services together")
    assert verify["id"] == "verify"
    assert verify["run"] == 'cigen verify --junit "$CIGEN_JUNIT"'
    assert step(steps, "Stop the services") == {"name": "Stop the services", "if": "always()", "run": "cigen down"}


def test_the_variables_the_checks_read_come_from_secrets_of_their_names_saved_values_do_not(tmp_path: Path) -> None:
    _, steps = integration(tmp_path, SERVICES + CHECKS)
    env = step(steps, "Check the services together")["env"]
    # ${token} is saved by a step; ${GITHUB_SHA} is the runner's own: neither is a secret.
    assert env == {
        "CIGEN_JUNIT": "${{ runner.temp }}/cigen-verify/junit.xml",
        "API_TOKEN": "${{ secrets.API_TOKEN }}",
        "AUTH_KEY": "${{ secrets.AUTH_KEY }}",
    }


def test_a_job_reading_secrets_runs_in_a_dedicated_environment_and_one_reading_none_in_none(tmp_path: Path) -> None:
    text, _ = integration(tmp_path, SERVICES + CHECKS)
    job = YAML(typ="safe", pure=True).load(text)["jobs"]["integration"]
    assert job["environment"] == "cigen-integration"
    # Checks that read no environment variable need no secret, so no environment (and no protection rule to pass).
    no_secrets = CHECKS.replace("${API_TOKEN}", "fixed").replace('x-key: "${AUTH_KEY}"', "x-key: fixed")
    text, _ = integration(tmp_path / "plain", SERVICES + no_secrets)
    assert "environment" not in YAML(typ="safe", pure=True).load(text)["jobs"]["integration"]


def test_the_junit_file_is_uploaded_with_the_logs_on_every_run_that_was_not_cancelled(tmp_path: Path) -> None:
    _, steps = integration(tmp_path, SERVICES + CHECKS)
    upload = step(steps, "Upload the check results and the service logs")
    assert upload["if"] == "!cancelled()"
    assert upload["with"]["path"].splitlines() == [".cigen/logs", "${{ runner.temp }}/cigen-verify/junit.xml"]


def test_without_checks_there_is_no_verify_step_and_logs_are_uploaded_on_failure_only(tmp_path: Path) -> None:
    _, steps = integration(tmp_path, SERVICES)
    assert "Check the services together" not in names(steps)
    upload = step(steps, "Upload the service logs")
    assert (upload["name"], upload["if"], upload["with"]["path"]) == ("Upload the service logs", "failure()", ".cigen/logs")


def test_the_integration_workflow_with_checks_passes_the_validators(tmp_path: Path) -> None:
    text, _ = integration(tmp_path, SERVICES + CHECKS)
    path = tmp_path / "wf" / ".github" / "workflows" / "cigen.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert_valid_workflow(path)
