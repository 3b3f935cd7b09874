"""The integration job: after the stages, start the services under PM2 and test them together.

It runs when a change affected anything and no stage failed:

1. check out, set up the toolchains of the services it starts, install cigen,
   pm2 (the version cigen is tested with, unless the repository has its own)
   and the dependencies;
2. download every build output this run uploaded, then build, dependencies
   first, the services it needs that this run did not build (a partial run
   builds only what the change affected);
3. ``cigen up`` (health-gated, in dependency order); when cigen.yaml has
   ``checks:``, ``cigen verify`` (its Markdown table and coverage go to the
   job summary, its JUnit file to an artifact with the logs, whatever the
   result); the configured test command; the logs as an artifact when
   anything failed; and ``cigen down`` whatever happened;
4. the run's report (``cigen report``: the sampler ``cigen up`` started watched
   the services from up to down) into the job summary, its JSON as an
   artifact; a threshold it failed fails the job.

The environment variables the checks read (``${SHOP_TOKEN}``: a credential,
typically) reach ``cigen verify`` from the repository's secrets of the same
names, through the step's ``env:``: GitHub masks them in the log, and cigen
never prints them.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from cigen.render.expressions import escape, json_text
from cigen.render.outputs import everything_steps
from cigen.render.pins import uses_step
from cigen.render.workflow_steps import bash_defaults, checkout, install_step, run_step, setup_steps
from cigen.plan.toolchains import Toolchain, Versions
from cigen.config.workflow import WorkflowConfig

JOB = "integration"
REPORT_ARTIFACT = "cigen-run-report"

# The JSON first (its exit code is the verdict), then the Markdown into the summary whatever it said.
_REPORT = """\
status=0
cigen report --format json > "$REPORT_JSON" || status=$?
if [ -s "$REPORT_JSON" ]; then cigen report --format markdown >> "$GITHUB_STEP_SUMMARY" || true; fi
exit "$status"
"""

# pm2 comes from the repository's own lockfile when it has it; otherwise from
# the lockfile cigen ships (cigen/render/pm2, the version cigen is tested with).
_INSTALL_PM2 = """\
if [ -x node_modules/.bin/pm2 ]; then exit 0; fi
lock="$(python -c 'import importlib.resources as r; print(r.files("cigen.render") / "pm2")')"
mkdir -p "$RUNNER_TEMP/cigen-pm2"
cp "$lock/package.json" "$lock/package-lock.json" "$RUNNER_TEMP/cigen-pm2/"
npm ci --prefix "$RUNNER_TEMP/cigen-pm2" --ignore-scripts --no-audit --no-fund
echo "CIGEN_PM2=$RUNNER_TEMP/cigen-pm2/node_modules/.bin/pm2" >> "$GITHUB_ENV"
"""

# Reads BUILDS (JSON: [{"path", "artifact", "run"}], dependencies first) and
# builds each service whose outputs no earlier job of this run uploaded.
_BUILD_MISSING = """\
python - <<'PY'
import json, os, subprocess
downloaded = os.path.join(os.environ["RUNNER_TEMP"], "cigen-dependencies")
for service in json.loads(os.environ["BUILDS"]):
    if os.path.isdir(os.path.join(downloaded, service["artifact"])):
        continue
    print(f"building {service['path']}: this run did not build it", flush=True)
    subprocess.run(service["run"], cwd=service["path"], check=True)
