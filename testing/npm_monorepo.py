"""Monorepos for real ``cigen run`` runs: npm workspaces whose scripts record when they ran.

Every script is ``node ../../record.js TASK SECONDS [EXIT]``: it appends
``start <ns> <pid>`` to ``.record/<package>.<task>``, prints a line, waits
SECONDS, appends ``end <ns>`` and exits with EXIT. The times come from
``process.hrtime`` (CLOCK_MONOTONIC on Linux), the clock ``time.monotonic_ns``
reads, so times of different processes compare. npm runs a script without
node_modules, so nothing is installed and nothing reaches the network.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cigen.config.loader import load_config
from cigen.config.root import Config
from cigen.discovery import discover
from cigen.graph.graph import Graph, build_graph
from cigen.model import Workspace
from cigen.plan.stages import Plan, compute_plan

RECORD_JS = """\
const fs = require("fs");
const path = require("path");
const [task, seconds = "0", code = "0"] = process.argv.slice(2);
const name = JSON.parse(fs.readFileSync("package.json", "utf8")).name;
const log = path.join(__dirname, ".record", `${name}.${task}`);
fs.mkdirSync(path.dirname(log), { recursive: true });
const now = () => process.hrtime.bigint().toString();
fs.appendFileSync(log, `start ${now()} ${process.pid}\\n`);
console.log(`${task} of ${name} says hello`);
setTimeout(() => {
  fs.appendFileSync(log, `end ${now()}\\n`);
  process.exit(Number(code));
}, Number(seconds) * 1000);
"""


def record(task: str, seconds: float = 0.0, exit_code: int = 0) -> str:
    """The script that records ``task``, takes ``seconds`` and exits with ``exit_code``."""
    return f"node ../../record.js {task} {seconds} {exit_code}"


@dataclass(frozen=True)
class Package:
    scripts: Mapping[str, str]
    dependencies: Sequence[str] = ()


def npm_monorepo(root: Path, packages: Mapping[str, Package], *, cigen_yaml: str | None = None) -> Path:
    """npm workspaces at ``root``: ``packages/<name>`` for each package, depending on the others named."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "package.json").write_text(json.dumps({"name": "root", "private": True, "workspaces": ["packages/*"]}))
    (root / "record.js").write_text(RECORD_JS)
    for name, package in packages.items():
        folder = root / "packages" / name
        folder.mkdir(parents=True)
        manifest = {
            "name": name,
            "version": "1.0.0",
            "scripts": dict(package.scripts),
            "dependencies": {d: "1.0.0" for d in package.dependencies},
        }
        (folder / "package.json").write_text(json.dumps(manifest, indent=2))
    if cigen_yaml is not None:
        (root / "cigen.yaml").write_text(cigen_yaml)
    return root


def load(root: Path) -> tuple[Config, Workspace, Graph, Plan]:
    """cigen.yaml, the workspace, its graph and its default plan: what `cigen run` reads."""
    config = load_config(root)
    workspace = discover(root, config)
    g = build_graph(workspace)
    return config, workspace, g, compute_plan(g)


@dataclass(frozen=True)
class Span:
    start: int  # ns, CLOCK_MONOTONIC
    end: int | None  # None: it never ended (killed)
    pid: int


def span(root: Path, package: str, task: str) -> Span | None:
    """When ``package``'s ``task`` ran, or None when it never started (its record does not exist)."""
    log = root / ".record" / f"{package}.{task}"
    if not log.exists():
        return None
    found = _parse(log.read_text())
    assert found is not None, f"{log} has no start line"
    return found


def started(root: Path, package: str, task: str) -> Span | None:
    """:func:`span` for a test that polls while the script starts: None until its start line is whole.

    The script creates its record and writes the start line in two steps, so a
    poll can find the file empty, or the line half written.
    """
    log = root / ".record" / f"{package}.{task}"
    return _parse(log.read_text()) if log.exists() else None


def _parse(text: str) -> Span | None:
    start = end = pid = None
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            break  # still being written
        kind, ns, *rest = line.split()
        if kind == "start":
            start, pid = int(ns), int(rest[0])
        else:
            end = int(ns)
    return Span(start, end, pid) if start is not None and pid is not None else None


def most_at_once(spans: Sequence[Span]) -> int:
    """The largest number of spans running at the same moment."""
    edges = sorted([(s.start, 1) for s in spans] + [(s.end or 0, -1) for s in spans], key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak
