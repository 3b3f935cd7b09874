"""The size GitHub reads a workflow file up to: a larger one is never run, and says so nowhere.

GitHub documents it on its Actions limits page
(https://docs.github.com/en/actions/reference/limits): a workflow file must
be 500 KB or smaller to trigger a run. Past it, pushes and pull requests
start no run at all (a ``workflow_dispatch`` run queues with no jobs), with
no annotation and no failed check, so CI looks green while nothing ran. The
500 KB are 512,000 bytes of the file as committed (UTF-8): projects that hit
the limit measured 510,313 bytes running and 513,306 not.
"""

from __future__ import annotations

from cigen.errors import InputError

WORKFLOW_FILE_LIMIT = 512_000  # bytes: GitHub's "500 KB"


def check_workflow_size(relative: str, text: str, *, limit: int = WORKFLOW_FILE_LIMIT, hint: str) -> None:
    """Refuse the workflow ``text`` (to be written at ``relative``) when GitHub would not run it.

    ``hint`` says what in cigen.yaml makes this file smaller.
    """
    size = len(text.encode("utf-8"))
    if size > limit:
        raise InputError(
            f"the generated workflow would be {size:,} bytes, more than the {limit:,} GitHub runs; "
            "nothing was written",
            path=relative, hint=hint,
        )


__all__ = ["WORKFLOW_FILE_LIMIT", "check_workflow_size"]
