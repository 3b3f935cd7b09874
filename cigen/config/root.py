"""The whole of cigen.yaml: the root model, made of one model per section.

Each section lives in a module of its own beside this one (``affected``,
``workflow``, ``services``, ``runtime``, ``run``, ``monitor``) and subclasses
:class:`~cigen.config.base.StrictModel`; this module only assembles them, so
the imports run one way: sections never import the root.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from cigen.config.affected import AffectedConfig
from cigen.config.base import StrictModel
from cigen.config.checks import Check, CheckName
from cigen.config.ordering import CycleMode, EdgeKind, split_edge
from cigen.config.run import RunConfig
from cigen.config.monitor import MonitorConfig
from cigen.config.runtime import RuntimeConfig
from cigen.config.services import ServiceConfig
from cigen.config.workflow import WorkflowConfig


class IgnoreConfig(StrictModel):
    kinds: list[EdgeKind] = Field(
        default_factory=list, description="edges declared only by these kinds do not order the plan"
    )
    edges: list[str] = Field(
        default_factory=list, description='"dependent -> dependency" edges (names or paths) that do not order the plan'
    )

    @field_validator("edges")
    @classmethod
    def _edges_are_pairs(cls, value: list[str]) -> list[str]:
        for text in value:
            split_edge(text)
        return value


class PlanConfig(StrictModel):
    mode: Literal["auto", "cascade", "parallel"] = "auto"
    concurrency: int | None = Field(default=None, ge=1, description="services run at once; none = no limit")
    ignore: IgnoreConfig = Field(default_factory=IgnoreConfig, description="edges that do not order the plan")
    cycles: CycleMode = Field(
        default="error", description="error: a cycle stops the plan; units: each cycle runs as one unit"
    )


class Config(StrictModel):
    workspaces: list[str] | None = Field(
        default=None, description="member globs; replaces the package manager's workspace definition"
    )
    include_root: bool = Field(default=False, description="let the root package become a stage of its own")
    kinds: dict[str, Literal["package", "service", "app"]] = Field(
        default_factory=dict, description="member name or path glob -> kind, over the folder-based default"
    )
    plan: PlanConfig = Field(default_factory=PlanConfig)
    workflow: WorkflowConfig = Field(
        default_factory=WorkflowConfig, description="how the workflow is generated"
    )
    affected: AffectedConfig = Field(
        default_factory=AffectedConfig, description="global and ignored files of change impact"
    )
    services: dict[str, ServiceConfig] = Field(
        default_factory=dict, description="member name or path -> how PM2 runs it and how it is health-gated"
    )
    runtime: RuntimeConfig = Field(
        default_factory=RuntimeConfig, description="logs, PM2 namespace, integration job"
    )
    run: RunConfig = Field(default_factory=RunConfig, description="how `cigen run` runs tasks on this machine")
    checks: dict[CheckName, Check] = Field(
        default_factory=dict, description="check name -> what `cigen verify` proves of the running stack"
    )
    monitor: MonitorConfig = Field(
        default_factory=MonitorConfig, description="the run's sampler: log rules and the thresholds that fail a run"
    )
