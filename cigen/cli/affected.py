"""``cigen affected``: the services a change affects, and why.

Where the change comes from (exactly one):

- ``--base REF [--head REF]``: files changed from the merge-base of the two to ``head``;
- ``--uncommitted``: staged, unstaged and untracked files against HEAD;
- ``--files PATH`` (repeatable; ``--files -`` reads paths from stdin, one a
  line or NUL-separated as ``git diff -z --name-only`` prints them);
- nothing, inside GitHub Actions: the run's event decides (see
  :func:`cigen.adapters.github_env.event_range`).

``--format github`` writes the outputs documented in :mod:`cigen.adapters.github_env`
(the contract with the generated workflow's stage jobs) and the Markdown
report as the step summary.
"""

from __future__ import annotations

import enum
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cigen import reporting
from cigen.cli.app import RootOption, app, out
from cigen.render.impact import ReportDoesNotFit

if TYPE_CHECKING:
    from cigen.impact.affected import Impact
    from cigen.impact.changes import ChangeSet


class AffectedFormat(str, enum.Enum):
    names = "names"
    json = "json"
    github = "github"
    markdown = "markdown"


@app.command()
def affected(
    base: Annotated[Optional[str], typer.Option("--base", metavar="REF", help="Compare with the merge-base of this revision and --head.")] = None,
    head: Annotated[str, typer.Option("--head", metavar="REF", help="The changed revision (default HEAD).")] = "HEAD",
    uncommitted: Annotated[bool, typer.Option("--uncommitted", help="Use the working tree's changes against HEAD.")] = False,
    files: Annotated[
        Optional[list[str]],
        typer.Option("--files", metavar="PATH", help="A changed path relative to the root (repeatable); '-' reads the list from stdin."),
    ] = None,
    direct: Annotated[bool, typer.Option("--direct", help="Add only the direct dependents of changed services.")] = False,
    build_deps: Annotated[
        bool,
        typer.Option("--build-deps", help="json, github and markdown: also list, as build-only, the unaffected "
                     "dependencies that the affected services need built."),
    ] = False,
    format: Annotated[
        AffectedFormat,
        typer.Option("--format", "-f", help="names (one a line), json, github ($GITHUB_OUTPUT), markdown (report)."),
    ] = AffectedFormat.names,
    max_bytes: Annotated[
        Optional[int],
        typer.Option("--max-bytes", min=4096, metavar="N",
                     help="markdown: cut the report to N bytes (default 1 MiB, a step summary's limit; "
                     "a PR comment holds 65,536 characters)."),
    ] = None,
    root: RootOption = Path("."),
) -> int:
    """List the services a change affects: changed ones and everything that depends on them.

    A file belongs to the deepest member folder holding it. Global files (root
    manifest, lockfiles, workspace definitions, cigen.yaml, the generated
    workflow; more with affected.global_files) make every service affected;
    ignored files (affected.ignore, default *.md and docs/**) affect nothing.
    """
    from cigen.impact import changes
    from cigen.graph.graph import build_graph, display_names
    from cigen.impact.affected import Rules, compute_impact
    from cigen.cli.app import load
    from cigen.errors import InputError

    sources = sum((base is not None, uncommitted, files is not None))
    if sources > 1:
        raise InputError("give only one of --base, --uncommitted and --files")
    if head != "HEAD" and base is None:
        raise InputError("--head needs --base", hint="name the revision to compare with: --base main")
    if format is AffectedFormat.github and not os.environ.get("GITHUB_OUTPUT"):
        raise InputError("--format github writes to $GITHUB_OUTPUT, which is not set",
                         hint="it is set inside GitHub Actions; elsewhere use --format json")
    config, workspace = load(root)
    g = build_graph(workspace, include_root=config.include_root)

    if base is not None:
        change = changes.between(root, base, head)
    elif uncommitted:
        change = changes.working_tree(root)
    elif files is not None:
        change = changes.listed(root, _read_files(files))
    else:
        from cigen.adapters.github_env import in_actions

        if not in_actions():
            raise InputError("no change given", hint="pass --base REF, --uncommitted or --files (inside GitHub "
                             "Actions the run's event is used)")
        change = changes.from_event(root)

    impact = compute_impact(
        change.files, workspace, g, Rules(config.affected.global_files, config.affected.ignore, extra_global=(config.workflow.path,)),
        lockfiles=changes.lockfile_impacts(change, workspace) if change.everything is None else None,
        removed=changes.removed_members(change, workspace),
        everything=change.everything, direct=direct, build_dependencies=build_deps,
    )
    names = display_names(workspace.members)
    if impact.everything:
        typer.echo(f"cigen: every service is affected: {impact.everything}", err=True)

    if format is AffectedFormat.names:
        if impact.affected:
            out("\n".join(sorted(names[p] for p in impact.affected)))
    elif format is AffectedFormat.json:
        out(json.dumps(_document(change, impact, names, build_deps), indent=2, ensure_ascii=False))
    elif format is AffectedFormat.markdown:
        out(_markdown(change, impact, g, names, config, budget=max_bytes))
    else:
        _github(change, impact, g, names, config)
    return 0


