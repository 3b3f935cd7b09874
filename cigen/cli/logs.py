"""``cigen logs``: the end of a service's stdout and stderr logs, optionally followed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cigen.cli.app import RootOption, app, out


@app.command()
def logs(
    service: Annotated[str, typer.Argument(help="The service whose logs to show.")],
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="Lines of each log to show.")] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")] = False,
    root: RootOption = Path("."),
) -> int:
    """Print the last lines of SERVICE's stdout and stderr logs (they stay after `cigen down`)."""
    import sys
    import time

    from cigen.app.stack import log_files
    from cigen.runtime.report import tail

    paths = log_files(root, service)
    for label, path in zip(("stdout", "stderr"), paths):
        shown = path.relative_to(root).as_posix()
        if not path.exists():
            out(f"==> {shown} ({label}): no log yet <==")
            continue
        out(f"==> {shown} ({label}) <==")
        for line in tail(path, 0, lines):
            out(line)
    if not follow:
        return 0
    offsets = [p.stat().st_size if p.exists() else 0 for p in paths]
    try:
        while True:
            for i, path in enumerate(paths):
                size = path.stat().st_size if path.exists() else 0
                if size < offsets[i]:
                    offsets[i] = 0  # rotated or truncated: start over
                if size > offsets[i]:
                    with open(path, "rb") as handle:
                        handle.seek(offsets[i])
                        chunk = handle.read(size - offsets[i])
                    offsets[i] = size
                    sys.stdout.write(chunk.decode("utf-8", "replace"))
                    sys.stdout.flush()
            time.sleep(0.25)
    except KeyboardInterrupt:
        return 0
