"""The example's cigen.yaml runs the shop under PM2: `cigen up` starts all seven services in dependency
order, each gated on its health check, every check of its `checks:` passes on them, and `cigen down`
leaves nothing behind. The tests share one running shop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.cli import run_cigen_process
from testing.examples import SHOP_PORTS, ShopStack, running_shop
from testing.processes import http_get

pytestmark = pytest.mark.slow

KINDS = ("contract", "flow", "state", "auth", "resilience")


@pytest.fixture(scope="module")
def shop_up(shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopStack]:
    """The built shop (this module's own copy) on free ports with a PM2 home of its own, started."""
    with running_shop(shop, tmp_path_factory.mktemp("pm2")) as stack:
        yield stack


def test_up_starts_every_service_healthy_each_after_what_it_needs(shop_up: ShopStack) -> None:
    rows = shop_up.cigen("status", "--json").json()
    assert {r["name"]: r["health"] for r in rows if r["configured"]} == dict.fromkeys(SHOP_PORTS, "healthy")
    # Each service started only after the services it needs (its ${url:...} references) were healthy.
    lines = shop_up.progress.splitlines()
    healthy = {line.split()[0]: i for i, line in enumerate(lines) if " healthy after " in line}
    starting = {line.split()[0]: i for i, line in enumerate(lines) if line.rstrip().endswith("starting")}
    for dependent, dependency in [("@shop/api", "@shop/auth"), ("@shop/api", "shop-recommend"),
                                  ("@shop/api", "@shop/inventory"), ("@shop/api", "@shop/broker"),
                                  ("@shop/billing", "@shop/broker"), ("@shop/web", "@shop/api")]:
        assert starting[dependent] > healthy[dependency], (dependent, dependency, shop_up.progress)

    status, page = http_get(f"{shop_up.url('@shop/web')}/products/mug")
    assert status == 200 and "Enamel mug" in page


def test_every_check_of_the_shop_passes_one_of_each_kind(shop_up: ShopStack, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = shop_up.cigen("verify", "--json", "--junit", str(junit))
    assert done.exit_code == 0, done.stdout + done.stderr
    report = done.json()
    results = {check["name"]: (check["kind"], check["outcome"]) for check in report["checks"]}
    assert sorted({kind for kind, _ in results.values()}) == sorted(KINDS)
    assert {outcome for _, outcome in results.values()} == {"passed"}, results
    # Every runtime edge between the shop's services is exercised by some check.
    assert [edge for edge in report["coverage"] if not edge["covered"]] == []
    assert junit.read_text().count("<testcase") == len(results)
    # The resilience check stopped recommend and started it again: everything is healthy as before.
    assert shop_up.cigen("status").exit_code == 0
    # The run report saw that stop and its restart as the fault's, not as recommend failing: no threshold fails.
    # (The sampler reads PM2's events at its next look, later on a loaded machine: the report is read until then.)
    deadline = time.monotonic() + 30
    while not (run := shop_up.cigen("report", "--format", "json")).json()["services"]["shop-recommend"]["exits"]:
        assert time.monotonic() < deadline, "the report never showed the exits of recommend's stop"
        time.sleep(0.25)
    assert run.exit_code == 0, [t for t in run.json()["thresholds"] if not t["passed"]]
    exits = run.json()["services"]["shop-recommend"]["exits"]
    assert exits and all(e["expected"] and e["during_fault"] for e in exits), exits


def test_down_leaves_no_process(shop_up: ShopStack) -> None:
    pids = [row["pid"] for row in shop_up.cigen("status", "--json").json() if row["pid"]]
    assert len(pids) >= len(SHOP_PORTS)
    # A real process: the PIDs are checked once it has exited, as after `cigen down` in a shell.
    down = run_cigen_process("down", "--root", str(shop_up.root), env=shop_up.env, timeout=180)
    assert down.exit_code == 0, down.stderr
    shop_up.pids = pids
    assert shop_up.alive() == []
