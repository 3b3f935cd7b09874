"""`cigen verify` against a real stack under PM2: each kind of check passing on a working shop and failing,
with what was expected and what came, on a copy broken in exactly that behaviour; exit codes, JUnit, JSON,
the step summary, and no secret in any of them.

One stack for the module (tests only read it, or add to state they do not assert on): the inventory, `api`
and `api-broken` (BROKEN=schema,auth,state,event: see testing/servers/checked.py), and `idle`, never started.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from testing.cli import CliResult, run_cigen
from testing.runtime import RuntimeRepo
from tests.verify.conftest import add_checked, started_repo

pytestmark = pytest.mark.slow

TOKEN = "tok-7d1f0c9a55e2"  # what the services accept; given to cigen verify as $SHOP_TOKEN
OPENAPI = """\
openapi: 3.1.0
info: {title: shop, version: "1"}
paths:
  /products/{id}:
    get:
      operationId: getProduct
      responses:
        "200":
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Product"}
components:
  schemas:
    Product:
      type: object
      required: [id, price]
      properties: {id: {type: string}, price: {type: number, minimum: 0}}
"""


def shop_checks(api: str, suffix: str) -> dict[str, Any]:
    return {
        f"product{suffix}": {
            "kind": "contract",
            "request": {"service": api, "path": "/products/mug", "headers": {"accept": "application/json"}},
            "expect": {"status": 200, "headers": {"content-type": "application/json*"},
                       "body": '*"id": "mug"*', "schema": {"type": "object", "required": ["id", "price"]}},
        },
        f"product-openapi{suffix}": {
            "kind": "contract", "request": {"service": api, "path": "/products/mug"},
            "expect": {"openapi": {"file": "openapi.yaml", "operation": "getProduct"}},
        },
        f"order-flow{suffix}": {
            "kind": "flow",
            "steps": [
                {"request": {"service": api, "method": "POST", "path": "/orders", "json": {"sku": "mug", "qty": 1},
                             "headers": {"authorization": "Bearer ${SHOP_TOKEN}"}},
                 "expect": {"status": 201}, "save": {"order": "$.id"}},
                {"eventually": "3s", "request": {"service": api, "path": "/orders/${order}"},
                 "expect": {"status": 200, "json": {"$.state": "issued", "$.id": "${order}"}}},
            ],
        },
        f"stock-agrees{suffix}": {
            "kind": "state",
            "steps": [
                {"request": {"service": api, "method": "POST", "path": "/cart", "json": {"sku": "mug"}}},
                {"eventually": "1s", "agree": [{"service": api, "path": "/stock/mug", "at": "$.count"},
                                               {"service": "inventory", "path": "/items/mug", "at": "$.stock"}]},
            ],
        },
        f"related-degrades{suffix}": {
            "kind": "resilience", "fault": {"pause": "inventory"}, "services": ["inventory"],
            "request": {"service": api, "path": "/related"},
            "expect": {"within": "1500ms", "status": [200, 503]}, "recover": "10s",
        },
        f"me-needs-auth{suffix}": {
            "kind": "auth", "request": {"service": api, "path": "/me"}, "refused": [401, 403],
            "credentials": {"headers": {"authorization": "Bearer ${SHOP_TOKEN}"}}, "expect": {"status": 200},
        },
    }


def build(repo: RuntimeRepo) -> None:
    inventory = add_checked(repo, "inventory", ROLE="inventory")
    # api reaches the inventory through cigen's proxy (${port:...}), api-broken straight (depends_on)
    add_checked(repo, "api", UPSTREAM_PORT="${port:inventory}", TOKEN=TOKEN)
    add_checked(repo, "api-broken", UPSTREAM_PORT=inventory, TOKEN=TOKEN, BROKEN="schema,auth,state,event,hang")
    repo.services["api-broken"]["depends_on"] = ["inventory"]
    add_checked(repo, "idle")
    (repo.root / "openapi.yaml").write_text(OPENAPI)
    repo.extra["checks"] = {
        **shop_checks("api", ""), **shop_checks("api-broken", "-broken"),
        "idle-answers": {"kind": "contract", "request": {"service": "idle", "path": "/health"}},
        "mistyped": {"kind": "contract", "request": {"service": "inventroy", "path": "/items/mug"}},
    }


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeRepo]:
    with started_repo(tmp_path_factory.mktemp("shop"), build, "api", "api-broken") as repo:
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo.root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=repo.root, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "shop"], cwd=repo.root,
                       check=True)
        yield repo


def verify(repo: RuntimeRepo, *args: str, **env: str) -> CliResult:
    return run_cigen("verify", *args, "--root", str(repo.root), env={**repo.env, "SHOP_TOKEN": TOKEN, **env},
                     timeout=120)


GOOD = ["product", "product-openapi", "order-flow", "stock-agrees", "me-needs-auth", "related-degrades"]


def test_every_kind_passes_on_the_working_shop(shop: RuntimeRepo) -> None:
    done = verify(shop, *GOOD)
    assert done.exit_code == 0, done
    table = {line.split()[0]: line.split()[1:3] for line in done.lines[1:len(GOOD) + 1]}
    assert table == {"product": ["contract", "passed"], "product-openapi": ["contract", "passed"],
                     "order-flow": ["flow", "passed"], "stock-agrees": ["state", "passed"],
                     "me-needs-auth": ["auth", "passed"], "related-degrades": ["resilience", "passed"]}
    progress = [line.split()[0] for line in done.stderr_lines]
    assert sorted(progress) == sorted(GOOD)  # a line per check as it finishes
    assert {line.index(" passed") for line in done.stderr_lines} == {len("related-degrades") + 2 + 10 + 1}
    assert done.lines[-1].startswith("6 passed, 0 failed, 0 error in ")


@pytest.mark.parametrize(("check", "step", "expected", "got"), [
    ("product-broken", "step 1: GET api-broken /products/mug", "a body matching the schema",
     "at $: 'price' is a required property"),
    ("product-openapi-broken", "step 1: GET api-broken /products/mug", "the 200 response of getProduct",
     "at $: 'price' is a required property"),
    ("order-flow-broken", "step 2: GET api-broken /orders/${order}", "$.state = \"issued\" within 3 s",
     "$.state = \"pending\""),
    ("stock-agrees-broken", "step 2: agree api-broken /stock/mug $.count, inventory /items/mug $.stock",
     "every read to give one value", "api-broken /stock/mug $.count = "),
    ("me-needs-auth-broken", "GET api-broken /me with malformed credentials", "refused (401,403)", "200 OK"),
])
def test_each_kind_fails_on_the_broken_copy_saying_what_came(shop: RuntimeRepo, check: str, step: str,
                                                             expected: str, got: str) -> None:
    done = verify(shop, check, "--json")
    assert done.exit_code == 1, done
    (result,) = done.json()["checks"]
    assert result["outcome"] == "failed"
    failed = next(s for s in result["steps"] if not s["ok"])
    assert failed["step"] == step
    assert failed["expected"].startswith(expected), failed
    assert got in failed["got"], failed
    assert result["logs"]["api-broken"], "the failure carries the last lines of the service's log"


def test_a_failure_is_told_in_full_after_the_table(shop: RuntimeRepo) -> None:
    done = verify(shop, "order-flow-broken", "product")
    assert done.exit_code == 1
    text = done.stdout
    assert "order-flow-broken (flow) failed: step 2: GET api-broken /orders/${order}: expected $.state = " in text
    assert "value at $.state: \"pending\"" in text and "status: 200 OK" in text
    assert "tries:" in text and "last lines of api-broken's log:" in text
    assert done.lines[-1].startswith("1 passed, 1 failed, 0 error")


def test_no_credential_or_environment_value_is_printed_anywhere(shop: RuntimeRepo, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    junit = tmp_path / "junit.xml"
    # /me echoes the credential it got, and the broken copy lets a wrong one in: both land in the failure.
    done = verify(shop, "me-needs-auth", "me-needs-auth-broken", "order-flow", "--junit", str(junit),
                  GITHUB_STEP_SUMMARY=str(summary))
    again = verify(shop, "me-needs-auth-broken", "--json")
    assert done.exit_code == again.exit_code == 1
    for text in (done.stdout, done.stderr, again.stdout, summary.read_text(), junit.read_text()):
        assert TOKEN not in text
    assert "***" in again.stdout  # the echo was there, redacted


def test_junit_has_a_testcase_per_check_grouped_by_kind(shop: RuntimeRepo, tmp_path: Path) -> None:
    junit = tmp_path / "reports" / "verify.xml"
    done = verify(shop, "product", "product-broken", "order-flow", "--junit", str(junit))
    assert done.exit_code == 1
    suites = ET.parse(junit).getroot()
    assert (suites.tag, suites.get("tests"), suites.get("failures")) == ("testsuites", "3", "1")
    by_kind = {suite.get("name"): [case.get("name") for case in suite] for suite in suites}
    assert by_kind == {"contract": ["product", "product-broken"], "flow": ["order-flow"]}
    failure = suites.find("testsuite/testcase[@name='product-broken']/failure")
    assert failure is not None and "'price' is a required property" in (failure.get("message") or "")


def test_the_step_summary_has_the_table_and_the_coverage(shop: RuntimeRepo, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("## before\n")  # another step's section stays
    done = verify(shop, "stock-agrees", "product-broken", GITHUB_STEP_SUMMARY=str(summary))
    assert done.exit_code == 1
    text = summary.read_text()
    assert text.startswith("## before\n## cigen verify\n")
    assert "| stock-agrees | state | passed |" in text and "| product-broken | contract | FAILED |" in text
    assert "| api | inventory | url | related-degrades, stock-agrees |" in text
    assert "| api-broken | inventory | depends_on | related-degrades-broken, stock-agrees-broken |" in text


def test_coverage_lists_every_runtime_edge_and_what_covers_it(shop: RuntimeRepo) -> None:
    coverage = verify(shop, "product", "--json").json()["coverage"]
    assert {(e["dependent"], e["dependency"]): e["checks"] for e in coverage} == {
        ("api", "inventory"): ["related-degrades", "stock-agrees"],
        ("api-broken", "inventory"): ["related-degrades-broken", "stock-agrees-broken"]}


def test_kind_and_names_select_the_checks(shop: RuntimeRepo) -> None:
    done = verify(shop, "--kind", "auth", "--json")
    assert [c["name"] for c in done.json()["checks"]] == ["me-needs-auth", "me-needs-auth-broken"]


@pytest.mark.parametrize(("args", "message"), [
    (("prodct",), "no check is named 'prodct' (did you mean product or product-broken?)"),
    (("--kind", "smoke"), "--kind smoke: no such kind of check (kinds: contract, flow, state, auth, resilience)"),
    (("product", "--kind", "flow"), "no check is of kind flow among those named"),
    (("--affected",), "--affected and --base go together"),
    (("mistyped",), "cigen.yaml: checks.mistyped names the service 'inventroy', which is not a service of this "
                    "monorepo (did you mean inventory?)"),
])
def test_bad_options_are_one_line_and_exit_2(shop: RuntimeRepo, args: tuple[str, ...], message: str) -> None:
    done = verify(shop, *args)
    assert done.exit_code == 2, done
    assert done.stdout == ""
    assert len(done.stderr_lines) == 1 and done.stderr_lines[0].startswith("cigen: error: "), done
    assert message in done.stderr_lines[0]


def test_a_variable_that_is_not_set_is_named_before_anything_runs(shop: RuntimeRepo) -> None:
    env = {k: v for k, v in shop.env.items() if k != "SHOP_TOKEN"}
    done = run_cigen("verify", "order-flow", "--root", str(shop.root), env=env, timeout=60)
    assert done.exit_code == 2, done
    assert "checks.order-flow.steps[0].request.headers.authorization uses ${SHOP_TOKEN}, which is not set" in done.stderr
    assert done.stdout == ""


def test_a_needed_service_that_is_not_up_is_exit_3_naming_it(shop: RuntimeRepo) -> None:
    done = verify(shop, "idle-answers", "product")
    assert done.exit_code == 3, done
    assert done.stderr_lines == ["cigen: error: the stack is not up: idle is not running "
                                 "(run `cigen up idle` first, or `cigen verify --up`)"]


def _commit(repo: RuntimeRepo, relative: str) -> None:
    (repo.root / relative).write_text("changed\n")
    subprocess.run(["git", "add", relative], cwd=repo.root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", relative], cwd=repo.root,
                   check=True)


def test_affected_runs_only_the_checks_whose_services_changed(shop: RuntimeRepo) -> None:
    before = subprocess.run(["git", "rev-parse", "HEAD"], cwd=shop.root, check=True, capture_output=True,
                            text=True).stdout.strip()
    try:
        _commit(shop, "services/inventory/stock.txt")
        done = verify(shop, "--affected", "--base", "HEAD~1", "--kind", "state", "--json")
        assert done.exit_code == 1, done  # the broken copy's state check still fails
        assert [c["name"] for c in done.json()["checks"]] == ["stock-agrees", "stock-agrees-broken"]
        _commit(shop, "services/api/note.txt")
        only_api = verify(shop, "--affected", "--base", "HEAD~1", "--kind", "contract", "--json").json()
        assert [c["name"] for c in only_api["checks"]] == ["product", "product-openapi"]
        assert sorted(only_api["skipped"]) == ["idle-answers", "mistyped", "product-broken", "product-openapi-broken"]
    finally:
        subprocess.run(["git", "reset", "-q", "--hard", before], cwd=shop.root, check=False)


def test_a_dependent_that_hangs_under_a_fault_fails_and_the_fault_is_undone(shop: RuntimeRepo) -> None:
    done = verify(shop, "related-degrades-broken", "--json")
    assert done.exit_code == 1, done
    (result,) = done.json()["checks"]
    assert result["message"] == ("GET api-broken /related under the fault (pause inventory): expected an answer "
                                 "within 1.5 s, got no answer: timed out after 1.5 s")
    inventory = psutil.Process(max(shop.pids("inventory")))
    assert inventory.status() != psutil.STATUS_STOPPED  # SIGCONT came
    status = run_cigen("status", "inventory", "--root", str(shop.root), env=shop.env)
    assert status.exit_code == 0, status
    assert verify(shop, "stock-agrees").exit_code == 0  # the stack answers again
