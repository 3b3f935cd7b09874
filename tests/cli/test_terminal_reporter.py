"""What the core reports reaches the terminal through the reporter the CLI installs, on stderr only."""

from __future__ import annotations

import pytest

from cigen import reporting
from cigen.cli.app import TerminalReporter
from cigen.reporting import reporting_to


def test_warnings_and_progress_go_to_stderr_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    with reporting_to(TerminalReporter()):
        reporting.warn("the base could not be fetched")
        reporting.progress("shallow clone: fetching 100 more commits")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "cigen: warning: the base could not be fetched\ncigen: shallow clone: fetching 100 more commits\n"


def test_without_a_reporter_installed_the_core_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    reporting.warn("nobody listens")
    assert capsys.readouterr() == ("", "")


def test_the_previous_reporter_is_back_after_the_block() -> None:
    with reporting_to(reporting.Recorder()) as outer:
        with reporting_to(reporting.Recorder()) as inner:
            reporting.warn("inner")
        reporting.warn("outer")
    assert inner.warnings() == ["inner"] and outer.warnings() == ["outer"]
