"""Bad input, table-driven: every cigen.yaml section, the manifests, the options, through every command that
reads them. Each case is exit 2, one line ``cigen: error: FILE:LINE:COLUMN: ...`` naming the key, no
traceback, and the monorepo exactly as it was (nothing written, nothing started).

The commands run in this process (testing.cli.run_cigen); the one case that needs a process of its own, a
billion-laughs file under a memory limit, is in tests/adapters/test_yaml_tree.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cigen.runtime.pm2 import daemon_pid, pm2_home
from testing.cli import CliResult, run_cigen
from testing.monorepos import write_monorepo

MONOREPO: dict[str, dict[str, Any]] = {
    ".": {"name": "root", "private": True, "workspaces": ["packages/*", "services/*"]},
    "packages/a": {"name": "a", "version": "1.0.0", "scripts": {"build": "node -e 0"}},
    "services/api": {"name": "api", "version": "1.0.0", "scripts": {"start": "node server.js"},
                     "dependencies": {"a": "*"}},
}
SERVICE = "services:\n  api:\n    port: 4001\n"
CHECK = "checks:\n  c:\n    {check}"
DEEP = 100_000


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str]  # written over the monorepo
    where: str | None  # FILE[:LINE:COLUMN] as printed after the root, None for an option
    key: str | None  # the key the line names, None where there is none (a file nested too deeply)
    what: str
    args: tuple[str, ...] = ("plan",)


def yaml(text: str, where: str, key: str | None, what: str, case_id: str, args: tuple[str, ...] = ("plan",)) -> Case:
    return Case(case_id, {"cigen.yaml": text}, f"cigen.yaml:{where}", key, what, args)


def billion_laughs(levels: int = 9) -> str:
    lines = ['x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


DURATIONS = [
    ("services.api.restart.min_uptime", SERVICE + "    restart: {min_uptime: .inf}\n", "4:15"),
    ("services.api.restart.backoff", SERVICE + "    restart: {backoff: .inf}\n", "4:15"),
    ("services.api.kill_timeout", SERVICE + "    kill_timeout: .inf\n", "4:5"),
    ("services.api.health.interval", SERVICE + "    health: {tcp: 4001, interval: .inf}\n", "4:25"),
    ("services.api.health.timeout", SERVICE + "    health: {tcp: 4001, timeout: .inf}\n", "4:25"),
    ("services.api.health.start_period", SERVICE + "    health: {tcp: 4001, start_period: .inf}\n", "4:25"),
    ("services.api.health.deadline", SERVICE + "    health: {tcp: 4001, deadline: .inf}\n", "4:25"),
    ("runtime.log_rotation.check_every", "runtime:\n  log_rotation: {check_every: .inf}\n", "2:18"),
]
# One unknown key and one wrong type in every section.
SECTIONS = [
    ("workspaces", "workspaces: packages/*\n", "1:1", "input should be a valid list"),
    ("include_root", "include_root: maybe\n", "1:1", "input should be a valid boolean"),
    ("kinds.a", "kinds: {a: daemon}\n", "1:9", "input should be 'package', 'service' or 'app'"),
    ("plan.mode", "plan: {mode: fast}\n", "1:8", "input should be 'auto', 'cascade' or 'parallel'"),
    ("plan.fastt", "plan: {fastt: 1}\n", "1:8", "unknown key plan.fastt (allowed keys: concurrency, cycles, ignore, mode)"),
    ("workflow.timeout_minutes", "workflow: {timeout_minutes: 0}\n", "1:12", "greater than or equal to 1"),
    ("workflow.tasks", "workflow:\n  tasks: [build, build]\n", "2:3", "lists a task twice"),
    ("workflow.impact.comment", "workflow: {impact: {comment: sometimes}}\n", "1:21", "valid boolean"),
    ("workflow.setup", "workflow: {setup: [{run: x, uses: y}]}\n", "1:12", "exactly one of `uses` or `run`"),
    ("affected.ignore", "affected: {ignore: [/abs]}\n", "1:12", "not a root-relative glob"),
    ("affected.extra", "affected: {extra: 1}\n", "1:12", "unknown key affected.extra"),
    ("services.api.health", SERVICE + "    health: {http: /h, tcp: 1}\n", "4:5", "give exactly one of http, tcp or cmd"),
    ("services.api.restart.max_memory", SERVICE + "    restart: {max_memory: lots}\n", "4:15", "memory size"),
    ("services.api.bogus", SERVICE + "    bogus: 1\n", "4:5", "unknown key services.api.bogus"),
    ("runtime.namespace", "runtime: {namespace: 'a b'}\n", "1:11", "should match pattern"),
    ("runtime.integration.command", "runtime: {integration: {cwd: .}}\n", "1:11", "field required"),
    ("runtime.log_rotation.retain", "runtime: {log_rotation: {retain: 0}}\n", "1:26", "greater than or equal to 1"),
]

CASES = [
    # -- YAML itself --------------------------------------------------------------------------------------------
    yaml("services:\n  api: &svc {port: 4001, bogus: 1}\n  web: {<<: *svc}\n", "2:26", "services.api.bogus",
         "unknown key", "merge key bringing an unknown key"),
    yaml("plan:\n  <<: 1\n", "2:7", None, "plan: << merges mappings only", "merge key on a scalar"),
    yaml("services: &s\n  api: *s\n", "2:8", "services.api", "the alias *s is inside the value it names",
         "self-referencing alias"),
    yaml("plan: *nope\n", "1:7", "plan", "the alias *nope names no anchor above it", "undefined alias"),
    yaml(billion_laughs(), "5:45", "x4[7]", "aliases stand for more than 100,000 values", "billion laughs"),
    yaml("workflow: " + "[" * 500 + "]" * 500 + "\n", "1:110", "workflow[0][0]", "nested more than 100 levels",
         "nesting 500 deep (flow)"),
    yaml("services:\n" + "".join("  " * i + "x:\n" for i in range(1, 500)) + "  " * 500 + "x: 1\n",
         "101:201", "services.x.x", "nested more than 100 levels", "nesting 500 deep (block)"),
    yaml("plan:\n  mode: auto\n  mode: cascade\n", "3:3", "plan.mode", "given twice, on lines 2 and 3",
         "duplicate key"),
    yaml("services:\n  api: {port: 1}\n  api: {port: 2}\n", "3:3", "services.api", "given twice, on lines 2 and 3",
         "duplicate service"),
    yaml(SERVICE + "    env: {A: 1, A: 2}\n", "4:17", "services.api.env.A", "given twice, on line 4",
         "duplicate key in a flow mapping"),
    yaml("? [plan]\n: {}\n", "1:3", None, "a key must be a name", "key that is a list"),
    yaml("workflow:\n  name: !!binary aGk=\n", "2:9", "workflow.name", "the tag !!binary is not supported",
         "binary tag"),
    yaml("workflow:\n  name: !!python/object/apply:os.system [id]\n", "2:9", "workflow.name",
         "the tag !!python/object/apply:os.system is not supported", "python tag"),
    yaml("plan: {}\n---\nplan: {}\n", "2:1", None, "more than one document", "two documents"),
    yaml("plan:\n  concurrency: " + "9" * 5000 + "\n", "2:16", "plan.concurrency", "a number of 5,000 digits",
         "a number Python cannot convert"),
    yaml("plan: [unclosed\n", "2:1", None, "invalid YAML", "syntax error"),
    # -- values ---------------------------------------------------------------------------------------------------
    *[yaml(text, where, key, "a duration must be at most 2,147,484 s", f".inf {key}") for key, text, where in DURATIONS],
    yaml(SERVICE.replace("4001", "true"), "3:5", "services.api.port", "expected a number, not a boolean",
         "port: true"),
    yaml(SERVICE + "    instances: true\n", "4:5", "services.api.instances", "expected a number, not a boolean",
         "instances: true"),
    yaml(SERVICE + "    health: {tcp: true}\n", "4:14", "services.api.health.tcp", "expected a number",
         "health.tcp: true"),
    yaml("plan: {concurrency: true}\n", "1:8", "plan.concurrency", "expected a number", "concurrency: true"),
    yaml(SERVICE + "    instances: 100000\n", "4:5", "services.api.instances", "less than or equal to 256",
         "instances: 100000"),
    yaml(SERVICE + "    env:\n      FLAG:\n", "5:7", "services.api.env.FLAG", "has no value", "env without a value"),
    yaml(SERVICE + "    env: {FLAG: [1]}\n", "4:11", "services.api.env.FLAG", "not a list or a mapping",
         "env value that is a list"),
    yaml(SERVICE + "    env: {FLAG: ~}\n", "4:11", "services.api.env.FLAG", "has no value", "env value null"),
    yaml("runtime:\n  integration: {command: npm test, cwd: ../..}\n", "2:36", "runtime.integration.cwd",
         "'../..' leaves the repository", "integration.cwd escaping the root"),
    yaml("runtime:\n  integration: {command: npm test, cwd: /tmp}\n", "2:36", "runtime.integration.cwd",
         "'/tmp' must be a relative folder", "integration.cwd absolute"),
    yaml(SERVICE + "    cwd: /etc\n", "4:5", "services.api.cwd", "'/etc' must be a relative folder",
         "service cwd absolute"),
    *[yaml(text, where, key, what, f"section {key}") for key, text, where, what in SECTIONS],
    yaml("monitor:\n  log_rules: [{name: oops, pattern: 'a(b'}]\n", "2:28", "monitor.log_rules[0].pattern",
         "not a regular expression (missing ), unterminated subpattern", "monitor log rule that is no regex"),
    yaml("monitor:\n  ignore: ['[x']\n", "2:12", "monitor.ignore[0]", "not a regular expression", "monitor ignore no regex"),
    yaml("monitor:\n  thresholds: {max_memory: lots}\n", "2:16", "monitor.thresholds.max_memory",
         "expected a memory size such as 300M", "monitor max_memory not a size"),
    yaml("monitor:\n  thresholds: {max_health_failure_rate: 2}\n", "2:16",
         "monitor.thresholds.max_health_failure_rate", "less than or equal to 1", "monitor failure rate over 1"),
    yaml("monitor:\n  interval: soon\n", "2:3", "monitor.interval", "expected a duration", "monitor interval"),
    yaml(SERVICE + "    monitor: {max_restarts: -1}\n", "4:15", "services.api.monitor.max_restarts",
         "greater than or equal to 0", "service monitor max_restarts negative"),
    yaml(SERVICE + "    monitor: {log_rules: [{pattern: x}]}\n", "4:27", "services.api.monitor.log_rules[0].name",
         "field required", "service log rule without a name"),
    yaml(SERVICE + "    monitor: {treshold: 1}\n", "4:15", "services.api.monitor.treshold", "unknown key",
         "service monitor unknown key"),
    # -- manifests ------------------------------------------------------------------------------------------------
    Case("member package.json nested 100,000 deep",
         {"packages/a/package.json": '{"name": "a", "x": ' + "[" * DEEP + "]" * DEEP + "}"},
         f"packages/a/package.json:1:{20 + DEEP - 1}", None, "nested 100,001 levels deep"),
    Case("root package.json nested 100,000 deep",
         {"package.json": '{"workspaces": ["packages/*"], "x": ' + "{\"a\": " * DEEP + "1" + "}" * DEEP + "}"},
         f"package.json:1:{37 + 6 * (DEEP - 1)}", None, "nested 100,001 levels deep"),
    Case("pyproject.toml nested 100,000 deep",
         {"pyproject.toml": '[project]\nname = "root"\nx = ' + "[" * DEEP + "]" * DEEP + "\n"},
         f"pyproject.toml:3:{4 + DEEP}", None, "nested 100,000 levels deep"),
    Case("pnpm-workspace.yaml with a duplicate key",
         {"package.json": '{"name": "root", "packageManager": "pnpm@10.0.0"}',
          "pnpm-workspace.yaml": "packages:\n  - packages/*\npackages:\n  - services/*\n"},
         "pnpm-workspace.yaml:3:1", "packages", "given twice, on lines 1 and 3"),
    Case("pnpm-workspace.yaml billion laughs",
         {"package.json": '{"name": "root", "packageManager": "pnpm@10.0.0"}', "pnpm-workspace.yaml": billion_laughs()},
         "pnpm-workspace.yaml:5:45", "x4[7]", "aliases stand for more than 100,000 values"),
    # -- options --------------------------------------------------------------------------------------------------
    Case("--files ../x", {}, None, None, "'../x' is not inside the monorepo root", ("affected", "--files", "../x")),
    Case("--files /etc/passwd", {}, None, None, "'/etc/passwd' is not inside the monorepo root",
         ("affected", "--files", "/etc/passwd")),
    Case("--select a^... when a depends on nothing", {}, None, None,
         "selection 'a^...' selects nothing: a depends on no other member (did you mean ...^a, what depends on it?)",
         ("plan", "--select", "a^...")),
    Case("--select excluding everything", {}, None, None, "the selection '!*' selects nothing",
         ("run", "build", "--select", "!*")),
    # -- checks: ------------------------------------------------------------------------------------------------
    yaml(CHECK.format(check="kind: smoke\n    request: {service: api}\n"), "3:5", "checks.c.kind",
         "kind must be one of contract, flow, state, auth, resilience (got 'smoke')", "check of no kind"),
    yaml(CHECK.format(check="kind: contract\n    request: {service: api, path: /a, verb: GET}\n"), "4:39",
         "checks.c.request.verb", "allowed keys: body, headers, json, method, path, query, service, timeout",
         "unknown key in a check's request"),
    yaml(CHECK.format(check="kind: flow\n    steps:\n      - request: {service: api}\n        sav: {id: $.id}\n"),
         "6:9", "checks.c.steps[0].sav", "allowed keys: agree, eventually, expect, name, request, save",
         "unknown key in a step"),
    yaml(CHECK.format(check="kind: contract\n    request: {service: api}\n    expect: {status: 2000}\n"), "5:14",
         "checks.c.expect.status", "expected HTTP status codes", "status that is no HTTP status"),
    yaml(CHECK.format(check="kind: contract\n    request: {service: api}\n    expect: {json: {'$..id': 1}}\n"),
         "5:21", "checks.c.expect.json.$..id", "'$..id' is not a JSONPath to one value", "JSONPath to many values"),
    yaml(CHECK.format(check="kind: contract\n    request: {service: api}\n    expect: {schema: {type: 7}}\n"),
         "5:14", "checks.c.expect.schema", "not a valid JSON Schema 2020-12 at type", "schema that is no schema"),
    yaml(CHECK.format(check="kind: contract\n    request: {service: api, headers: {a: '${1x}'}}\n"), "4:39",
         "checks.c.request.headers.a", "${1x} is not a reference", "bad reference"),
    yaml(CHECK.format(check="kind: auth\n    request: {service: api}\n    credentials: {}\n"), "5:5",
         "checks.c.credentials", "credentials need a header or a query parameter", "auth without credentials"),
    yaml(CHECK.format(check="kind: resilience\n    fault: {}\n    request: {service: api}\n"), "4:5",
         "checks.c.fault", "give exactly one of stop, pause, delay or error", "resilience without a fault"),
    yaml(CHECK.format(check="kind: state\n    steps: [{agree: [{service: api}]}]\n"), "4:14",
         "checks.c.steps[0].agree", "at least 2 items", "agree with one read"),
]


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with a digest of its bytes (and every folder), to see that nothing changed.

    ``.cigen`` is left out: cigen's own state (``up`` opens the PM2 log there while it reads the manifests).
    """
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
            for p in sorted(root.rglob("*")) if p.relative_to(root).parts[0] != ".cigen"}


def run_broken(root: Path, files: dict[str, str], args: tuple[str, ...]) -> tuple[CliResult, dict[str, str]]:
    write_monorepo(root, MONOREPO)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    before = snapshot(root)
    return run_cigen(*args, cwd=root, timeout=60), before


def assert_one_line(result: CliResult, root: Path, where: str | None, key: str | None, what: str) -> None:
    assert result.exit_code == 2, result
    assert result.stdout == "", result
    assert "Traceback" not in result.stderr, result
    assert len(result.stderr_lines) == 1, result
    line = result.stderr_lines[0]
    prefix = f"cigen: error: {root}/{where}: " if where else "cigen: error: "
    assert line.startswith(prefix), line
    assert key is None or key in line, line
    assert what in line, line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_located_line(tmp_path: Path, case: Case) -> None:
    result, before = run_broken(tmp_path, case.files, case.args)
    assert_one_line(result, tmp_path, case.where, case.key, case.what)
    assert snapshot(tmp_path) == before, "the command changed the monorepo"


# Every command that reads cigen.yaml or the manifests, against a YAML error, a value error and a manifest
# error. `cigen down` reads neither, so that a broken edit never strands running services.
COMMANDS = [
    ("graph",), ("plan",), ("run", "build"), ("affected", "--files", "packages/a/x.js"), ("generate",), ("check",),
    ("generate", "--check"), ("ecosystem", "--output", "-"), ("ecosystem", "--check"), ("up",), ("status",),
    ("logs", "api"),
]
BREAKAGES = [
    Case("duplicate key", {"cigen.yaml": "plan:\n  mode: auto\n  mode: cascade\n"}, "cigen.yaml:3:3", "plan.mode",
         "given twice"),
    Case("port: true", {"cigen.yaml": SERVICE.replace("4001", "true")}, "cigen.yaml:3:5", "services.api.port",
         "expected a number"),
    Case("deep manifest", {"packages/a/package.json": '{"name": "a", "x": ' + "[" * DEEP + "]" * DEEP + "}"},
         f"packages/a/package.json:1:{20 + DEEP - 1}", None, "nested 100,001 levels deep"),
]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.id for b in BREAKAGES])
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_gives_the_same_one_line(tmp_path: Path, command: tuple[str, ...], breakage: Case) -> None:
    result, before = run_broken(tmp_path, breakage.files, command)
    assert_one_line(result, tmp_path, breakage.where, breakage.key, breakage.what)
    assert snapshot(tmp_path) == before, "the command changed the monorepo"
    assert daemon_pid(pm2_home(tmp_path)) is None, "a PM2 daemon was left running"


def test_a_merge_key_shares_settings_between_services(tmp_path: Path) -> None:
    # It was a ConstructorError traceback; docker compose users write it this way.
    config = ("services:\n  api: &svc\n    port: 4001\n    restart: {max_restarts: 3}\n"
              "  worker:\n    <<: *svc\n    start: node worker.js\n    port: 4002\n")
    result, _ = run_broken(tmp_path, {"cigen.yaml": config}, ("ecosystem", "--output", "-"))
    assert result.exit_code == 0, result
    apps = {app["name"]: app for app in json.loads(result.stdout.split("const apps = ", 1)[1].split(";\n", 1)[0])}
    assert apps["worker"]["max_restarts"] == 3 and apps["worker"]["env"]["PORT"] == "4002"
    assert apps["api"]["env"]["PORT"] == "4001"
