"""A resilience check's ``fault:``: exactly one of stop, pause, delay or error, each naming the service it hits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cigen.config.faults import FaultConfig
from cigen.config.loader import parse_config
from cigen.errors import InputError


def refusal(data: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        FaultConfig.model_validate(data)
    error = caught.value.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


@pytest.mark.parametrize(
    ("written", "kind", "service", "described"),
    [
        ({"stop": "shop-recommend"}, "stop", "shop-recommend", "stop shop-recommend"),
        ({"pause": "@shop/api"}, "pause", "@shop/api", "pause @shop/api"),
        ({"delay": {"service": "billing", "by": "2s"}}, "delay", "billing", "delay billing by 2 s"),
        ({"delay": {"service": "billing", "by": "250ms"}}, "delay", "billing", "delay billing by 0.25 s"),
        ({"error": {"service": "billing", "status": 500}}, "error", "billing", "error 500 from billing"),
        ({"error": {"service": "billing"}}, "error", "billing", "error 503 from billing"),
    ],
)
def test_each_fault_names_its_kind_and_service(written: Any, kind: str, service: str, described: str) -> None:
    fault = FaultConfig.model_validate(written)
    assert (fault.kind, fault.service, fault.describe()) == (kind, service, described)
    assert fault.proxied == (kind in ("delay", "error"))


def test_a_delay_is_stored_in_seconds() -> None:
    fault = FaultConfig.model_validate({"delay": {"service": "api", "by": "1m30s"}})
    assert fault.delay is not None and fault.delay.by == 90.0


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ({}, "value error, give exactly one of stop, pause, delay or error (got none)"),
        ({"stop": "a", "pause": "b"}, "value error, give exactly one of stop, pause, delay or error (got stop, pause)"),
        ({"kill": "a"}, "kill: extra inputs are not permitted"),
        ({"stop": ""}, "stop: string should have at least 1 character"),
        ({"stop": "  "}, "stop: string should have at least 1 character"),
        ({"stop": ["a", "b"]}, "stop: input should be a valid string"),
        ({"delay": {"service": "a"}}, "delay.by: field required"),
        ({"delay": {"service": "a", "by": "soon"}}, "delay.by: value error, expected a duration such as 250ms"),
        ({"delay": {"service": "a", "by": 0}}, "delay.by: input should be greater than 0"),
        ({"delay": {"by": "2s"}}, "delay.service: field required"),
        ({"delay": "a"}, "delay: input should be a valid dictionary or instance of delayfault"),
        ({"error": {"service": "a", "status": 600}}, "error.status: input should be less than or equal to 599"),
        ({"error": {"service": "a", "status": 99}}, "error.status: input should be greater than or equal to 100"),
        ({"error": {"service": "a", "status": True}}, "error.status: value error, expected a number, not a boolean"),
        ({"error": {"service": "a", "code": 500}}, "error.code: extra inputs are not permitted"),
    ],
)
def test_a_bad_fault_is_refused_with_its_reason(written: Any, message: str) -> None:
    assert refusal(written).lower().startswith(message.lower())


RESILIENCE = ("checks:\n  degrades:\n    kind: resilience\n    request: {service: api, path: /related}\n"
              "    expect: {within: 1s}\n    fault:\n")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("      delay: {service: recommend, by: soon}\n", "7:35: checks.degrades.fault.delay.by: value error, expected a duration"),
        ("      error: {service: recommend, status: 600}\n", "7:35: checks.degrades.fault.error.status: input should be"),
        ("      stop: recommend\n      pause: recommend\n", "6:5: checks.degrades.fault: value error, give exactly one of"),
        ("      kill: recommend\n", "7:7: unknown key checks.degrades.fault.kill (allowed keys: delay, error, pause, stop)"),
    ],
    ids=["duration", "status", "two", "unknown"],
)
def test_a_bad_fault_in_cigen_yaml_is_one_located_line(tmp_path: Path, fault: str, message: str) -> None:
    path = tmp_path / "cigen.yaml"
    path.write_text(RESILIENCE + fault)
    with pytest.raises(InputError) as caught:
        parse_config(path)
    assert str(caught.value).removeprefix(f"{path}:").lower().startswith(message.lower())