PY"""


@dataclass(frozen=True, slots=True)
class Build:
    path: str
    artifact: str  # where the stages put its outputs, when this run built it
    run: tuple[str, ...]  # the build command (argv), run in its folder


@dataclass(frozen=True, slots=True)
class IntegrationCI:
    """What the integration job starts, tests and builds; known when the workflow is generated."""

    services: tuple[str, ...]  # names passed to `cigen up`; empty: every service
    command: str | None  # the integration test command, run in `cwd`
    cwd: str
    logs: str  # the runtime logs folder, uploaded when something failed
    toolchains: tuple[Toolchain, ...]  # of every service it builds or starts, sorted by key
    installs: tuple[tuple[Toolchain, str], ...]  # each toolchain's install folders (per service when it has none)
    builds: tuple[Build, ...]  # services with a build task it needs, dependencies first
    checks: bool = False  # cigen.yaml has checks: run `cigen verify` once the services are up
    check_environment: tuple[str, ...] = ()  # the variables the checks read, each from the secret of its name


def integration_job(
    integration: IntegrationCI,
    cfg: WorkflowConfig,
    versions: Versions,
    needs: object,
    runs_on: object,
    requirement: str,
    python: str,
) -> CommentedMap:
    steps: list[CommentedMap] = [checkout()]
    for tc in integration.toolchains:
        steps += setup_steps(tc, versions, None)
    if not any(tc.node for tc in integration.toolchains):
        steps.append(uses_step("actions/setup-node", name="Set up Node.js for pm2",
                               with_={"node-version": versions.node or "24", "package-manager-cache": False}))
    # cigen's own Python last, so that `python` and `cigen` on PATH are these.
    steps.append(uses_step("actions/setup-python", name="Set up Python for cigen", with_={"python-version": python}))
    steps.append(run_step("Install cigen", 'python -m pip install "$CIGEN_REQUIREMENT"',
                          env={"CIGEN_REQUIREMENT": escape(requirement)}))
    steps += [CommentedMap(deepcopy(step)) for step in cfg.setup]  # no shared nodes: YAML would alias them
    for tc, folder in integration.installs:
        steps.append(install_step(tc, None, folder))
    steps.append(run_step("Install pm2 (unless the repository has its own)", _INSTALL_PM2))
    if integration.builds:
        steps += everything_steps()
        steps.append(run_step("Build what this run did not build", _BUILD_MISSING,
                              env={"BUILDS": LiteralScalarString(_builds_json(integration))}))
    up_env = {"SERVICES": LiteralScalarString(escape("\n".join(integration.services)) + "\n")} \
        if integration.services else None
    steps.append(run_step(
        "Start the services",
        'mapfile -t services <<< "$SERVICES"\ncigen up -- "${services[@]}"' if up_env else "cigen up",
        env=up_env,
    ))
    if integration.checks:
        steps.append(_verify_step(integration))
    if integration.command:
        steps.append(run_step("Integration tests", 'bash -c "$COMMAND"',
                              env={"COMMAND": escape(integration.command)},
                              working_directory=escape(integration.cwd)))
    steps.append(_upload_step(integration))
    steps.append(run_step("Stop the services", "cigen down", if_="always()"))
    report = f"{integration.logs}/run/report.json"
    steps.append(run_step("Report on the run", _REPORT, if_="!cancelled()",
                          env={"REPORT_JSON": escape(report)}))
    steps.append(uses_step("actions/upload-artifact", name="Upload the run report", if_="${{ !cancelled() }}", with_={
        "name": REPORT_ARTIFACT,
        "path": escape(report),
        "include-hidden-files": True,  # the logs folder is .cigen/logs by default
        "if-no-files-found": "ignore",
        "retention-days": 30,
        "overwrite": True,
    }))

    job = CommentedMap()
    job["name"] = JOB
    job["needs"] = needs
    job["if"] = "${{ !cancelled() && !failure() && needs.plan.outputs.any == 'true' }}"
    job["runs-on"] = runs_on
    if integration.checks and _check_secrets(integration):
        job["environment"] = ENVIRONMENT
    job["timeout-minutes"] = cfg.timeout_minutes
    job["permissions"] = CommentedMap({"contents": "read"})
    job["defaults"] = bash_defaults()
    job["steps"] = steps
    return job


# Where `cigen verify` writes its JUnit file: outside the checkout, uploaded with the logs.
JUNIT = "${{ runner.temp }}/cigen-verify/junit.xml"


# Variables the runner sets itself: no secret can have these names, and none is needed.
_RUNNER_SETS = ("GITHUB_", "RUNNER_", "ACTIONS_")

# The GitHub environment of a job that reads the checks' secrets: a place for them with its own protection rules
# (required reviewers, branches), as zizmor's secrets-outside-env asks. GitHub creates it at the first run that names
# it; repository secrets stay readable there, so nothing has to move.
ENVIRONMENT = "cigen-integration"


def _check_secrets(integration: IntegrationCI) -> tuple[str, ...]:
    return tuple(name for name in integration.check_environment if not name.startswith(_RUNNER_SETS) and name != "CI")


def _verify_step(integration: IntegrationCI) -> CommentedMap:
    env = {"CIGEN_JUNIT": JUNIT}
    env.update({name: f"${{{{ secrets.{name} }}}}" for name in _check_secrets(integration)})
    return run_step("Check the services together", 'cigen verify --junit "$CIGEN_JUNIT"', id="verify", env=env)


def _upload_step(integration: IntegrationCI) -> CommentedMap:
    """The service logs when anything failed; with checks, their JUnit file and the logs on every run that
    checked (a test report reads the JUnit file, a failed check's logs explain it)."""
    name, when, path = "Upload the service logs", "failure()", escape(integration.logs)
    if integration.checks:
        name = "Upload the check results and the service logs"
        when = "!cancelled()"
        path = LiteralScalarString(f"{path}\n{JUNIT}\n")
    return uses_step("actions/upload-artifact", name=name, if_=when, with_={
        "name": "cigen-integration-logs",
        "path": path,
        "include-hidden-files": True,
        "if-no-files-found": "ignore",
        "retention-days": 7,
        "overwrite": True,
    })


def _builds_json(integration: IntegrationCI) -> str:
    items = [json_text({"artifact": b.artifact, "path": b.path, "run": list(b.run)}) for b in integration.builds]
    return "[\n" + ",\n".join(f"  {item}" for item in items) + "\n]\n"
