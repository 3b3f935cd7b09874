"""The base of every cigen.yaml model: a leaf module, so each section imports it and nothing imports back."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class StrictModel(BaseModel):
    """Base of every cigen.yaml section: unknown keys are errors, values frozen, no boolean taken for a number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads true as 1 where an integer is wanted: `port: true` became PORT=1, `instances: true` 1.
        if isinstance(value, bool) and info.field_name and _wants_integer(cls.model_fields[info.field_name].annotation):
            raise ValueError("expected a number, not a boolean")
        return value


def _wants_integer(annotation: Any) -> bool:
    """The field takes an integer (alone or in a union) and no boolean."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = get_args(annotation)
        return int in members and bool not in members
    return annotation is int
