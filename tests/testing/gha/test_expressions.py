"""GitHub Actions expressions: literals, operators, coercion, functions, templates, if: rules."""

from __future__ import annotations

import math
from typing import Any

import pytest

from testing.gha.expressions import ExpressionError, condition, evaluate, has_status_function, interpolate, parse

CONTEXTS: dict[str, Any] = {
    "github": {
        "event_name": "pull_request",
        "ref": "refs/heads/main",
        "event": {"pull_request": {"labels": [{"name": "bug"}, {"name": "ci"}]}},
    },
    "needs": {
        "plan": {"result": "success", "outputs": {"stage-0": '["api","web"]', "count": "2", "empty": "[]"}},
        "build": {"result": "skipped", "outputs": {}},
    },
    "inputs": {"all": True, "name": "x"},
    "matrix": {"service": "api", "node": 20},
    "env": {"MODE": "ci"},
    "steps": {"meta": {"outputs": {"sha": "abc"}, "outcome": "success", "conclusion": "success"}},
}


def ev(source: str, **extra: Any) -> Any:
    return evaluate(source, {**CONTEXTS, **extra})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ("711", 711),
        ("-9.2", -9.2),
        ("0xff", 255),
        ("-2.99e-2", -0.0299),
        (".5", 0.5),
        ("'It''s open source!'", "It's open source!"),
        ("''", ""),
    ],
)
def test_literals_evaluate_to_their_values(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_nan_and_infinity_are_number_literals() -> None:
    assert math.isnan(ev("NaN")) and ev("Infinity") == math.inf


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("github.event_name", "pull_request"),
        ("github['event_name']", "pull_request"),
        ("GITHUB.Event_Name", "pull_request"),
        ("needs.plan.outputs.stage-0", '["api","web"]'),
        ("needs.plan.outputs['stage-0']", '["api","web"]'),
        ("needs.missing.result", None),
        ("needs.plan.result.deeper", None),
        ("steps.meta.outputs.sha", "abc"),
        ("matrix.node", 20),
        ("inputs.all", True),
        ("env.MODE", "ci"),
        ("fromJSON(needs.plan.outputs.stage-0)[1]", "web"),
        ("fromJSON(needs.plan.outputs.stage-0)['1']", "web"),
        ("fromJSON(needs.plan.outputs.stage-0)[5]", None),
    ],
)
def test_property_and_index_access(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_star_filters_collect_values_across_objects_and_arrays() -> None:
    assert ev("github.event.pull_request.labels.*.name") == ["bug", "ci"]
    assert ev("needs.*.result") == ["success", "skipped"]
    assert ev("contains(needs.*.result, 'SKIPPED')") is True
    assert ev("join(github.event.pull_request.labels.*.name, ', ')") == "bug, ci"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Strings compare ignoring case.
        ("'ABC' == 'abc'", True),
        ("'abc' != 'abd'", True),
        # Mismatched kinds coerce to numbers.
        ("'2' == 2", True),
        ("needs.plan.outputs.count == 2", True),
        ("'' == 0", True),
        ("null == 0", True),
        ("null == false", True),
        ("true == 1", True),
        ("'true' == true", False),  # 'true' -> NaN
        ("'0x10' == 16", True),
        ("' 3 ' == 3", True),
        ("'abc' == 0", False),
        ("NaN == NaN", False),
        ("null == null", True),
        # Ordering.
        ("1 < 2", True),
        ("'b' > 'A'", True),
        ("false < true", True),
        ("'10' > 9", True),
        ("2 <= 2", True),
        ("'a' >= 'B'", False),
        # Arrays and objects are equal only to themselves.
        ("fromJSON('[]') == fromJSON('[]')", False),
        ("github == github", True),
    ],
)
def test_comparison_follows_github_loose_equality(source: str, expected: bool) -> None:
    assert ev(source) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'a' && 'b'", "b"),
        ("'' && 'b'", ""),
        ("0 || 'fallback'", "fallback"),
        ("'first' || 'second'", "first"),
        ("null || null", None),
        ("!''", True),
        ("!'x'", False),
        ("!0", True),
        ("!NaN", True),
        ("!fromJSON('[]')", False),
        ("!!inputs.all", True),
    ],
)
def test_logical_operators_short_circuit_and_return_an_operand(source: str, expected: Any) -> None:
    assert ev(source) == expected and type(ev(source)) is type(expected)


def test_and_binds_tighter_than_or_and_comparison_tighter_than_and() -> None:
    assert ev("true || false && false") is True
    assert ev("(true || false) && false") is False
    assert ev("1 < 2 == true") is True
    assert ev("!1 == false") is True  # (!1) == false


