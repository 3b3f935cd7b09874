"""cigen's cache folder: where it is, and entries that are written whole or not at all."""

from __future__ import annotations

import os
import time
from pathlib import Path

from cigen.adapters import cache


def test_the_folder_is_cigen_cache_dir_else_under_xdg_cache_home_else_under_home() -> None:
    assert cache.home({"CIGEN_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/c")
    assert cache.home({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/cigen")
    assert cache.home({"HOME": "/h"}) == Path("/h/.cache/cigen")


def test_an_entry_reads_back_and_a_missing_or_broken_one_is_a_miss(tmp_path: Path) -> None:
    entry = tmp_path / "deep" / "er" / "entry.json"
    assert cache.read(entry) is None
    cache.write(entry, {"b": [1, 2], "a": "x"})
    assert cache.read(entry) == {"a": "x", "b": [1, 2]}
    assert oct(entry.stat().st_mode & 0o777) == oct(0o600)  # it may hold npm's settings: the owner's alone
    entry.write_text('{"a": ')
    assert cache.read(entry) is None
    assert [p.name for p in entry.parent.iterdir()] == ["entry.json"]  # no temporary file left behind


def test_a_cache_that_cannot_be_written_is_not_kept_and_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "home").write_text("a file where the cache folder would be")
    cache.write(tmp_path / "home" / "entry.json", {"a": 1})
    assert cache.read(tmp_path / "home" / "entry.json") is None


def test_keys_are_distinct_for_distinct_values_and_stable_for_equal_ones() -> None:
    assert cache.key({"a": 1, "b": [2]}) == cache.key({"b": [2], "a": 1})
    assert cache.key({"a": 1}) != cache.key({"a": 2})


def test_pruning_removes_the_entries_not_written_for_the_days_given(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    cache.write(old, 1)
    cache.write(new, 2)
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    cache.prune(tmp_path, 30)
    assert [p.name for p in tmp_path.iterdir()] == ["new.json"]
    cache.prune(tmp_path / "missing", 30)  # nothing to prune is fine
