"""``cigen generate`` and ``cigen check``: write the workflow, or say whether it is current."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out

CheckOption = Annotated[
    bool,
    typer.Option("--check", help="Write nothing; exit 1 with a unified diff when the file is out of date."),
]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace the workflow file even when cigen did not generate it."),
]


@app.command()
def generate(check: CheckOption = False, force: ForceOption = False, root: RootOption = Path(".")) -> int:
    """Write the GitHub Actions workflow (workflow.path in cigen.yaml, default .github/workflows/cigen.yml).

    Keeps the triggers, top-level env and jobs you added to a generated file;
    refuses to replace a file cigen did not generate unless --force. With
    --check: exit 0 when the file is current, 1 with a diff when it is not,
    2 on bad input.
    """
    return _run(root, check=check, force=force)


@app.command()
def check(root: RootOption = Path(".")) -> int:
    """Exit 0 when the generated workflow is current, 1 with a unified diff when it is stale, 2 on bad input."""
    return _run(root, check=True, force=False)


def _run(root: Path, *, check: bool, force: bool) -> int:
    from cigen.cli.app import load
    from cigen.errors import EXIT_FAILED, EXIT_OK
    from cigen.generate import generate_workflow
    from cigen.write import diff_generated, write_generated

    config, workspace = load(root)
    generated = generate_workflow(workspace, config, force=force)
    if check:
        diff = diff_generated(generated.path, generated.text, label=generated.relative)
        if diff is None:
            print(f"cigen: {generated.relative} is up to date", file=sys.stderr)
            return EXIT_OK
        out(diff)
        print(f"cigen: {generated.relative} is out of date; run `cigen generate`", file=sys.stderr)
        return EXIT_FAILED
    changed = write_generated(generated.path, generated.text, force=force)
    print(f"cigen: {'wrote' if changed else 'unchanged:'} {generated.relative}", file=sys.stderr)
    return EXIT_OK