def test_logical_operators_do_not_evaluate_what_they_skip() -> None:
    assert ev("false && fromJSON('not json')") is False
    with pytest.raises(ExpressionError):
        ev("true && fromJSON('not json')")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("contains('Hello World', 'WORLD')", True),
        ("contains(fromJSON('[\"a\",\"b\"]'), 'B')", True),
        ("contains(fromJSON('[1,2]'), '2')", True),
        ("contains(fromJSON('[]'), 'a')", False),
        ("contains(github, 'x')", False),
        ("startsWith(github.ref, 'REFS/heads')", True),
        ("endsWith(github.ref, '/MAIN')", True),
        ("format('{0}-{1}-{0}', 'a', 2)", "a-2-a"),
        ("format('{{0}} {0}', 'x')", "{0} x"),
        ("format('}}{{')", "}{"),
        ("format('{0}', 0.84551240822557006)", "0.84551240822557"),
        ("format('{0}', -0)", "0"),
        ("format('{0}{1}{2}', true, null, 1.2e2)", "true120"),
        ("format('{0}', github)", "Object"),
        ("join(fromJSON('[\"a\",1,null,true]'))", "a,1,,true"),
        ("join('abc')", "abc"),
        ("join(fromJSON('[1,2]'), null)", "12"),
        ("toJSON(fromJSON('[1,2.5,\"x\",{}]'))", '[\n  1,\n  2.5,\n  "x",\n  {}\n]'),
        ("toJSON('a\"b')", '"a\\"b"'),
        ("toJSON(null)", "null"),
        ("fromJSON('{\"a\": {\"b\": [true]}}').a.b[0]", True),
        ("fromJSON(' 7 ')", 7),
        ("case(matrix.node == 20, 'lts', 'other')", "lts"),
        ("case(false, 'a', inputs.all, 'b', 'c')", "b"),
        ("FROMjson('[1]')[0]", 1),
    ],
)
def test_functions(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "format('{0}')",
        "format('{0')",
        "format('x}')",
        "fromJSON('')",
        "fromJSON('{nope')",
        "case(1, 'a', 'b')",
    ],
)
def test_function_misuse_is_an_evaluation_error(source: str) -> None:
    with pytest.raises(ExpressionError):
        ev(source)


@pytest.mark.parametrize(
    "source",
    [
        "github.sha(",
        "'unterminated",
        "1 ==",
        "a = b",
        '"double quoted"',
        "unknown.context",
        "nosuchfunction()",
        "contains('a')",
        "join(1, 2, 3)",
        "case(true, 'a')",
        "github..ref",
        "",
    ],
)
def test_malformed_expressions_are_parse_errors(source: str) -> None:
    with pytest.raises(ExpressionError):
        parse(source, CONTEXTS.keys())


def test_contexts_not_available_at_a_location_are_parse_errors() -> None:
    with pytest.raises(ExpressionError, match="unrecognized named-value: 'matrix'"):
        evaluate("matrix.service == 'api'", {"github": {}, "needs": {}})


def test_a_template_keeps_the_type_of_a_lone_expression_and_joins_text() -> None:
    assert interpolate("${{ fromJSON(needs.plan.outputs.stage-0) }}", CONTEXTS) == ["api", "web"]
    assert interpolate("${{ matrix.node }}", CONTEXTS) == 20
    assert interpolate(" ${{ matrix.node }} ", CONTEXTS) == " 20 "
    assert interpolate("node ${{ matrix.node }} on ${{ github.event_name }}", CONTEXTS) == "node 20 on pull_request"
    assert interpolate("${{ inputs.all }}-${{ null }}-${{ github }}", CONTEXTS) == "true--Object"
    assert interpolate({"k": ["${{ matrix.service }}", 3]}, CONTEXTS) == {"k": ["api", 3]}
    assert interpolate("no expressions", CONTEXTS) == "no expressions"


def test_a_closing_brace_pair_inside_a_string_literal_does_not_end_the_expression() -> None:
    assert interpolate("${{ format('{0}}}', 'x') }}!", CONTEXTS) == "x}!"


def test_an_unterminated_template_is_an_error() -> None:
    with pytest.raises(ExpressionError):
        interpolate("echo ${{ github.ref", CONTEXTS)


STATUS = {
    "success": lambda: False,
    "failure": lambda: True,
    "cancelled": lambda: False,
    "always": lambda: True,
}


def test_a_missing_if_means_success() -> None:
    assert condition(None, CONTEXTS, STATUS) is False
    assert condition(None, CONTEXTS, {**STATUS, "success": lambda: True}) is True


def test_an_if_without_a_status_function_is_anded_with_success() -> None:
    # success() is False here (a dependency failed), so even `true` does not run.
    assert condition("true", CONTEXTS, STATUS) is False
    assert condition("${{ github.event_name == 'pull_request' }}", CONTEXTS, STATUS) is False
    assert condition("github.event_name == 'pull_request'", CONTEXTS, {**STATUS, "success": lambda: True}) is True


def test_an_if_with_a_status_function_anywhere_is_taken_as_written() -> None:
    assert condition("always()", CONTEXTS, STATUS) is True
    assert condition("failure() && github.event_name == 'pull_request'", CONTEXTS, STATUS) is True
    assert condition("${{ !cancelled() && needs.plan.outputs.count != '0' }}", CONTEXTS, STATUS) is True
    assert condition(False, CONTEXTS, STATUS) is False


def test_text_around_an_expression_in_if_makes_a_truthy_string() -> None:
    assert condition("${{ false }} extra", CONTEXTS, {**STATUS, "success": lambda: True}) is True


def test_status_functions_are_found_anywhere_in_the_tree() -> None:
    assert has_status_function(parse("!cancelled()", ["github"]))
    assert has_status_function(parse("(github.ref == 'x') || always()", ["github"]))
    assert not has_status_function(parse("contains(github.ref, 'success()')", ["github"]))
