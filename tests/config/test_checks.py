"""cigen.yaml ``checks:``: the issue's example reads as written, each kind takes its own keys, and what is
wrong is refused when the file is read (the located one-line messages are in tests/test_bad_input_table.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cigen.config.checks import AuthCheck, ContractCheck, FlowCheck, ResilienceCheck, SchemaFile, StateCheck, references
from cigen.config.loader import parse_config
from cigen.config.root import Config

ISSUE_EXAMPLE = """\
checks:
  product-contract:
    kind: contract
    request: {service: "@shop/api", method: GET, path: /products/mug, headers: {accept: application/json}}
    expect:
      status: 200
      headers: {content-type: "application/json*"}
      schema: {type: object, required: [id, price]}
  order-flow:
    kind: flow
    steps:
      - request: {service: "@shop/api", method: POST, path: /orders, json: {sku: mug, qty: 1},
                  headers: {authorization: "Bearer ${SHOP_TOKEN}"}}
        expect: {status: 201}
        save: {order: $.id}
      - eventually: 5s
        request: {service: billing, path: "/invoices/${order}"}
        expect: {status: 200, json: {$.state: issued}}
  stock-agrees:
    kind: state
    steps:
      - request: {service: "@shop/api", method: POST, path: /cart, json: {sku: mug}}
      - eventually: 2s
        agree:
          - {service: "@shop/api", path: /stock/mug, at: $.count}
          - {service: inventory, path: /items/mug, at: $.stock}
  me-needs-auth:
    kind: auth
    request: {service: "@shop/api", path: /me}
    refused: [401, 403]
    credentials: {headers: {authorization: "Bearer ${SHOP_TOKEN}"}}
    expect: {status: 200}
  related-degrades:
    kind: resilience
    fault: {stop: shop-recommend}
    request: {service: "@shop/api", path: /products/mug/related}
    expect: {within: 1s, status: [200, 503]}
    recover: 10s
"""


def checks(tmp_path: Path, text: str) -> dict[str, Any]:
    path = tmp_path / "cigen.yaml"
    path.write_text(textwrap.dedent(text))
    return dict(parse_config(path).checks)


def test_the_issue_example_reads_as_written(tmp_path: Path) -> None:
    found = checks(tmp_path, ISSUE_EXAMPLE)
    assert [type(c) for c in found.values()] == [ContractCheck, FlowCheck, StateCheck, AuthCheck, ResilienceCheck]

    contract = found["product-contract"]
    assert contract.request.headers == {"accept": "application/json"}
    assert contract.expect.status == ((200, 200),)
    assert contract.expect.json_schema == {"type": "object", "required": ["id", "price"]}

    flow = found["order-flow"].all_steps
    assert flow[0].request.method == "POST" and flow[0].request.json_body == {"sku": "mug", "qty": 1}
    assert flow[0].save == {"order": "$.id"}
    assert (flow[1].eventually, flow[1].expect.json_values) == (5.0, {"$.state": "issued"})

    agree = found["stock-agrees"].all_steps[1].agree
    assert [(read.service, read.at) for read in agree] == [("@shop/api", "$.count"), ("inventory", "$.stock")]

    auth = found["me-needs-auth"]
    assert auth.refused == ((401, 401), (403, 403))
    assert auth.credentials.headers == {"authorization": "Bearer ${SHOP_TOKEN}"}

    resilience = found["related-degrades"]
    assert (resilience.fault.kind, resilience.fault.service) == ("stop", "shop-recommend")
    assert (resilience.expect.within, resilience.expect.status, resilience.recover) == (1.0, ((200, 200), (503, 503)), 10.0)


def test_a_single_request_is_a_check_of_one_step_and_the_defaults_are_safe() -> None:
    check = Config.model_validate({"checks": {"c": {"kind": "contract", "request": {"service": "api"}}}}).checks["c"]
    (step,) = check.all_steps
    assert step.request is not None
    assert (step.request.method, step.request.path, step.request.timeout) == ("GET", "/", 10.0)
    assert step.expect is None  # the engine then wants any 2xx


def test_method_is_any_case_and_header_values_are_text() -> None:
    check = Config.model_validate({"checks": {"c": {"kind": "contract", "request": {
        "service": "api", "method": "post", "headers": {"x-count": 3, "x-flag": True}}}}}).checks["c"]
    assert check.request.method == "POST"
    assert check.request.headers == {"x-count": "3", "x-flag": "true"}


def test_a_schema_in_a_file_is_told_from_an_inline_one() -> None:
    expect = {"schema": {"file": "schemas/product.json"}}
    check = Config.model_validate({"checks": {"c": {"kind": "contract", "request": {"service": "a"},
                                                    "expect": expect}}}).checks["c"]
    assert check.expect.json_schema == SchemaFile(file="schemas/product.json")


def test_references_name_variables_and_a_doubled_dollar_is_literal() -> None:
    assert references("Bearer ${TOKEN} for ${order}") == ["TOKEN", "order"]
    assert references("price: $${not_a_ref}") == []
    with pytest.raises(ValueError, match=r"\$\{url:api\} is not a reference"):
        references("${url:api}")


@pytest.mark.parametrize(("check", "message"), [
    ({"kind": "contract"}, "give a request (with expect) or steps"),
    ({"kind": "flow", "request": {"service": "a"}, "steps": [{"request": {"service": "a"}}]},
     "give a request (with expect) or steps, one of them"),
    ({"kind": "flow", "steps": [{"request": {"service": "a"}}], "expect": {"status": 200}},
     "with steps, expect, save and eventually go in each step"),
    ({"kind": "flow", "steps": [{}]}, "a step has a request or agree"),
    ({"kind": "state", "steps": [{"agree": [{"service": "a"}, {"service": "b"}], "save": {"x": "$.x"}}]},
     "an agree step has no expect or save"),
    ({"kind": "flow", "steps": [{"request": {"service": "a"}, "save": {"my-id": "$.id"}}]}, "'my-id' is not a name"),
    ({"kind": "contract", "request": {"service": "a", "json": {}, "body": "x"}}, "give json or body, not both"),
    ({"kind": "contract", "request": {"service": "a", "path": "api/x"}}, "path must start with /"),
    ({"kind": "contract", "request": {"service": "a", "method": "FETCH"}}, "Input should be 'GET'"),
    ({"kind": "contract", "request": {"service": "a"}, "expect": {"json": {"id": 1}}}, "it starts with $"),
    ({"kind": "auth", "request": {"service": "a"}}, "Field required"),
    ({"kind": "resilience", "request": {"service": "a"}, "fault": {"pause": "a"}, "recover": 0}, "greater than 0"),
    ({"kind": "contract", "request": {"service": "a", "json": {"sku": "${}"}}}, "${} is not a reference"),
])
def test_what_is_wrong_is_refused_with_the_reason(check: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Config.model_validate({"checks": {"c": check}})
    assert message in str(raised.value)


def test_a_check_name_is_one_word() -> None:
    with pytest.raises(ValidationError, match="should match pattern"):
        Config.model_validate({"checks": {"my check": {"kind": "contract", "request": {"service": "a"}}}})
