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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
import typer.core
import typer.main

from cigen import reporting
from cigen.cli.app import RootOption, app, out
from cigen.errors import InputError

if TYPE_CHECKING:
    from cigen.app.affected import ChangeSource


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
    timings: Annotated[
        Optional[Path],
        typer.Option("--timings", metavar="FILE", help="github: pack legs by the service times in this file "
                     "(the workflow restores it from the Actions cache); missing: by size."),
    ] = None,
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
    # Imported here, not at the top: `cigen graph` and `--help` never pay for the impact engine.
    from cigen.app.affected import affected as compute, github_output, write_github

    source = _source(base, head, uncommitted, files)
    env = os.environ
    if format is AffectedFormat.github:
        github_output(env)  # before any git work: fail at once where the outputs cannot go
    result = compute(root, source, env, direct=direct, build_deps=build_deps)
    if result.impact.everything:
        reporting.progress(f"every service is affected: {result.impact.everything}")

    if format is AffectedFormat.names:
        if result.impact.affected:
            out("\n".join(result.affected_names()))
    elif format is AffectedFormat.json:
        out(json.dumps(result.document(), indent=2, ensure_ascii=False))
    elif format is AffectedFormat.markdown:
        out(result.markdown() if max_bytes is None else result.markdown(max_bytes))
    else:
        written = write_github(result, env, timings)
        out(f"{len(result.impact.affected)} of {len(result.graph)} services affected; "
            f"{written.running} of {written.jobs} jobs run")
    return 0


@dataclass(frozen=True)
class Arguments:
    """What ``cigen affected`` computes from: the parts of its command line the application layer takes."""

    root: Path
    source: ChangeSource
    direct: bool
    build_deps: bool
    timings: Path | None = None


def parse_arguments(argv: Sequence[str]) -> Arguments:
    """``cigen affected ARGV``'s arguments, parsed by the command's own options (the action computes the
    impact itself, once, and renders it twice); a usage error is an :class:`InputError`."""
    from typer._click.exceptions import ClickException  # see cigen.cli.main: every usage error is one

    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)  # an app of several commands is a group
    try:
        params = command.commands["affected"].make_context("cigen affected", list(argv)).params
    except ClickException as exc:
        raise InputError(f"cigen affected: {exc.format_message()}", hint="see `cigen affected --help`") from None
    # Typer converts click's values when it calls the command; here they are click's: a str, a tuple.
    files = list(params["files"]) or None
    return Arguments(Path(params["root"]), _source(params["base"], params["head"], params["uncommitted"], files),
                     params["direct"], params["build_deps"], params["timings"] and Path(params["timings"]))


def _source(base: str | None, head: str, uncommitted: bool, files: list[str] | None) -> ChangeSource:
    from cigen.app.affected import ChangeSource  # the impact engine: only for the commands that compare

    return ChangeSource(base, head, uncommitted, None if files is None else _read_files(files))


def _read_files(given: list[str]) -> list[str]:
    if given != ["-"]:
        if "-" in given:
            raise InputError("--files - (read stdin) cannot be combined with other --files")
        return given
    text = sys.stdin.read()
    return text.split("\0") if "\0" in text else text.splitlines()
