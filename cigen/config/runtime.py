"""The ``runtime:`` section of cigen.yaml: logs, the PM2 namespace, log rotation and the integration job."""

from __future__ import annotations

import posixpath

from pydantic import Field, field_validator

from cigen.config.base import StrictModel
from cigen.config.services import Duration, Memory, relative_folder


def _inside_root(value: str) -> str:
    """A folder relative to the root that stays inside it (`../..` would run the command outside the repository)."""
    relative_folder(value)
    if posixpath.normpath(value).split("/")[0] == "..":
        raise ValueError(f"{value!r} leaves the repository (give a folder inside the root)")
    return value


class LogRotationConfig(StrictModel):
    """pm2-logrotate settings, applied by ``cigen up`` (and listed in the ecosystem file)."""

    max_size: Memory = "10M"
    retain: int = Field(default=30, ge=1)
    compress: bool = False
    interval: str = Field(default="0 0 * * *", pattern=r"^[0-9*/,\- ]+$", description="cron: when to rotate")
    check_every: Duration = Field(default=30.0, ge=1, description="how often the module checks sizes")


class IntegrationConfig(StrictModel):
    """The integration job of the generated workflow: ``cigen up``, this command, ``cigen down``."""

    command: str = Field(min_length=1, description="runs in a shell from `cwd` once the services are healthy")
    services: list[str] | None = Field(default=None, description="services to start; default: all")
    cwd: str = Field(default=".", description="relative to the root")

    _cwd = field_validator("cwd")(_inside_root)


class RuntimeConfig(StrictModel):
    logs: str = Field(default=".cigen/logs", description="service and PM2 logs, relative to the root")
    namespace: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.@/-]+$", description="PM2 namespace; default the root package name"
    )
    log_rotation: LogRotationConfig | None = None
    integration: IntegrationConfig | None = None
