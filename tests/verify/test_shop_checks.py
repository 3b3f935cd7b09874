"""Each kind of check of the shop's cigen.yaml fails, with a message that says why, on a copy of the shop
broken in exactly the behaviour it guards (the shop's own copy passes them all: tests/examples/test_up.py).

One copy is broken in five ways at once, one per check, so that one stack shows all five failures: each
check fails for its own reason and the others' breakages do not reach it. The resilience check's fault is
undone after its failure, and `cigen down` leaves nothing running.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.examples import BUILD_ORDER, ShopStack, built_shop, copy_run_example, npm_run, running_shop

pytestmark = pytest.mark.slow

# (file, what the shop has, what the broken copy has instead): each breaks one behaviour a check guards.
BREAKAGES = {
    # A wrong schema: the price goes out as a number of cents instead of the display string.
    "product-contract": ("services/api/src/app.js",
                         "return { status: 200, body: { product, related: others } };",
                         "return { status: 200, body: { product: { ...product, price: product.priceCents }, "
                         "related: others } };"),
    # A lost event: billing listens on a topic nobody publishes on.
    "order-invoiced": ("services/billing/src/app.js",
                       "bus.subscribe(TOPICS.orderPlaced, invoice)",
                       'bus.subscribe("shop/order/placed", invoice)'),
    # State that diverges: the API forgets to update its view of the stock after a reservation.
    "stock-agrees": ("services/api/src/app.js",
                     "if (answer.status === 201) stock.set(sku, answer.body.stock);",
                     "// the API's view of the stock is left as it was"),
    # An endpoint that accepts bad credentials: the API reads the user from the token without asking auth.
    "orders-need-auth": ("services/api/src/app.js",
                         "return await getJson(`${authUrl}/verify?token=${encodeURIComponent(token)}`);",
                         'return { user: token.split(".")[0] };'),
    # A dependent that hangs when its dependency stops: the API retries recommend until it answers.
    "related-degrades": ("services/api/src/app.js",
                         "const { items } = await getJson(url, { timeoutMs: RELATED_TIMEOUT_MS });",
                         "let items;\n    for (;;) {\n      try {\n        ({ items } = await getJson(url)); break;\n"
                         "      } catch {\n        await new Promise((resolve) => setTimeout(resolve, 100));\n"
                         "      }\n    }"),
}


def break_shop(root: Path) -> None:
    """Break a built copy of the shop as BREAKAGES says, and build again each member whose source changed."""
    for check, (file, good, broken) in BREAKAGES.items():
        path = root / file
        text = path.read_text()
        assert text.count(good) == 1, f"{check}: the shop's {file} no longer has {good!r}: update BREAKAGES"
        path.write_text(text.replace(good, broken))
    changed = {member for member in BUILD_ORDER for file, _, _ in BREAKAGES.values() if file.startswith(f"{member}/")}
    for member in (m for m in BUILD_ORDER if m in changed):
        npm_run(root / member, "build")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopStack]:
    root = copy_run_example(built_shop(tmp_path_factory), tmp_path_factory.mktemp("broken"))
    break_shop(root)
    with running_shop(root, tmp_path_factory.mktemp("pm2")) as stack:
        yield stack


@pytest.fixture(scope="module")
def verified(broken: ShopStack) -> tuple[int, dict[str, dict[str, Any]], str]:
    """``cigen verify --json`` on the broken copy: its exit code, each check's result, and all it printed."""
    done = broken.cigen("verify", "--json")
    return done.exit_code, {check["name"]: check for check in done.json()["checks"]}, done.stdout + done.stderr


def failure(verified: tuple[int, dict[str, dict[str, Any]], str], name: str) -> str:
    """A failed check's message and the detail of its failed step, as one text."""
    check = verified[1][name]
    assert check["outcome"] == "failed", check
    step = next(step for step in check["steps"] if not step["ok"])
    return "\n".join([check["message"], step["step"], step["expected"], step["got"], *step["detail"]])


def test_verify_exits_1_and_every_check_fails(verified: tuple[int, dict[str, dict[str, Any]], str]) -> None:
    code, checks, _ = verified
    assert code == 1
    assert {name: check["outcome"] for name, check in checks.items() if name in BREAKAGES} == dict.fromkeys(
        BREAKAGES, "failed")
    # The storefront check guards nothing that was broken: it still passes.
    assert checks["storefront-renders"]["outcome"] == "passed"


def test_a_wrong_schema_fails_the_contract_naming_the_field(verified: tuple[int, dict[str, dict[str, Any]], str]) -> None:
    text = failure(verified, "product-contract")
    assert "at $.product.price: 1250 is not of type 'string'" in text


def test_a_lost_event_fails_the_flow_with_the_last_answer_billing_gave(
    verified: tuple[int, dict[str, dict[str, Any]], str],
) -> None:
    text = failure(verified, "order-invoiced")
    assert "GET @shop/billing /invoices/${order}" in text and "status 200 within 5 s" in text
    assert "404 Not Found" in text and "no invoice for order" in text


def test_state_that_diverges_fails_naming_each_services_value(verified: tuple[int, dict[str, dict[str, Any]], str]) -> None:
    text = failure(verified, "stock-agrees")
    api = re.search(r"@shop/api /stock/mug \$\.count = (\d+)", text)
    inventory = re.search(r"@shop/inventory /items/mug \$\.stock = (\d+)", text)
    assert api and inventory, text
    assert int(api[1]) == int(inventory[1]) + 1  # the API missed the reservation the check made


def test_an_endpoint_that_accepts_bad_credentials_fails_the_auth_check(
    verified: tuple[int, dict[str, dict[str, Any]], str], broken: ShopStack,
) -> None:
    text = failure(verified, "orders-need-auth")
    assert "credentials: expected refused (401,403), got 201 Created" in text
    # The token the check was given is a credential: never printed, nor its signature alone.
    assert broken.token.rsplit(".", 1)[1] not in verified[2]


def test_a_dependent_that_hangs_when_its_dependency_stops_fails_the_resilience_check(
    verified: tuple[int, dict[str, dict[str, Any]], str],
) -> None:
    text = failure(verified, "related-degrades")
    assert "under the fault (stop shop-recommend)" in text and "within 1 s" in text


def test_after_the_failures_the_fault_is_undone_and_every_service_is_healthy(
    verified: tuple[int, dict[str, dict[str, Any]], str], broken: ShopStack,
) -> None:
    rows = broken.cigen("status", "--json").json()
    assert {row["name"]: row["health"] for row in rows if row["configured"]}["shop-recommend"] == "healthy"
    assert broken.cigen("status").exit_code == 0


def test_down_leaves_nothing_of_the_broken_copy_running(
    verified: tuple[int, dict[str, dict[str, Any]], str], broken: ShopStack,
) -> None:
    assert broken.cigen("down").exit_code == 0
    assert broken.alive() == []
