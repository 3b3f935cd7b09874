"""Schemas answers are held to: a file with $refs to its neighbours, an OpenAPI operation's response for the
status that came, and everything that cannot be used refused before a check runs, naming where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.config.checks import ExpectConfig
from cigen.errors import InputError
from cigen.verify.schemas import Schemas, describe_errors

OPENAPI = """\
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      responses:
        "200": {content: {application/json: {schema: {$ref: "#/components/schemas/Item"}}}}
        4XX: {content: {application/problem+json: {schema: {type: object, required: [title]}}}}
    delete:
      operationId: deleteItem
      responses: {"204": {description: gone}}
components:
  schemas:
    Item: {type: object, required: [id], properties: {id: {type: string}}}
"""


def schemas(tmp_path: Path) -> Schemas:
    return Schemas(tmp_path, tmp_path / "cigen.yaml")


def expect(**given: object) -> ExpectConfig:
    return ExpectConfig.model_validate(given)


def test_a_schema_file_resolves_its_refs_to_files_beside_it(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "price.json").write_text(json.dumps({"type": "number", "minimum": 0}))
    (tmp_path / "schemas" / "product.yaml").write_text(
        "type: object\nrequired: [price]\nproperties:\n  price: {$ref: price.json}\n")
    found = schemas(tmp_path)
    wanted = expect(schema={"file": "schemas/product.yaml"})
    found.prepare(wanted, "checks.c.expect")
    validator = found.validator(wanted)
    assert validator is not None
    assert describe_errors(validator, {"price": 3}) is None
    assert describe_errors(validator, {"price": -1}) == "at $.price: -1 is less than the minimum of 0"


def test_an_openapi_operation_gives_the_schema_of_the_status_that_came(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(OPENAPI)
    found = schemas(tmp_path)
    wanted = expect(openapi={"file": "api.yaml", "operation": "getItem"})
    found.prepare(wanted, "checks.c.expect")
    assert wanted.openapi is not None
    ok = found.openapi_validator(wanted.openapi, 200)
    assert ok is not None and ok[0] == "200"
    assert describe_errors(ok[1], {}) == "at $: 'id' is a required property"
    problem = found.openapi_validator(wanted.openapi, 404)
    assert problem is not None and problem[0] == "4XX" and describe_errors(problem[1], {"title": "x"}) is None
    assert found.openapi_validator(wanted.openapi, 500) is None  # undocumented: the status check tells


@pytest.mark.parametrize(("given", "files", "message"), [
    ({"schema": {"file": "nope.json"}}, {}, "checks.c.expect.schema.file: cannot use nope.json"),
    ({"schema": {"file": "../outside.json"}}, {}, "'../outside.json' is outside the repository"),
    ({"schema": {"file": "bad.json"}}, {"bad.json": '{"type": 5}'}, "bad.json is not a valid JSON Schema 2020-12"),
    ({"openapi": {"file": "api.yaml", "operation": "getItm"}}, {"api.yaml": OPENAPI},
     "checks.c.expect.openapi.operation: api.yaml has no operation 'getItm' (its operationIds: deleteItem, getItem)"),
    ({"openapi": {"file": "api.yaml", "operation": "deleteItem"}}, {"api.yaml": OPENAPI},
     "operation 'deleteItem' in api.yaml documents no JSON response schema"),
])
def test_what_cannot_be_used_is_refused_before_anything_runs(tmp_path: Path, given: dict[str, object],
                                                            files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(InputError) as refused:
        schemas(tmp_path).prepare(expect(**given), "checks.c.expect")
    assert message in str(refused.value)
    assert refused.value.path == tmp_path / "cigen.yaml"
