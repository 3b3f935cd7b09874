"""A fault a resilience check injects into the running stack (``fault:`` of a check in cigen.yaml).

Exactly one of four, each naming the service it hits:

- ``stop: NAME``: PM2 stops the service (its port closes; a dependent sees connection refused).
- ``pause: NAME``: SIGSTOP to the service's whole process tree (its port stays open and nothing answers:
  the failure a timeout exists for, which a stopped service never shows).
- ``delay: {service: NAME, by: 2s}``: the loopback proxy in front of the service adds latency.
- ``error: {service: NAME, status: 503}``: the proxy answers that HTTP status itself.

Delay and error act on the proxy that ``${url:NAME}`` puts between a dependent and the service, so they
reach only the callers that refer to the service that way (:mod:`cigen.verify.proxy`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from cigen.config.base import StrictModel
from cigen.config.services import Duration
from cigen.durations import format_seconds

ServiceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
FaultKind = Literal["stop", "pause", "delay", "error"]
FAULT_KINDS: tuple[FaultKind, ...] = ("stop", "pause", "delay", "error")


class DelayFault(StrictModel):
    service: ServiceName = Field(description="the service whose callers wait")
    by: Duration = Field(gt=0, description="latency the proxy adds to each connection (250ms, 2s)")


class ErrorFault(StrictModel):
    service: ServiceName = Field(description="the service whose callers get the error")
    status: int = Field(default=503, ge=100, le=599, description="the HTTP status the proxy answers with")


class FaultConfig(StrictModel):
    stop: ServiceName | None = Field(default=None, description="PM2 stops this service")
    pause: ServiceName | None = Field(default=None, description="SIGSTOP to this service's process tree")
    delay: DelayFault | None = Field(default=None, description="the proxy in front of a service adds latency")
    error: ErrorFault | None = Field(default=None, description="the proxy answers an HTTP error itself")

    @model_validator(mode="after")
    def _exactly_one(self) -> FaultConfig:
        given = [kind for kind in FAULT_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of stop, pause, delay or error (got {', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> FaultKind:
        return next(kind for kind in FAULT_KINDS if getattr(self, kind) is not None)

    @property
    def service(self) -> str:
        """The service the fault hits."""
        if self.stop is not None:
            return self.stop
        if self.pause is not None:
            return self.pause
        if self.delay is not None:
            return self.delay.service
        assert self.error is not None  # _exactly_one guarantees one of the four
        return self.error.service

    @property
    def proxied(self) -> bool:
        """The fault acts on the loopback proxy in front of the service, not on the service's processes."""
        return self.delay is not None or self.error is not None

    def describe(self) -> str:
        """How reports name the fault: ``stop api``, ``delay api by 2 s``, ``error 503 from api``."""
        if self.delay is not None:
            return f"delay {self.delay.service} by {format_seconds(self.delay.by)}"
        if self.error is not None:
            return f"error {self.error.status} from {self.error.service}"
        return f"{self.kind} {self.service}"
