"""``cigen run``: run tasks in every service, in the order and mode of the plan CI runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from cigen.cli.app import RootOption, app, out
from cigen.cli.plan import PlanMode, chosen_mode


@app.command()
def run(
    tasks: Annotated[
        Optional[list[str]],
        typer.Argument(
            help="Tasks to run, in this order, in each service that defines them: a package.json script, "
            "or for a Python service a workflow.python_tasks entry. A service without one skips it.",
            show_default=False,
            metavar="TASK...",
        ),
    ] = None,
    mode: Annotated[
        Optional[PlanMode],
        typer.Option(
            "--mode",
            "-m",
            help="cascade: one service after another, stop at the first failure; "
            "parallel: all together, collect every result; "
            "auto: each service once the services it depends on passed. Default: plan.mode, else auto.",
        ),
    ] = None,
    concurrency: Annotated[
        Optional[int],
        typer.Option("--concurrency", "-j", min=1,
                     help="Services run at once. Default: plan.concurrency, else the number of CPUs."),
    ] = None,
    patterns: Annotated[
        Optional[list[str]],
        typer.Option("--select", "-s", help="Run only these services (repeatable), Turborepo filter syntax, "
                     "as in `cigen plan`."),
    ] = None,
    only_affected: Annotated[
        bool,
        typer.Option("--affected", help="Run only the services a change affects, and build the unaffected "
                     "dependencies they need (`cigen affected --build-deps`), as the workflow does. The change: "
                     "from the merge-base with --base; inside GitHub Actions without --base, the run's event."),
    ] = False,
    base: Annotated[
        Optional[str],
        typer.Option("--base", metavar="REF", help="With --affected: the revision to compare with "
                     "(default: workflow.default_branch, main)."),
    ] = None,
    worktree: Annotated[
        Optional[bool],
        typer.Option("--worktree/--no-worktree", help="Run each service of a parallel group in a git worktree "
                     "of its own (made once, reused), with your uncommitted changes and installed node_modules; "
                     "build outputs come back to this tree. Default: run.worktree."),
    ] = None,
    clean_worktrees: Annotated[
        bool, typer.Option("--clean-worktrees", help="Remove the worktrees --worktree made (yours are never "
                           "touched), then run the tasks given, if any.")
    ] = False,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="No live status area on a terminal: plain prefixed lines only.")
    ] = False,
    paths: Annotated[
        Optional[list[str]],
        typer.Option("--path", help="Run the service in exactly this folder, relative to the root (repeatable; "
                     "no globs or graph operators: what scripts and CI legs pass)."),
    ] = None,
    keep_going: Annotated[
        bool,
        typer.Option("--continue", help="After a failure keep starting the services that do not depend on it."),
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the results as one JSON document on stdout; logs go to stderr.")
    ] = False,
    root: RootOption = Path("."),
) -> int:
    """Run tasks in each service with its own package manager, in the plan's order (what CI runs, on your machine).

    Each line of a task's output is prefixed with the service and task
    (@shop/core:build: ...); on a terminal a status area below it shows the
    running tasks with their time and the counts done, failed and waiting
    (--no-progress: plain lines); a table of every result ends the run. A
    failure stops the services that depend on it and, without --continue, the
    start of anything new. Exit codes: 0 every task passed; 1 a task failed or
    did not run because of a failure (or a dependency cycle); 2 bad input (a
    task no service defines, a selection that matches nothing); 3 a package
    manager is missing; 130 interrupted (Ctrl-C or SIGTERM: every task is
    stopped first).

    Inside GitHub Actions each task's output is printed as one collapsible log
    group when the task ends, and the table of results is added to the step
    summary.
    """
    import json
    import os

    from cigen.adapters import github_env
    from cigen.app.run import Affected, run as run_tasks
    from cigen.errors import EXIT_FAILED, EXIT_INTERRUPTED, InputError
    from cigen.cli.run_output import GroupedPrinter, LivePrinter, Printer
    from cigen.executor.report import markdown, summary, to_json

    if base is not None and not only_affected:
        raise InputError("--base needs --affected", hint="cigen run build --affected --base main")
    if clean_worktrees:
        from cigen.app.run import clean_worktrees as clean

        removed = clean(root)
        print(f"cigen: removed {len(removed)} worktree{'s' * (len(removed) != 1)} of cigen run", file=sys.stderr)
        if not tasks:
            return 0
    if not tasks:
        raise InputError("no task given", hint="name the tasks to run: cigen run build test")
    logs = sys.stderr if json_output else sys.stdout
    live = not no_progress and logs.isatty() and os.environ.get("TERM", "dumb") != "dumb"
    in_actions = github_env.in_actions()
    printer = GroupedPrinter(logs) if in_actions else LivePrinter(logs) if live else Printer(logs)
    try:
        result = run_tasks(root, tasks, mode=chosen_mode(mode), concurrency=concurrency,
                           patterns=patterns or (), paths=paths or (), keep_going=keep_going, reporter=printer,
                           changed=Affected(base) if only_affected else None, worktree=worktree)
    finally:
        if isinstance(printer, LivePrinter):
            printer.finish()
    if result.interrupted:
        print("cigen: interrupted: stopped every task", file=sys.stderr)
    print(file=logs)
    print(summary(result), file=logs, flush=True)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if in_actions and step_summary:
        github_env.append_summary(Path(step_summary), markdown(result))
    if json_output:
        out(json.dumps(to_json(result), indent=2))
    if result.interrupted:
        return EXIT_INTERRUPTED
    return 0 if result.ok else EXIT_FAILED
