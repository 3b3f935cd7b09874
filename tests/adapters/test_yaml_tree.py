"""Reading YAML someone else wrote: bounded in memory, time and depth, YAML 1.2, every error one located line."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from cigen.adapters.files import read_yaml
from cigen.adapters.yaml_tree import ALIAS_BUDGET, MAX_BYTES, MAX_DEPTH, load_tree
from cigen.errors import InputError
from testing.paths import REPO_ROOT

FILE = Path("cigen.yaml")


def load(text: str) -> Any:
    tree = load_tree(FILE, textwrap.dedent(text))
    return None if tree is None else tree.plain()


def error(text: str) -> str:
    with pytest.raises(InputError) as caught:
        load(text)
    return str(caught.value)


def billion_laughs(levels: int = 9) -> str:
    """Ten aliases to the level below, ``levels`` times: 10**levels strings from a few hundred bytes."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


# -- merge keys and aliases ------------------------------------------------------------------------


def test_a_merge_key_merges_a_mapping_and_the_mapping_own_keys_win() -> None:
    data = load("""\
        base: &base {port: 4000, env: {A: "1"}}
        api:
          <<: *base
          port: 4001
        """)
    assert data["api"] == {"port": 4001, "env": {"A": "1"}}


def test_merging_a_list_of_mappings_lets_the_earlier_ones_win() -> None:
    data = load("""\
        a: &a {x: 1}
        b: &b {x: 2, y: 2}
        c: {<<: [*a, *b]}
        """)
    assert data["c"] == {"x": 1, "y": 2}


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    assert load('"<<": 1\n') == {"<<": 1}


@pytest.mark.parametrize(("text", "where"), [
    ("a: &a 1\nb:\n  <<: *a\n", "cigen.yaml:3:7"),  # the alias to a scalar
    ("a: &a {x: 1}\nb:\n  <<: [*a, 2]\n", "cigen.yaml:3:12"),  # the item of the list that is no mapping
])
def test_merging_something_that_is_not_a_mapping_is_located(text: str, where: str) -> None:
    assert error(text) == (
        f"{where}: b: << merges mappings only (write <<: *name, or <<: [*a, *b], where each names a mapping)")


def test_an_alias_inside_the_value_it_names_is_a_loop_not_a_recursion_error() -> None:
    assert error("a: &a [1, *a]\n") == (
        "cigen.yaml:1:11: a[1]: the alias *a is inside the value it names (a loop) "
        "(refer to a value defined before this one)")


def test_an_alias_to_no_anchor_is_located() -> None:
    assert error("a: 1\nb: *nope\n") == (
        "cigen.yaml:2:4: b: the alias *nope names no anchor above it (define &nope before using it)")


def test_aliases_are_shared_so_a_moderate_document_stays_cheap() -> None:
    data = load(billion_laughs(levels=3))  # 10,000 strings behind 30 aliases: within the budget
    assert len(data["l3"]) == 10 and len(data["l3"][0][0][0]) == 10


def test_a_billion_laughs_document_fails_at_the_alias_that_crosses_the_budget() -> None:
    started = time.perf_counter()
    message = error(billion_laughs())
    assert message.startswith(f"cigen.yaml:5:45: l4[7]: aliases stand for more than {ALIAS_BUDGET:,} values")
    assert time.perf_counter() - started < 1


def test_a_billion_laughs_cigen_yaml_fails_in_bounded_memory_and_time(tmp_path: Path) -> None:
    # The defect: 3.4 GB in 20 s and still growing. Here the process may have 600 MB of address space (an
    # interpreter with cigen loaded reserves ~250 MB) and must give its one line within seconds.
    (tmp_path / "package.json").write_text('{"name": "root", "private": true}\n')
    (tmp_path / "cigen.yaml").write_text(billion_laughs() + "services: {x: {start: run, env: {A: *l9}}}\n")
    limited = textwrap.dedent("""\
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (600 * 2**20, 600 * 2**20))
        from cigen.cli import main
        sys.exit(main(["plan"]))
        """)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", limited], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"})
    elapsed = time.perf_counter() - started
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "cigen.yaml:5:45: l4[7]: aliases stand for more than" in done.stderr
    assert elapsed < 10


# -- sizes and depth -------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["flow", "block"])
def test_nesting_deeper_than_the_limit_is_one_located_line(style: str) -> None:
    depth = 500
    if style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
        where = f"cigen.yaml:1:{4 + MAX_DEPTH - 1}: a[0][0][0][0][0][0][0]..."
    else:
        text = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, depth)) + "  " * depth + "b: 1\n"
        where = f"cigen.yaml:{MAX_DEPTH + 1}:{2 * MAX_DEPTH + 1}: a.b.b.b.b.b.b.b..."
    assert error(text) == f"{where}: nested more than {MAX_DEPTH} levels deep (flatten it)"


