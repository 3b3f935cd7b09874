"""The base of every cigen.yaml model: a leaf module, so each section imports it and nothing imports back."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Base of every cigen.yaml section: unknown keys are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
