"""JSONPath as checks write it: singular queries only, refused otherwise with the reason."""

from __future__ import annotations

import pytest

from cigen.jsonpath import MISSING, find, parse

DOC = {"id": "o1", "items": [{"sku": "mug", "qty": 2}, {"sku": "cap"}], "content-type": "x", "n": None}


@pytest.mark.parametrize(("path", "value"), [
    ("$", DOC), ("$.id", "o1"), ("$.items[0].sku", "mug"), ("$.items[-1].sku", "cap"),
    ("$['content-type']", "x"), ('$["items"][1]["sku"]', "cap"), ("$.n", None),
    ("$.items[2]", MISSING), ("$.id.deeper", MISSING), ("$.missing", MISSING),
])
def test_a_path_finds_one_value_or_nothing(path: str, value: object) -> None:
    assert find(DOC, path) == value if value is not MISSING else find(DOC, path) is MISSING


def test_null_is_a_value_and_nothing_is_not() -> None:
    assert find(DOC, "$.n") is None and find(DOC, "$.none") is MISSING


@pytest.mark.parametrize(("path", "why"), [
    ("id", "it starts with $"), ("$.items[*]", "select many values"), ("$..sku", "select many values"),
    ("$.items[0:2]", "select many values"), ("$.items[?@.qty]", "select many values"), ("$ id", "cannot read"),
])
def test_what_selects_many_values_or_is_no_path_is_refused(path: str, why: str) -> None:
    with pytest.raises(ValueError, match=why.replace("$", r"\$").replace("[", r"\[")):
        parse(path)
