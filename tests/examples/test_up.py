"""The example's cigen.yaml runs the shop under PM2: `cigen up` starts all seven services in
dependency order, each gated on its health check, and `cigen down` leaves nothing behind."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from testing.cli import CliResult, run_cigen, run_cigen_process
from testing.examples import SHOP_PORTS, move_shop_ports
from testing.processes import http_get

pytestmark = pytest.mark.slow


def cigen(root: Path, *args: str) -> CliResult:
    return run_cigen(*args, "--root", str(root), timeout=180)


@pytest.fixture
def shop_up(
    shop: Path, free_port: Callable[[], int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, dict[str, int]]]:
    """The built shop (this module's own copy) with its cigen.yaml moved to free ports and a
    PM2 home of its own; `cigen down` afterwards, whatever happened."""
    ports = {name: free_port() for name in SHOP_PORTS}
    move_shop_ports(shop, ports)
    monkeypatch.setenv("CIGEN_PM2_HOME", str(tmp_path / "pm2"))
    try:
        yield shop, ports
    finally:
        cigen(shop, "down")


def test_up_starts_every_service_healthy_and_down_leaves_no_process(shop_up: tuple[Path, dict[str, int]]) -> None:
    shop, ports = shop_up
    up = cigen(shop, "up")
    assert up.exit_code == 0, up.stderr
    assert "7 services healthy" in up.stdout
    # Each service started only after the services it needs were healthy.
    order = [line.split()[0] for line in up.stderr.splitlines() if line.rstrip().endswith("starting")]
    needs = ("@shop/auth", "shop-recommend", "@shop/inventory", "@shop/broker")
    assert order.index("@shop/api") > max(order.index(name) for name in needs)
    assert order.index("@shop/billing") > order.index("@shop/broker")
    assert order.index("@shop/web") > order.index("@shop/api")

    status, page = http_get(f"http://127.0.0.1:{ports['@shop/web']}/products/mug")
    assert status == 200 and "Enamel mug" in page

    rows = json.loads(cigen(shop, "status", "--json").stdout)
    assert {r["name"]: r["health"] for r in rows} == dict.fromkeys(SHOP_PORTS, "healthy")
    pids = [r["pid"] for r in rows]

    # A real process: the PIDs are checked once it has exited, as after `cigen down` in a shell.
    # cigen down waits until no service is alive, a zombie counting as gone; kill(pid, 0) also
    # needs the zombie reaped, which can take a moment longer.
    down = run_cigen_process("down", "--root", str(shop), timeout=180)
    assert down.exit_code == 0, down.stderr
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
