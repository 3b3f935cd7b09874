"""``cigen monitor``: watch the running services for a while, a line per service each sample, then the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cigen.cli.app import RootOption, app, out

if TYPE_CHECKING:
    from cigen.app.monitor import Watching


@app.command()
def monitor(
    services: Annotated[
        list[str] | None, typer.Argument(help="Services to watch (with their dependencies); default: all running.")
    ] = None,
    duration: Annotated[
        str | None, typer.Option("--duration", "-d", help="How long to watch (5s, 1m30s); default: until Ctrl-C.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON (schema 1).")] = False,
    root: RootOption = Path("."),
) -> int:
    """Watch the running services: a line per service each sample on stderr (status, CPU and memory of its
    whole process tree, restarts, health, the latest log hit), then the report of that time on stdout.

    Exit codes: 0 every threshold passed; 1 one failed (monitor: in cigen.yaml sets them); 2 bad
    configuration or option; 3 nothing of the project is running.
    """
    from cigen.app.monitor import monitor as watch
    from cigen.durations import parse_duration
    from cigen.errors import EXIT_FAILED, InputError
    from cigen.render.run_report import render_markdown

    seconds = None
    if duration is not None:
        try:
            seconds = parse_duration(duration)
        except ValueError as exc:
            raise InputError(f"--duration: {exc}", hint="write e.g. --duration 30s") from None
    live = _Live()
    report = watch(root, services or (), seconds, on_start=live.start, on_tick=live.tick)
    out(json.dumps(report, indent=2) if json_output else render_markdown(report).rstrip("\n"))
    return 0 if report["run"]["ok"] else EXIT_FAILED


class _Live:
    """The live lines: one per service at each sample, aligned, on stderr."""

    def __init__(self) -> None:
        self.width = 0
        self.latest: dict[str, str] = {}

    def start(self, watching: Watching) -> None:
        self.width = watching.width
        print(f"watching {', '.join(watching.services)} (Ctrl-C ends it)", file=sys.stderr, flush=True)

    def tick(self, records: list[dict[str, Any]]) -> None:
        probes: dict[str, str] = {}
        for r in records:
            if r.get("what") == "log_hit":
                self.latest[r["service"]] = f"{r['rule']}: {r.get('text', '')[:60]}"
            elif r.get("what") == "probe_failed":
                probes[r["service"]] = f"unhealthy ({r.get('detail')})"
        sample = next((r for r in records if r["kind"] == "sample"), None)
        if sample is None:
            return
        for name, s in sample["services"].items():
            memory = f"{s['rss'] / 1048576:.1f} MiB" if "rss" in s else "-"
            cpu = f"{s['cpu']:g}%" if "cpu" in s else "-"
            health = probes.get(name) or ("healthy" if s.get("probe", [True])[0] else "unhealthy")
            hit = f"  last hit: {self.latest[name]}" if name in self.latest else ""
            print(f"{name:<{self.width}}  {s.get('status') or '-':<12} cpu {cpu:>6}  mem {memory:>10}  "
                  f"procs {s.get('procs', 0)}  {health}{hit}", file=sys.stderr, flush=True)
