"""cigen.yaml `services:` and `runtime:`: durations, statuses, probes and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from cigen.config.loader import parse_config
from cigen.errors import InputError
from cigen.config.services import HealthConfig, ServiceConfig, format_status, parse_status
from cigen.durations import format_seconds, parse_duration


@pytest.mark.parametrize(("given", "seconds"), [
    ("250ms", 0.25), ("2s", 2.0), ("1m", 60.0), ("1m30s", 90.0), ("1h", 3600.0), ("1.5s", 1.5),
    (3, 3.0), (0.5, 0.5), ("10", 10.0), (" 2s ", 2.0), (0, 0.0),
])
def test_durations_are_numbers_of_seconds_or_text_with_units(given: object, seconds: float) -> None:
    assert parse_duration(given) == seconds


@pytest.mark.parametrize("given", ["fast", "2 s", "2sec", "-1s", -1, True, "1m-30s", "", None, [1]])
def test_anything_else_is_not_a_duration(given: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(given)


def test_seconds_read_naturally_in_messages() -> None:
    assert [format_seconds(s) for s in (2.0, 0.25, 1.3333, 60.0)] == ["2 s", "0.25 s", "1.33 s", "60 s"]


@pytest.mark.parametrize(("given", "ranges", "shown"), [
    ("200-399", ((200, 399),), "200-399"),
    (200, ((200, 200),), "200"),
    ("204,200", ((200, 200), (204, 204)), "200,204"),
    ([200, "300-399"], ((200, 200), (300, 399)), "200,300-399"),
])
def test_statuses_are_codes_ranges_or_lists(given: object, ranges: tuple, shown: str) -> None:
    assert parse_status(given) == ranges
    assert format_status(parse_status(given)) == shown


@pytest.mark.parametrize("given", ["2xx", "399-200", "99", "600", "200-700", "ok", True])
def test_a_status_outside_100_599_or_backwards_is_rejected(given: object) -> None:
    with pytest.raises(ValueError):
        parse_status(given)


def test_a_health_check_needs_exactly_one_probe() -> None:
    with pytest.raises(ValidationError, match="give exactly one of http, tcp or cmd \\(got none\\)"):
        HealthConfig()
    with pytest.raises(ValidationError, match="give exactly one of http, tcp or cmd \\(got http, tcp\\)"):
        HealthConfig(http="/health", tcp=4001)


@pytest.mark.parametrize("url", ["http://127.0.0.1:4001/health", "https://localhost/ready", "/health", "/"])
def test_http_probes_take_a_url_or_a_path(url: str) -> None:
    assert HealthConfig(http=url).http == url


@pytest.mark.parametrize("url", ["localhost:4001/health", "ftp://x/y", "health", "http:///x"])
def test_http_probes_reject_what_is_neither(url: str) -> None:
    with pytest.raises(ValidationError, match="http must be a URL"):
        HealthConfig(http=url)


@pytest.mark.parametrize(("tcp", "ok"), [(4001, True), ("127.0.0.1:4001", True), ("[::1]:80", True), (":80", True),
                                          (0, False), (70000, False), ("host", False), ("host:x", False)])
def test_tcp_probes_take_a_port_or_host_port(tcp: object, ok: bool) -> None:
    if ok:
        assert HealthConfig(tcp=tcp).tcp == tcp
    else:
        with pytest.raises(ValidationError, match="tcp must be a port"):
            HealthConfig(tcp=tcp)


def test_defaults_follow_the_issue_contract_and_pm2() -> None:
    svc = ServiceConfig()
    assert (svc.instances, svc.kill_timeout, svc.enabled) == (1, 1.6, True)
    assert (svc.restart.max_restarts, svc.restart.min_uptime, svc.restart.backoff) == (16, 1.0, 0.1)
    health = HealthConfig(tcp=1)
    assert (health.interval, health.timeout, health.start_period, health.deadline, health.retries) == (
        0.25, 2.0, 0.0, 60.0, None)
    assert health.status == ((200, 399),)


def test_empty_start_commands_are_rejected() -> None:
    for start in ("", "  ", []):
        with pytest.raises(ValidationError, match="start must not be empty"):
            ServiceConfig(start=start)


def _load(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "cigen.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        parse_config(path)
    return info.value


def test_a_bad_duration_in_cigen_yaml_names_the_key_line_and_value(tmp_path: Path) -> None:
    error = _load(tmp_path, "services:\n  api:\n    health:\n      tcp: 4001\n      interval: soon\n")
    assert str(error).startswith(f"{tmp_path / 'cigen.yaml'}:5:7: services.api.health.interval: value error, "
                                 "expected a duration such as 250ms")
    assert "(got 'soon')" in str(error)


def test_an_unknown_key_in_a_service_lists_the_allowed_ones(tmp_path: Path) -> None:
    error = _load(tmp_path, "services:\n  api:\n    restart_policy: always\n")
    assert "unknown key services.api.restart_policy" in str(error)
    assert "allowed keys: cwd, depends_on, enabled, env, health, instances, kill_timeout, monitor, port, restart, start" in str(
        error)


def test_the_runtime_section_holds_logs_namespace_and_the_integration_command(tmp_path: Path) -> None:
    path = tmp_path / "cigen.yaml"
    path.write_text("runtime:\n  logs: out/logs\n  integration:\n    command: npm run e2e\n    services: [api]\n")
    runtime = parse_config(path).runtime
    assert runtime.logs == "out/logs"
    assert runtime.integration is not None
    assert (runtime.integration.command, runtime.integration.services, runtime.integration.cwd) == (
        "npm run e2e", ["api"], ".")
