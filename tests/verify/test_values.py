"""${NAME} in checks: saved values before the environment, JSON keeping a saved value's type, and secrets
redacted wherever they show up."""

from __future__ import annotations

import pytest

from cigen.verify.values import MASK, MissingValue, Secrets, Values


def test_a_saved_value_comes_before_the_environment_and_only_the_environment_is_secret() -> None:
    secrets = Secrets()
    values = Values({"order": "from-env", "TOKEN": "abcd-1234"}, secrets)
    values.saved["order"] = "o7"
    assert values.text("/orders/${order}?t=${TOKEN}") == "/orders/o7?t=abcd-1234"
    assert secrets.redact("token abcd-1234, order o7") == f"token {MASK}, order o7"


def test_a_json_body_keeps_the_type_of_a_whole_reference() -> None:
    values = Values({}, Secrets())
    values.saved.update(qty=2, sku="mug")
    assert values.json({"qty": "${qty}", "label": "${sku} x ${qty}", "list": ["${sku}"]}) == {
        "qty": 2, "label": "mug x 2", "list": ["mug"]}


def test_a_doubled_dollar_is_a_literal_and_a_missing_name_is_an_error() -> None:
    values = Values({}, Secrets())
    assert values.text("$${HOME}") == "${HOME}"
    with pytest.raises(MissingValue) as missing:
        values.text("${NOPE}")
    assert missing.value.name == "NOPE"


def test_a_credential_and_its_token_are_secret_whatever_they_came_from() -> None:
    secrets = Secrets()
    Values({}, secrets).secret_text("Bearer literal-token-99")
    assert secrets.redact('{"seen": "Bearer literal-token-99"} then literal-token-99') == \
        f'{{"seen": "{MASK}"}} then {MASK}'


def test_a_json_escaped_secret_is_redacted_too_and_short_values_are_not_secrets() -> None:
    secrets = Secrets()
    Values({"PASS": 'p"w\\d-long', "PAGE": "1"}, secrets).text("${PASS} ${PAGE}")
    assert secrets.redact('{"password": "p\\"w\\\\d-long"} on page 1, status 201') == \
        f'{{"password": "{MASK}"}} on page 1, status 201'
