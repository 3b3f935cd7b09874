"""A generated workflow's path and name, for the main workflow and the impact workflow alike."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# The workflow's path: .github/workflows/<file>.yml, the only place GitHub reads.
WORKFLOW_PATH = re.compile(r"\.github/workflows/[A-Za-z0-9_.-]+\.ya?ml")


def _workflow_file(value: str) -> str:
    if not WORKFLOW_PATH.fullmatch(value):
        raise ValueError("must be a file in .github/workflows/ ending in .yml or .yaml")
    return value


def _workflow_name(value: str) -> str:
    if "${{" in value or "\n" in value:
        raise ValueError("must be one line without ${{")
    return value


# A generated workflow's path and name (the main workflow's and the impact workflow's).
WorkflowFile = Annotated[str, AfterValidator(_workflow_file)]
WorkflowName = Annotated[str, AfterValidator(_workflow_name)]
