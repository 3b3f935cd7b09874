"""The example shows its generated workflow: committed, current, and valid."""

from __future__ import annotations

from testing.cli import run_cigen
from testing.paths import EXAMPLES
from testing.validators import assert_valid_workflow

SHOP = EXAMPLES / "shop"
WORKFLOW = SHOP / ".github" / "workflows" / "cigen.yml"


def test_the_committed_workflow_is_what_cigen_generate_writes() -> None:
    done = run_cigen("check", "--root", str(SHOP))
    assert done.exit_code == 0, f"run `./dev cigen generate --root examples/shop` and commit it:\n{done.stdout}"


def test_the_committed_workflow_passes_the_validators() -> None:
    assert_valid_workflow(WORKFLOW)
