"""Values cigen.yaml accepts only when they mean something: finite durations, numbers that are numbers, folders
inside the repository, a sane number of instances. Each refusal is one line at the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cigen.config.loader import parse_config
from cigen.config.services import MAX_INSTANCES, MAX_SECONDS
from cigen.errors import InputError

SERVICE = "services:\n  api:\n    start: node server.js\n"


def refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "cigen.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        parse_config(path)
    return str(caught.value).removeprefix(f"{path}:")


DURATIONS = [
    ("restart.min_uptime", "    restart: {min_uptime: VALUE}\n", "4:15"),
    ("restart.backoff", "    restart: {backoff: VALUE}\n", "4:15"),
    ("kill_timeout", "    kill_timeout: VALUE\n", "4:5"),
    ("health.interval", "    health: {tcp: 4001, interval: VALUE}\n", "4:25"),
    ("health.timeout", "    health: {tcp: 4001, timeout: VALUE}\n", "4:25"),
    ("health.start_period", "    health: {tcp: 4001, start_period: VALUE}\n", "4:25"),
    ("health.deadline", "    health: {tcp: 4001, deadline: VALUE}\n", "4:25"),
]


@pytest.mark.parametrize("value", [".inf", "1e12", "600h"])
@pytest.mark.parametrize(("key", "line", "where"), DURATIONS, ids=[d[0] for d in DURATIONS])
def test_a_service_duration_beyond_node_timers_is_refused(tmp_path: Path, key: str, line: str, where: str,
                                                          value: str) -> None:
    message = refusal(tmp_path, SERVICE + line.replace("VALUE", value))
    assert message.startswith(f"{where}: services.api.{key}: value error, a duration must be at most 2,147,484 s")


def test_nan_is_no_duration(tmp_path: Path) -> None:
    assert refusal(tmp_path, SERVICE + "    restart: {min_uptime: .nan}\n").startswith(
        "4:15: services.api.restart.min_uptime: value error, a duration must be at most")


def test_the_log_rotation_check_interval_is_bounded_too(tmp_path: Path) -> None:
    assert refusal(tmp_path, "runtime:\n  log_rotation: {check_every: .inf}\n").startswith(
        "2:18: runtime.log_rotation.check_every: value error, a duration must be at most")


def test_the_longest_duration_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "cigen.yaml"
    path.write_text(SERVICE + f"    kill_timeout: {MAX_SECONDS}\n")
    assert parse_config(path).services["api"].kill_timeout == MAX_SECONDS


NUMBERS = [
    ("services.api.port", SERVICE + "    port: VALUE\n", "4:5"),
    ("services.api.instances", SERVICE + "    instances: VALUE\n", "4:5"),
    ("services.api.health.tcp", SERVICE + "    health: {tcp: VALUE}\n", "4:14"),
    ("services.api.health.retries", SERVICE + "    health: {tcp: 1, retries: VALUE}\n", "4:22"),
    ("services.api.restart.max_restarts", SERVICE + "    restart: {max_restarts: VALUE}\n", "4:15"),
    ("plan.concurrency", "plan: {concurrency: VALUE}\n", "1:8"),
    ("workflow.timeout_minutes", "workflow: {timeout_minutes: VALUE}\n", "1:12"),
    ("runtime.log_rotation.retain", "runtime:\n  log_rotation: {retain: VALUE}\n", "2:18"),
]


@pytest.mark.parametrize("value", ["true", "false"])
@pytest.mark.parametrize(("key", "text", "where"), NUMBERS, ids=[n[0] for n in NUMBERS])
def test_a_boolean_is_no_number(tmp_path: Path, key: str, text: str, where: str, value: str) -> None:
    # pydantic alone reads true as 1: `port: true` became PORT=1.
    message = refusal(tmp_path, text.replace("VALUE", value))
    assert message.startswith(f"{where}: {key}: value error, expected a number, not a boolean")


def test_a_number_written_as_text_still_counts(tmp_path: Path) -> None:
    path = tmp_path / "cigen.yaml"
    path.write_text(SERVICE + '    port: "4001"\n')
    assert parse_config(path).services["api"].port == 4001


def test_instances_are_bounded(tmp_path: Path) -> None:
    assert refusal(tmp_path, SERVICE + "    instances: 100000\n") == (
        f"4:5: services.api.instances: input should be less than or equal to {MAX_INSTANCES} (got 100000) "
        "(see the cigen.yaml reference in the README)")
    path = tmp_path / "cigen.yaml"
    path.write_text(SERVICE + f"    instances: {MAX_INSTANCES}\n")
    assert parse_config(path).services["api"].instances == MAX_INSTANCES


@pytest.mark.parametrize(
    ("cwd", "why"),
    [
        ("../..", "leaves the repository (give a folder inside the root)"),
        ("e2e/../../x", "leaves the repository (give a folder inside the root)"),
        ("/etc", "must be a relative folder with / separators (write e.g. e2e)"),
        ("~/x", "must be a relative folder with / separators (write e.g. e2e)"),
        ("..\\x", "must be a relative folder with / separators (write e.g. e2e)"),
    ],
)
def test_the_integration_command_runs_inside_the_repository(tmp_path: Path, cwd: str, why: str) -> None:
    message = refusal(tmp_path, f"runtime:\n  integration:\n    command: npm test\n    cwd: '{cwd}'\n")
    assert message.startswith(f"4:5: runtime.integration.cwd: value error, {cwd!r} {why}")


def test_an_integration_folder_inside_the_repository_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "cigen.yaml"
    path.write_text("runtime:\n  integration:\n    command: npm test\n    cwd: e2e/../tests\n")
    integration = parse_config(path).runtime.integration
    assert integration is not None and integration.cwd == "e2e/../tests"


def test_a_service_folder_is_never_absolute(tmp_path: Path) -> None:
    assert refusal(tmp_path, SERVICE + "    cwd: /etc\n").startswith(
        "4:5: services.api.cwd: value error, '/etc' must be a relative folder")
