"""``cigen generate`` and ``cigen check``: write the workflow, or say whether it is current."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, note, out

CheckOption = Annotated[
    bool,
    typer.Option("--check", help="Write nothing; exit 1 with a unified diff when the file is out of date."),
]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace the workflow file even when cigen did not generate it."),
]
ExitCodeOption = Annotated[
    bool,
    typer.Option("--exit-code", help="Exit 1 when a file was written (a pre-commit hook's answer: look, then commit)."),
]


@app.command()
def generate(
    check: CheckOption = False, force: ForceOption = False, exit_code: ExitCodeOption = False,
    root: RootOption = Path("."),
) -> int:
    """Write the GitHub Actions workflow (workflow.path in cigen.yaml, default .github/workflows/cigen.yml).

    Also the pull-request impact workflow when cigen.yaml asks (workflow.impact),
    and ecosystem.config.js when the root holds one cigen generated. Keeps the
    triggers, top-level env and jobs you added to a generated file; refuses to
    replace a file cigen did not generate unless --force. With --check: exit 0
    when every file is current, 1 with a diff when one is not, 2 on bad input.
    """
    return _run(root, check=check, force=force, exit_code=exit_code)


@app.command()
def check(root: RootOption = Path(".")) -> int:
    """Exit 0 when the generated files are current, 1 with a unified diff when one is stale, 2 on bad input."""
    return _run(root, check=True, force=False, exit_code=False)


def _run(root: Path, *, check: bool, force: bool, exit_code: bool) -> int:
    from cigen.app.workspace import load
    from cigen.errors import EXIT_FAILED, EXIT_OK
    from cigen.app.generate import generate_all
    from cigen.adapters.write import diff_generated, write_generated

    config, workspace = load(root)
    files = generate_all(workspace, config, force=force)
    if check:
        stale = []
        for generated in files:
            diff = diff_generated(generated.path, generated.text, root=workspace.root, label=generated.relative)
            if diff is None:
                note(f"{generated.relative} is up to date")
            else:
                out(diff)
                stale.append(generated.relative)
        if stale:
            note(f"{', '.join(stale)} {'is' if len(stale) == 1 else 'are'} out of date; run `cigen generate`")
        return EXIT_FAILED if stale else EXIT_OK
    written = [
        generated for generated in files
        if write_generated(generated.path, generated.text, root=workspace.root, force=force)
    ]
    for generated in files:
        note(f"{'wrote' if generated in written else 'unchanged:'} {generated.relative}")
    return EXIT_FAILED if exit_code and written else EXIT_OK
