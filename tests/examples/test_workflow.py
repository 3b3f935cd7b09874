"""The example shows its generated workflow: committed, current, and valid."""

from __future__ import annotations

import subprocess
import sys

from testing.paths import EXAMPLES
from testing.validators import assert_valid_workflow

SHOP = EXAMPLES / "shop"
WORKFLOW = SHOP / ".github" / "workflows" / "cigen.yml"


def test_the_committed_workflow_is_what_cigen_generate_writes() -> None:
    done = subprocess.run([sys.executable, "-m", "cigen", "check", "--root", str(SHOP)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"run `./dev cigen generate --root examples/shop` and commit it:\n{done.stdout}"


def test_the_committed_workflow_passes_the_validators() -> None:
    assert_valid_workflow(WORKFLOW)
