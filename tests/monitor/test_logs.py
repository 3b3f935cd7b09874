"""Following a log across pm2-logrotate's copy-and-truncate: every line once, in order, with its file and number.

The rotations here are done by hand exactly as pm2-logrotate 3 does them (copy to ``<name>__<date>.log``,
then truncate the original), at each awkward moment: a copy still being written, a copy made and the
original not yet emptied, two rotations between two looks, a gzip copy. The run with the real module is in
test_run_report.py.
"""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

from cigen.config.monitor import LogRule
from cigen.monitor.logs import Scanner, Tail


def _write(path: Path, *lines: str) -> None:
    with open(path, "a") as handle:
        handle.write("".join(f"2026-12-07T19:00:00.{i:03d}+00:00: {line}\n" for i, line in enumerate(lines)))


def _texts(found: list[tuple[Path, int, str]]) -> list[str]:
    return [text.split(": ", 1)[1] for _, _, text in found]


def test_lines_written_before_the_run_are_not_read_and_line_numbers_count_them(tmp_path: Path) -> None:
    log = tmp_path / "api.out.log"
    _write(log, "old 1", "old 2")
    tail = Tail(log, log.stat().st_size, since=time.time())
    _write(log, "new 1", "new 2")
    found = tail.poll()
    assert _texts(found) == ["new 1", "new 2"]
    assert [n for _, n, _ in found] == [3, 4]


def test_a_line_still_being_written_waits_for_its_end(tmp_path: Path) -> None:
    log = tmp_path / "api.out.log"
    tail = Tail(log, 0, since=time.time())
    log.write_text("half a li")
    assert tail.poll() == []
    with open(log, "a") as handle:
        handle.write("ne\n")
    assert [t for _, _, t in tail.poll()] == ["half a line"]


def test_a_rotation_loses_no_line_and_repeats_none_whenever_the_tail_looks(tmp_path: Path) -> None:
    log = tmp_path / "api.out.log"
    tail = Tail(log, 0, since=time.time() - 1)
    _write(log, "a1", "a2")
    assert _texts(tail.poll()) == ["a1", "a2"]
    _write(log, "a3")
    copy = tmp_path / "api.out__2026-12-07_19-00-01.log"
    copy.write_bytes(log.read_bytes()[:10])  # the copy is being written
    assert _texts(tail.poll()) == ["a3"]  # read from the live file, which still has it
    copy.write_bytes(log.read_bytes())  # copied whole, not yet truncated
    _write(log, "a4")  # written between the copy and the truncate: pm2-logrotate loses it, the tail has it
    assert _texts(tail.poll()) == ["a4"]
    log.write_bytes(b"")  # truncated
    _write(log, "b1")
    found = tail.poll()
    assert _texts(found) == ["b1"]
    assert found[0][:2] == (log, 1)
    # Two rotations between two looks, the second gzip-compressed, and lines after each.
    _write(log, "b2")
    (tmp_path / "api.out__2026-12-07_19-00-02.log").write_bytes(log.read_bytes())
    log.write_bytes(b"")
    _write(log, "c1")
    with gzip.open(tmp_path / "api.out__2026-12-07_19-00-03.log.gz", "wb") as handle:
        handle.write(log.read_bytes())
    log.write_bytes(b"")
    _write(log, "d1")
    found = tail.poll()
    assert _texts(found) == ["b2", "c1", "d1"]
    assert [(p.name, n) for p, n, _ in found] == [("api.out__2026-12-07_19-00-02.log", 2),
                                                  ("api.out__2026-12-07_19-00-03.log.gz", 1), ("api.out.log", 1)]
    assert tail.poll() == []


def test_a_copy_written_over_by_a_second_rotation_in_the_same_second_is_read_again(tmp_path: Path) -> None:
    log, copy = tmp_path / "api.out.log", tmp_path / "api.out__2026-12-07_19-00-01.log"
    tail = Tail(log, 0, since=time.time() - 1)
    _write(log, "a1")
    copy.write_bytes(log.read_bytes())
    log.write_bytes(b"")
    assert _texts(tail.poll()) == ["a1"]
    _write(log, "b1")
    copy.write_bytes(log.read_bytes())  # pm2-logrotate names copies to the second: the same name, over it
    log.write_bytes(b"")
    os.utime(copy, ns=(copy.stat().st_atime_ns, copy.stat().st_mtime_ns + 1_000_000))
    assert _texts(tail.poll()) == ["b1"]


def test_copies_rotated_before_the_run_are_not_read(tmp_path: Path) -> None:
    log = tmp_path / "api.out.log"
    (tmp_path / "api.out__2026-12-01_00-00-00.log").write_text("2026-12-01T00:00:00.000Z: FATAL long ago\n")
    _write(log, "now")
    assert _texts(Tail(log, 0, since=time.time() + 1).poll()) == ["now"]


def test_rules_apply_to_the_text_after_pm2s_date_per_stream_and_the_ignore_list_wins(tmp_path: Path) -> None:
    out, err = tmp_path / "api.out.log", tmp_path / "api.err.log"
    rules = (LogRule(name="traceback", pattern=r"^Traceback"), LogRule(name="oops", pattern="oops", stream="stdout"))
    scanner = Scanner("api", {"stdout": (out, 0), "stderr": (err, 0)}, rules, ("oops: expected",), since=0)
    _write(out, "Traceback (most recent call last):", "oops", "oops: expected")
    _write(err, "Traceback (most recent call last):", "oops")
    hits = scanner.poll()
    assert [(h.rule, Path(h.file).name, h.line) for h in hits] == [
        ("traceback", "api.out.log", 1), ("oops", "api.out.log", 2), ("traceback", "api.err.log", 1)]
    assert hits[0].time == 1796670000.0 and hits[0].text == "Traceback (most recent call last):"
