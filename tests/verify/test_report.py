"""How results read: the table with each failure's detail, JUnit XML a CI reads, and a step summary that
always fits GitHub's budget."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cigen.verify.model import CheckResult, Edge, EdgeCoverage, StepResult, VerifyResult
from cigen.verify.report import render_junit, render_markdown, render_table

FAILED_STEP = StepResult(what="step 2: GET billing /invoices/${order}", ok=False, elapsed=5.1,
                         expected='$.state = "issued" within 5 s (9 tries)', got='$.state = "pending"',
                         detail=('value at $.state: "pending"', "status: 200 OK"), attempts=9)
RESULT = VerifyResult(
    checks=(
        CheckResult("product", "contract", "passed", 0.05, ("api",)),
        CheckResult("order-flow", "flow", "failed", 5.2, ("api", "billing"),
                    steps=(StepResult("step 1: POST api /orders", True, 0.1), FAILED_STEP),
                    message="step 2: GET billing /invoices/${order}: expected ...",
                    logs=(("billing", ("billing: <consumer> lost the event & gave up",)),)),
    ),
    coverage=(EdgeCoverage(Edge("api", "billing", ("url",)), ("order-flow",)),
              EdgeCoverage(Edge("api", "db", ("depends_on",)), ())),
    elapsed=5.3,
)


def test_the_table_then_each_failure_then_the_coverage() -> None:
    lines = render_table(RESULT).splitlines()
    assert lines[:3] == ["CHECK       KIND      RESULT  TIME", "product     contract  passed  0.05 s",
                         "order-flow  flow      FAILED  5.2 s"]
    text = "\n".join(lines)
    assert '  expected: $.state = "issued" within 5 s (9 tries)\n  got:      $.state = "pending"' in text
    assert "  tries:    9 over 5.1 s" in text and "    billing: <consumer> lost the event & gave up" in text
    assert "  api -> db (depends_on): NOT COVERED" in text
    assert lines[-1] == "1 passed, 1 failed, 0 error in 5.3 s"


def test_junit_is_well_formed_xml_whatever_the_text_holds() -> None:
    suites = ET.fromstring(render_junit(RESULT))
    assert [s.get("name") for s in suites] == ["contract", "flow"]  # the kinds' order, not the checks'
    failure = suites.find("testsuite[@name='flow']/testcase[@name='order-flow']/failure")
    assert failure is not None and failure.get("type") == "failed"
    assert "lost the event & gave up" in (failure.text or "")
    out = suites.find("testsuite[@name='flow']/testcase/system-out")
    assert out is not None and out.text == "billing: billing: <consumer> lost the event & gave up"


def test_the_summary_drops_failure_details_before_it_outgrows_its_budget() -> None:
    full = render_markdown(RESULT)
    assert "<details><summary>order-flow:" in full and "| api | db | depends_on | **not covered** |" in full
    small = render_markdown(RESULT, budget=len(full.encode()) - 1)
    assert "<details>" not in small and "| order-flow | flow | FAILED | 5.2 s |" in small
    assert "(failure details left out: see the job's log)" in small
