"""Matrix expansion with GitHub's include/exclude rules, and leg names."""

from __future__ import annotations

import pytest

from testing.gha.matrix import MatrixError, expand, leg_suffix


def test_axes_multiply_out_first_key_outermost() -> None:
    assert expand({"os": ["linux", "mac"], "node": [18, 20]}) == [
        {"os": "linux", "node": 18},
        {"os": "linux", "node": 20},
        {"os": "mac", "node": 18},
        {"os": "mac", "node": 20},
    ]


def test_include_merges_where_it_overwrites_no_original_value_else_adds_a_combination() -> None:
    # The example of GitHub's documentation ("Expanding or adding matrix configurations").
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }
    assert expand(matrix) == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_exclude_removes_partial_matches_before_include_applies() -> None:
    matrix = {
        "os": ["linux", "mac"],
        "node": [18, 20],
        "exclude": [{"os": "mac", "node": 18}],
        "include": [{"os": "mac", "node": 18, "experimental": True}],
    }
    assert expand(matrix) == [
        {"os": "linux", "node": 18},
        {"os": "linux", "node": 20},
        {"os": "mac", "node": 20},
        {"os": "mac", "node": 18, "experimental": True},
    ]


def test_an_include_only_matrix_has_one_leg_per_entry() -> None:
    entries = [{"service": "api", "path": "services/api"}, {"service": "web", "path": "apps/web"}]
    assert expand({"include": entries}) == entries


def test_no_matrix_is_one_leg_without_values() -> None:
    assert expand(None) == [{}]


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ({"service": []}, "does not contain any values"),
        ({"include": []}, "no combinations"),
        ({"service": "api"}, "must be a sequence"),
        ({"n": list(range(257))}, "at most 256"),
        ("not a mapping", "must be a mapping"),
    ],
)
def test_invalid_matrices_are_errors(matrix: object, message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        expand(matrix)


def test_leg_names_list_the_values_in_order() -> None:
    assert leg_suffix({}) == ""
    assert leg_suffix({"service": "api", "node": 20}) == " (api, 20)"
    assert leg_suffix({"svc": {"name": "api", "path": "services/api"}}) == " (api, services/api)"
