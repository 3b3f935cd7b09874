"""The ``affected:`` section of cigen.yaml: more global files, and files whose change affects nothing."""

from __future__ import annotations

from pydantic import Field, field_validator

from cigen.config.base import StrictModel
from cigen.impact.affected import DEFAULT_IGNORE


def _check_globs(globs: tuple[str, ...]) -> tuple[str, ...]:
    for glob in globs:
        if not glob or glob.startswith("/") or "\\" in glob:
            raise ValueError(f"{glob!r} is not a root-relative glob with / separators (write e.g. docs/**)")
    return globs


class AffectedConfig(StrictModel):
    """The ``affected:`` section of cigen.yaml."""

    global_files: tuple[str, ...] = Field(
        default=(), description="globs of more files whose change affects every service (added to the built-in list)"
    )
    ignore: tuple[str, ...] = Field(
        default=DEFAULT_IGNORE, description="globs of files whose change affects nothing; wins over global files"
    )

    _check = field_validator("global_files", "ignore")(_check_globs)
