"""``cigen report``: the report of the last run `cigen up` recorded, as Markdown or JSON."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out


class ReportFormat(str, enum.Enum):
    markdown = "markdown"
    json = "json"


@app.command()
def report(
    format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="markdown (a job summary) or json (schema 1).")
    ] = ReportFormat.markdown,
    root: RootOption = Path("."),
) -> int:
    """Print the report of the last run: per service memory and CPU of its process tree over time, restarts
    and exits, health probes, start-up, log hits; who reached whom; the start-up critical path; the
    thresholds, and for a failed run the timeline around its first failure.

    Works while the run goes on and after `cigen down`. Exit codes: 0 every threshold passed; 1 one
    failed; 2 bad configuration; 3 no run is recorded.
    """
    from cigen.app.monitor import last_run
    from cigen.errors import EXIT_FAILED
    from cigen.render.run_report import render_markdown

    data = last_run(root)
    out(json.dumps(data, indent=2) if format is ReportFormat.json else render_markdown(data).rstrip("\n"))
    return 0 if data["run"]["ok"] else EXIT_FAILED