def test_an_alias_that_would_nest_past_the_limit_is_refused_where_it_is_used() -> None:
    # Each alone nests 60 levels; the alias inside 45 more would make 105.
    assert error("a: &a " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 45 + "*a" + "]" * 45 + "\n") == (
        f"cigen.yaml:2:49: b[0][0][0][0][0][0][0]...: nested more than {MAX_DEPTH} levels deep (flatten it)")


def test_a_document_over_the_size_limit_is_refused_before_parsing() -> None:
    assert error("#" * MAX_BYTES + "\n") == (
        f"cigen.yaml: the file is {MAX_BYTES + 1:,} bytes, more than the {MAX_BYTES:,} cigen reads "
        "(a configuration file this large is a mistake)")


def test_a_number_python_cannot_convert_is_located() -> None:
    assert error("a: " + "1" * 5000 + "\n") == (
        "cigen.yaml:1:4: a: a number of 5,000 digits (write a shorter number, or quote it)")


# -- strict keys -----------------------------------------------------------------------------------


def test_a_key_given_twice_names_both_lines() -> None:
    assert error("plan:\n  mode: auto\n  mode: cascade\n") == (
        "cigen.yaml:3:3: plan.mode: given twice, on lines 2 and 3 (keep one of them)")


def test_a_key_given_twice_on_one_line_says_so() -> None:
    assert error('env: {"A": 1, "A": 2}\n') == "cigen.yaml:1:15: env.A: given twice, on line 1 (keep one of them)"


def test_a_key_merged_in_and_then_written_is_no_duplicate() -> None:
    assert load("a: &a {x: 1}\nb: {<<: *a, x: 2}\n")["b"] == {"x": 2}


@pytest.mark.parametrize("key", ["[a, b]", "{a: 1}"])
def test_a_key_that_is_a_list_or_a_mapping_is_refused(key: str) -> None:
    assert error(f"? {key}\n: 1\n") == (
        "cigen.yaml:1:3: a key must be a name, not a list or a mapping (write the key as text)")


def test_keys_are_the_text_written() -> None:
    assert load("on: 1\nyes: 2\n010: 3\nnull: 4\n") == {"on": 1, "yes": 2, "010": 3, "null": 4}


def test_a_second_document_is_refused() -> None:
    assert error("a: 1\n---\nb: 2\n") == (
        "cigen.yaml:2:1: invalid YAML: more than one document (a second ---) (keep one document)")


def test_a_syntax_error_keeps_its_place() -> None:
    assert error("plan: [unclosed\n") == (
        "cigen.yaml:2:1: invalid YAML: did not find expected ',' or ']' (fix the syntax)")


# -- YAML 1.2 values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("no", "no"), ("yes", "yes"), ("on", "on"), ("off", "off"), ("y", "y"),  # YAML 1.1 made these booleans
        ("true", True), ("False", False), ("~", None), ("null", None), ("", None),
        ("010", 10), ("0o10", 8), ("0x1F", 31), ("1_000", "1_000"), ("20:30", "20:30"),  # 1.1: 8, 1000, 1230
        ("1.5", 1.5), ("1e3", 1000.0), (".inf", math.inf), ("-.inf", -math.inf),
        ("2001-01-01", "2001-01-01"), ("2001-13-45", "2001-13-45"),  # 1.1: a date, and a ValueError
        ('"no"', "no"), ("'010'", "010"), ("!!str 5", "5"), ("! 5", "5"), ("!!int 5", 5), ("!!float 5", 5.0),
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(written: str, value: object) -> None:
    assert load(f"a: {written}\n") == {"a": value}


def test_nan_is_a_float() -> None:
    assert math.isnan(load("a: .nan\n")["a"])


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('!!binary "aGk="', "a: the tag !!binary is not supported (remove the tag)"),
        ("!!python/object:os.system x", "a: the tag !!python/object:os.system is not supported (remove the tag)"),
        ("!custom x", "a: the tag !custom is not supported (remove the tag)"),
        ("!!set {x}", "a: the tag !!set is not supported (remove the tag)"),
        ("!!int x", "a: 'x' is not a valid !!int (fix the value or its tag)"),
        ("!!bool yes", "a: 'yes' is not a valid !!bool (fix the value or its tag)"),
    ],
)
def test_only_the_core_tags_are_accepted(written: str, message: str) -> None:
    assert error(f"a: {written}\n") == f"cigen.yaml:1:4: {message}"


def test_read_yaml_reads_pnpm_workspace_files_the_same_way(tmp_path: Path) -> None:
    workspace = tmp_path / "pnpm-workspace.yaml"
    workspace.write_text("packages:\n  - packages/*\n  - apps/*\npackages:\n  - x\n")
    with pytest.raises(InputError, match=r"pnpm-workspace.yaml:4:1: packages: given twice, on lines 1 and 4"):
        read_yaml(workspace)
    workspace.write_text(billion_laughs())
    with pytest.raises(InputError, match="aliases stand for more than"):
        read_yaml(workspace)