def _read_files(given: list[str]) -> list[str]:
    if given != ["-"]:
        if "-" in given:
            from cigen.errors import InputError

            raise InputError("--files - (read stdin) cannot be combined with other --files")
        return given
    text = sys.stdin.read()
    return text.split("\0") if "\0" in text else text.splitlines()


def _document(change: ChangeSet, impact: Impact, names: dict[str, str], build_deps: bool) -> dict:
    """The JSON shape the issue fixes; ``build_only`` only with --build-deps."""
    document = {
        "base": change.base,
        "head": change.head,
        "merge_base": change.merge_base,
        "changed_files": list(impact.files),
        "changed": sorted(names[p] for p in impact.changed),
        "affected": sorted(names[p] for p in impact.affected),
        "reasons": dict(sorted((names[p], impact.reasons[p].text(names)) for p in impact.affected)),
        "all": impact.everything or False,
    }
    if build_deps:
        document["build_only"] = sorted(names[p] for p in impact.build_only)
        document["reasons"].update(sorted((names[p], impact.reasons[p].text(names)) for p in impact.build_only))
        document["reasons"] = dict(sorted(document["reasons"].items()))
    return document


def _jobs(g, config):
    from cigen.plan.stages import compute_plan, stage_jobs

    return stage_jobs(compute_plan(g, mode=config.plan.mode, concurrency=config.plan.concurrency))


def _markdown(change: ChangeSet, impact: Impact, g, names, config, budget: int | None) -> str:
    from cigen.errors import CycleError
    from cigen.render.impact import SUMMARY_LIMIT, render_impact

    try:
        jobs, note = _jobs(g, config), ""
    except CycleError as exc:
        jobs, note = None, f"No stages: {exc}"
    return render_impact(
        impact, g, names, jobs=jobs, base=change.base, head=change.head, merge_base=change.merge_base,
        stages_note=note, budget=SUMMARY_LIMIT if budget is None else budget,
    )


def _github(change: ChangeSet, impact: Impact, g, names, config) -> None:
    from cigen.adapters import github_env

    jobs = _jobs(g, config)  # a cycle fails here, as it fails the workflow's generation
    values = github_env.summary_outputs([names[p] for p in impact.affected], impact.everything)
    values.update(github_env.job_outputs(jobs, impact.affected, impact.build_only, names))
    github_env.write_outputs(Path(os.environ["GITHUB_OUTPUT"]), values)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        path = Path(summary)
        try:
            report = _markdown(change, impact, g, names, config, github_env.summary_budget(path))
        except ReportDoesNotFit as exc:  # earlier steps filled the summary: the outputs matter, the report does not
            reporting.warn(f"no step summary written: {exc}")
        else:
            github_env.append_summary(path, report)
    running = sum(1 for job in jobs if values[f"{job.id}-count"] != "0")
    out(f"{len(impact.affected)} of {len(g)} services affected; {running} of {len(jobs)} jobs run")
