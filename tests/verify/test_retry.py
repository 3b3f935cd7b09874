"""`eventually`: retried until it holds, else the last answer (or the last exception) when time is up."""

from __future__ import annotations

import time

import pytest

from cigen.verify import eventually


def test_the_first_answer_that_holds_is_returned_at_once() -> None:
    answers = iter([1, 2, 3, 4])
    assert eventually(lambda: next(answers), 5.0, holds=lambda n: n >= 3) == 3


def test_when_nothing_holds_in_time_the_last_answer_is_returned_near_the_deadline() -> None:
    tries: list[float] = []

    def attempt() -> int:
        tries.append(time.monotonic())
        return len(tries)

    started = time.monotonic()
    last = eventually(attempt, 0.4, holds=lambda n: False)
    took = time.monotonic() - started
    assert last == len(tries) >= 3
    assert 0.4 <= took < 2.0  # generous: the machine is shared


def test_an_exception_counts_as_not_yet_and_is_raised_when_time_is_up() -> None:
    calls = iter([ValueError("not yet"), "done"])

    def attempt() -> str:
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert eventually(attempt, 5.0) == "done"

    def never() -> str:
        raise AssertionError("stock 3 != 4")

    with pytest.raises(AssertionError, match="stock 3 != 4"):
        eventually(never, 0.2)


def test_one_try_is_made_however_short_the_time() -> None:
    assert eventually(lambda: "x", 0.0) == "x"
