"""Judging one answer: each expectation in turn, the first that does not hold saying what was expected and what
came, with the status, the start of the body and the time it took."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cigen.config.checks import ExpectConfig
from cigen.verify.expect import judge
from cigen.verify.http import Answer
from cigen.verify.schemas import Schemas
from cigen.verify.values import Secrets, Values


def answer(status: int | None = 200, body: Any = None, *, headers: dict[str, str] | None = None,
           elapsed: float = 0.05, error: str | None = None) -> Answer:
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode() if body is not None else b""
    return Answer(status=status, headers=tuple((headers or {"content-type": "application/json"}).items()),
                  body=data, elapsed=elapsed, error=error)


def verdict(got: Answer, tmp_path: Path, saved: dict[str, Any] | None = None, **expect: Any) -> tuple[bool, str, str]:
    values = Values({}, Secrets())
    values.saved.update(saved or {})
    found = judge(got, ExpectConfig.model_validate(expect) if expect else None, values=values,
                  schemas=Schemas(tmp_path, tmp_path / "cigen.yaml"))
    return found.ok, found.expected, found.got


@pytest.mark.parametrize(("got", "expect", "expected", "came"), [
    (answer(201), {}, "", ""),
    (answer(404, {"error": "no"}), {}, "status 200-299", "404 Not Found"),
    (answer(503), {"status": [200, 503]}, "", ""),
    (answer(None, error="connection refused on port 1"), {}, "an answer", "no answer: connection refused on port 1"),
    (answer(200, elapsed=2.5), {"within": "1s"}, "an answer within 1 s", "it took 2.5 s"),
    (answer(200, headers={"content-type": "text/html"}), {"headers": {"Content-Type": "application/json*"}},
     "Content-Type: application/json*", "Content-Type: text/html"),
    (answer(200, {"id": 1}, headers={}), {"headers": {"etag": "*"}}, "etag: *", "no etag header"),
    (answer(200, "all in stock now"), {"body": "*in stock*"}, "", ""),
    (answer(200, "sold out"), {"body": "*in stock*"}, "a body matching '*in stock*'", "'sold out'"),
    (answer(200, "<html>"), {"json": {"$.id": 1}}, "a JSON body", "a body that is not JSON"),
    (answer(200, {"id": "1"}), {"json": {"$.id": 1}}, "$.id = 1", '$.id = "1"'),
    (answer(200, {"id": 1.0}), {"json": {"$.id": 1}}, "", ""),
    (answer(200, {"ok": 1}), {"json": {"$.ok": True}}, "$.ok = true", "$.ok = 1"),
    (answer(200, {}), {"json": {"$.state": "issued"}}, '$.state = "issued"', "$.state = nothing"),
    (answer(200, {"id": 5}), {"schema": {"type": "object", "properties": {"id": {"type": "string"}}}},
     "a body matching the schema", "at $.id: 5 is not of type 'string'"),
])
def test_each_expectation_holds_or_says_what_came(tmp_path: Path, got: Answer, expect: dict[str, Any], expected: str,
                                                  came: str) -> None:
    assert verdict(got, tmp_path, **expect) == (not expected, expected, came)


def test_an_expected_value_may_be_a_saved_one(tmp_path: Path) -> None:
    assert verdict(answer(200, {"id": "o7"}), tmp_path, {"order": "o7"}, json={"$.id": "${order}"})[0]
    assert not verdict(answer(200, {"id": "o8"}), tmp_path, {"order": "o7"}, json={"$.id": "${order}"})[0]
