"""``cigen verify``: the checks of cigen.yaml against the running stack."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out


@app.command()
def verify(
    checks: Annotated[list[str] | None, typer.Argument(help="Checks to run, by name; default: all.")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="Only checks of this kind: contract, flow, state, auth or resilience.")] = None,
    affected_only: Annotated[bool, typer.Option(
        "--affected", help="Only the checks whose services the change since --base affects.")] = False,
    base: Annotated[str | None, typer.Option("--base", help="With --affected: the revision to compare with.")] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here (a testcase per check).",
                                               dir_okay=False)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")] = False,
    start: Annotated[bool, typer.Option(
        "--up", help="Start the services the checks need first, and stop what this started at the end.")] = False,
    root: RootOption = Path("."),
) -> int:
    """Run the checks of cigen.yaml against the stack `cigen up` started.

    A line per check on stderr as it finishes, then a table (check, kind, result,
    time), each failure's detail (the step, what was expected and what came, the
    last log lines of the services involved) and the coverage of the runtime edges
    between services. Checks that share no service run at once; a check that
    injects a fault runs alone. With GITHUB_STEP_SUMMARY set, a Markdown section
    goes there too. Credentials and values from the environment are never printed.

    Exit codes: 0 every check passed; 1 a check failed; 2 bad checks: in cigen.yaml
    or a bad option; 3 a service a check needs is not running and healthy (or pm2
    is missing); 130 interrupted (faults undone, what --up started stopped).
    """
    from cigen.app.verify import Selection, verify as run_checks, write_reports
    from cigen.errors import EXIT_FAILED, EXIT_INTERRUPTED, InputError
    from cigen.runtime.orchestrate import Progress
    from cigen.verify.model import CheckResult
    from cigen.verify.report import progress_line, render_table

    if affected_only != (base is not None):
        raise InputError("--affected and --base go together", hint="write --affected --base main")
    width = 0

    def chosen(names: list[str]) -> None:
        nonlocal width
        width = max(map(len, names), default=0)

    def done(result: CheckResult) -> None:
        print(progress_line(result, width), file=sys.stderr, flush=True)

    def starting(p: Progress, name_width: int) -> None:
        print(f"{p.service:<{name_width}}  {p}", file=sys.stderr, flush=True)

    selection = Selection(names=tuple(checks or ()), kind=kind, base=base)
    try:
        result = run_checks(root, selection, environ=os.environ, start=start, started=starting, chosen=chosen,
                            done=done)
    except KeyboardInterrupt:
        print("cigen: interrupted: faults undone" + (", what --up started stopped" if start else ""),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    write_reports(result, junit=junit, environ=os.environ)
    out(json.dumps(result.as_json(), indent=2) if json_output else render_table(result))
    return 0 if result.passed else EXIT_FAILED
