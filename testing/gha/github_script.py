"""actions/github-script in the local executor: the script runs for real, under node.

The script gets what the action gives it (``github``, ``context``, ``core``,
``require``) from ``github_script.js``, where ``github`` is a local stand-in
of the REST API for issue comments: its state is a JSON file in the source
repository's ``.git`` folder, so it lasts from one run of a workflow to the
next, as a pull request's comments do. It enforces the token's permissions
(the job's ``permissions``; a fork's pull request gets a read-only token) and
GitHub's answers for other people's comments and over-long bodies. The
step's environment (its ``env:`` included) is the script's ``process.env``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cigen.errors import ToolError
from cigen.adapters.proc import run
from testing.gha.model import ActionError

if TYPE_CHECKING:
    from testing.gha.actions import LegContext

HARNESS = Path(__file__).with_name("github_script.js")
INPUTS = frozenset({
    "script", "github-token", "debug", "user-agent", "previews", "result-encoding", "retries",
    "retry-exempt-status-codes", "base-url",
})


def api_state(repo: Path) -> Path:
    """Where the local API keeps a repository's comments."""
    return repo / ".git" / "gha-local-api.json"


def comments(repo: Path, issue_number: int) -> list[dict[str, Any]]:
    """The comments of a pull request (or issue) as the local API holds them, oldest first."""
    path = api_state(repo)
    state = json.loads(path.read_text()) if path.exists() else {"comments": []}
    return [c for c in state["comments"] if c["issue_number"] == issue_number]


def github_script(leg: LegContext, inputs: dict[str, str]) -> tuple[dict[str, str], str]:
    script = leg.temp / f"github-script-{leg.files_used}.js"
    result = script.with_suffix(".json")
    script.write_text(inputs["script"])
    permissions = leg.spec.get("permissions")
    argv = [
        "node", str(HARNESS), str(script), str(api_state(leg.source_repo)), str(result),
        json.dumps(permissions if isinstance(permissions, dict) else None),
        inputs.get("result-encoding", "json") or "json",
    ]
    try:
        done = run(argv, env=leg.step_env, check=False, timeout=120)
    except ToolError as exc:
        raise ActionError(f"actions/github-script: {exc}") from None
    log = (done.stdout + done.stderr).strip()
    if not result.exists():
        raise ActionError(f"actions/github-script: node exited with {done.returncode}\n{log}")
    report = json.loads(result.read_text())
    if report["failed"]:
        raise ActionError(f"{report['failed']}\n{log}")
    return report["outputs"], log
