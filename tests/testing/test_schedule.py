"""testing.schedule: the longest tests start first, one group at the head of each worker's worksteal share."""

from __future__ import annotations

from testing.schedule import arrange, worksteal_shares

TESTS = [f"tests/t{i:02}.py::test" for i in range(20)]
LONG = (
    (("tests/t15.py", "tests/t16.py"), 60.0),  # two tests sharing a fixture: kept together
    (("tests/t18.py",), 45.0),
    (("tests/t03.py",), 30.0),
    (("tests/t19.py",), 20.0),
    (("tests/t07.py",), 10.0),
    (("tests/gone.py",), 99.0),  # matches nothing: ignored
)


def shares_of(order: list[str], workers: int) -> list[list[str]]:
    out, position = [], 0
    for size in worksteal_shares(len(order), workers):
        out.append(order[position : position + size])
        position += size
    return out


def test_the_shares_are_what_worksteal_hands_out_first() -> None:
    assert worksteal_shares(20, 4) == [5, 5, 5, 5]
    assert worksteal_shares(10, 4) == [2, 2, 3, 3]  # 10 // 4, 8 // 3, 6 // 2, 3
    assert sum(worksteal_shares(1847, 4)) == 1847


def test_each_share_starts_with_its_long_groups_longest_first_and_the_rest_keep_their_order() -> None:
    order = arrange(TESTS, str, LONG, 4)
    assert sorted(order) == sorted(TESTS)
    shares = shares_of(order, 4)
    assert [share[0] for share in shares] == ["tests/t15.py::test", "tests/t18.py::test", "tests/t03.py::test",
                                              "tests/t19.py::test"]
    assert shares[0][1] == "tests/t16.py::test"  # with its group
    assert shares[3][1] == "tests/t07.py::test"  # the fifth group goes to the least loaded share
    long = {"tests/t15.py::test", "tests/t16.py::test", "tests/t18.py::test", "tests/t03.py::test",
            "tests/t19.py::test", "tests/t07.py::test"}
    assert [t for t in order if t not in long] == [t for t in TESTS if t not in long]


def test_without_workers_the_long_groups_simply_come_first() -> None:
    order = arrange(TESTS, str, LONG, 0)
    assert order[:6] == ["tests/t15.py::test", "tests/t16.py::test", "tests/t18.py::test", "tests/t03.py::test",
                         "tests/t19.py::test", "tests/t07.py::test"]
    assert sorted(order) == sorted(TESTS)


def test_too_few_tests_for_the_groups_falls_back_to_long_first() -> None:
    few = TESTS[14:19]  # t14..t18: 5 tests on 4 workers, one group of two cannot fit a share of one
    assert arrange(few, str, LONG, 4) == ["tests/t15.py::test", "tests/t16.py::test", "tests/t18.py::test",
                                          "tests/t14.py::test", "tests/t17.py::test"]


def test_the_same_collection_always_gives_the_same_order() -> None:
    assert arrange(TESTS, str, LONG, 4) == arrange(list(TESTS), str, LONG, 4)


def test_every_prefix_of_the_suites_longest_names_a_test_that_exists() -> None:
    # arrange() ignores a prefix that matches nothing, so a renamed long test would quietly start last.
    import re

    from testing.paths import REPO_ROOT
    from tests.conftest import LONGEST

    stale = []
    for prefixes, _ in LONGEST:
        for prefix in prefixes:
            path, _, name = prefix.partition("::")
            source = REPO_ROOT / path
            if not source.is_file() or not re.search(rf"^def {re.escape(name)}", source.read_text(), re.MULTILINE):
                stale.append(prefix)
    assert stale == []
