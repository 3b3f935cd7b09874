"""What ``cigen verify`` shows of its results: the progress line of a check, the table, the failures, JUnit XML
and the step summary's Markdown. Pure: results in, text out (the results are redacted already)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from cigen.durations import format_seconds
from cigen.verify.model import KINDS, CheckResult, EdgeCoverage, VerifyResult

SUMMARY_BUDGET = 512 * 1024  # of GitHub's 1024 KiB per step summary: other steps write there too
_MARK = {"passed": "passed", "failed": "FAILED", "error": "ERROR"}


def progress_line(result: CheckResult, width: int) -> str:
    """``order-flow   flow        passed  0.42 s``: one line as each check finishes."""
    return f"{result.name:<{width}}  {result.kind:<10}  {_MARK[result.outcome]:<6}  {format_seconds(result.elapsed)}"


def render_table(result: VerifyResult) -> str:
    """The table, the failures with their detail, the coverage and a closing count line."""
    rows = [("CHECK", "KIND", "RESULT", "TIME")] + [
        (c.name, c.kind, _MARK[c.outcome], format_seconds(c.elapsed)) for c in result.checks]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3] for row in rows]
    for check in result.checks:
        if not check.passed:
            lines += ["", *failure_lines(check)]
    if result.coverage:
        lines += ["", *coverage_lines(result.coverage)]
    lines += ["", count_line(result)]
    return "\n".join(lines)


def failure_lines(check: CheckResult) -> list[str]:
    """Which step, what was expected and what came, the detail, the last log lines of the services involved."""
    lines = [f"{check.name} ({check.kind}) {check.outcome}: {check.message}"]
    step = check.failed_step
    if step is not None:
        lines += [f"  step:     {step.what}", f"  expected: {step.expected}", f"  got:      {step.got}"]
        lines += [f"  {line}" for line in step.detail]
        if step.attempts > 1:
            lines.append(f"  tries:    {step.attempts} over {format_seconds(step.elapsed)}")
    for service, log in check.logs:
        if log:
            lines.append(f"  last lines of {service}'s log:")
            lines += [f"    {line}" for line in log]
    return lines


def coverage_lines(coverage: Sequence[EdgeCoverage]) -> list[str]:
    covered = sum(bool(edge.checks) for edge in coverage)
    lines = [f"coverage: {covered} of {len(coverage)} runtime edges covered by a check"]
    for edge in coverage:
        by = ", ".join(edge.checks) if edge.checks else "NOT COVERED"
        lines.append(f"  {edge.edge.dependent} -> {edge.edge.dependency} ({', '.join(edge.edge.via)}): {by}")
    return lines


def count_line(result: VerifyResult) -> str:
    counts = [f"{sum(c.outcome == o for c in result.checks)} {o}" for o in ("passed", "failed", "error")]
    skipped = f", {len(result.skipped)} not affected" if result.skipped else ""
    return f"{', '.join(counts)}{skipped} in {format_seconds(result.elapsed)}"


def render_junit(result: VerifyResult) -> str:
    """JUnit XML: a testsuite per kind (in KINDS order), a testcase per check, its failure or error with the
    detail, and the services' last log lines as system-out."""
    suites = ET.Element("testsuites", name="cigen verify", tests=str(len(result.checks)),
                        failures=str(sum(c.outcome == "failed" for c in result.checks)),
                        errors=str(sum(c.outcome == "error" for c in result.checks)),
                        time=f"{result.elapsed:.3f}")
    for kind in KINDS:
        checks = [c for c in result.checks if c.kind == kind]
        if not checks:
            continue
        suite = ET.SubElement(suites, "testsuite", name=kind, tests=str(len(checks)),
                              failures=str(sum(c.outcome == "failed" for c in checks)),
                              errors=str(sum(c.outcome == "error" for c in checks)),
                              skipped="0", time=f"{sum(c.elapsed for c in checks):.3f}")
        for check in checks:
            case = ET.SubElement(suite, "testcase", classname=f"cigen.verify.{kind}", name=check.name,
                                 time=f"{check.elapsed:.3f}")
            if check.passed:
                continue
            tag = "failure" if check.outcome == "failed" else "error"
            problem = ET.SubElement(case, tag, message=check.message, type=check.outcome)
            problem.text = "\n".join(failure_lines(check))
            logs = [f"{service}: {line}" for service, lines in check.logs for line in lines]
            if logs:
                ET.SubElement(case, "system-out").text = "\n".join(logs)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def render_markdown(result: VerifyResult, budget: int = SUMMARY_BUDGET) -> str:
    """The step summary's section: the table, each failure's detail folded, the coverage. Fits ``budget``
    bytes: failure details are dropped (the table still says which failed) before anything else."""
    table = ["## cigen verify", "", count_line(result), "", "| check | kind | result | time |", "|---|---|---|---|"]
    table += [f"| {_cell(c.name)} | {c.kind} | {_MARK[c.outcome]} | {format_seconds(c.elapsed)} |"
              for c in result.checks]
    details = []
    for check in result.checks:
        if not check.passed:
            details += ["", f"<details><summary>{_cell(check.name)}: {_cell(check.message)}</summary>", "",
                        "```", *[line.replace("```", "'''") for line in failure_lines(check)], "```", "</details>"]
    cover = []
    if result.coverage:
        covered = sum(bool(e.checks) for e in result.coverage)
        cover = ["", f"### Coverage: {covered} of {len(result.coverage)} runtime edges", "",
                 "| dependent | dependency | via | covered by |", "|---|---|---|---|"]
        cover += [f"| {_cell(e.edge.dependent)} | {_cell(e.edge.dependency)} | {', '.join(e.edge.via)} | "
                  f"{_cell(', '.join(e.checks)) if e.checks else '**not covered**'} |" for e in result.coverage]
    text = "\n".join(table + details + cover) + "\n"
    if len(text.encode()) > budget:
        text = "\n".join(table + ["", "(failure details left out: see the job's log)"] + cover) + "\n"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
