"""One project's runtime view: its services, PM2 namespace, logs folder and app definitions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cigen.config.file import find_config
from cigen.errors import InputError
from cigen.runtime.apps import log_files, pm2_app
from cigen.runtime.pm2 import PM2_VERSION
from cigen.runtime.services import ServiceSpec, resolve_services, select

if TYPE_CHECKING:
    from cigen.config.root import Config
    from cigen.model import Workspace

DEFAULT_NAMESPACE = "cigen"
RUN_FOLDER = "run"  # inside the logs folder (Project.run_dir)


@dataclass(frozen=True)
class Project:
    root: Path
    config: Config
    specs: dict[str, ServiceSpec]
    namespace: str
    logs: str  # relative to the root, "/"-separated

    @property
    def logs_dir(self) -> Path:
        return self.root / self.logs

    @property
    def daemon_log(self) -> Path:
        """PM2's own log (the daemon's), kept with the services' logs so one folder tells everything."""
        return self.logs_dir / "pm2.log"

    @property
    def run_dir(self) -> Path:
        """The run folder: what ``cigen up`` and the processes of the run record about it (the run's
        manifest, the sampler's records), kept with the logs so that one upload carries everything."""
        return self.logs_dir / RUN_FOLDER

    def apps(self, names: list[str], *, absolute: bool,
             through: Mapping[str, int] | None = None) -> dict[str, dict[str, Any]]:
        """PM2 app definitions of ``names``; absolute paths for ``cigen up``, relative for the ecosystem file.
        A service reference (``${url:NAME}``) reaches NAME at its port ``through`` (a proxy's), else its own."""
        ports = dict(through or {})

        def port_of(name: str) -> int:
            port = ports.get(name, self.specs[name].port)
            assert port is not None  # resolve_services refuses a reference to a service without a port
            return port

        return {
            name: pm2_app(self.specs[name], namespace=self.namespace, logs_dir=self.logs, port_of=port_of,
                          root=self.root if absolute else None)
            for name in names
        }

    def log_paths(self, name: str) -> tuple[Path, Path]:
        out, err = log_files(name, self.logs)
        return self.root / out, self.root / err


def logs_folder(root: Path, config: Config) -> str:
    """``runtime.logs``, checked to stay inside the repository; relative to the root, "/"-separated."""
    logs = Path(config.runtime.logs)
    if logs.is_absolute() or ".." in logs.parts:
        raise InputError(f"runtime.logs: {config.runtime.logs!r} must be a folder inside the repository",
                         path=find_config(root) or root / "cigen.yaml", hint="give a relative path such as .cigen/logs")
    return logs.as_posix()


def run_folder(root: Path, config: Config) -> Path:
    """The run folder (:attr:`Project.run_dir`) without reading the workspace."""
    return root / logs_folder(root, config) / RUN_FOLDER


def project(root: Path, config: Config, workspace: Workspace) -> Project:
    config_path = find_config(root) or root / "cigen.yaml"
    logs = logs_folder(root, config)
    root_member = next((m for m in workspace.members if m.is_root and m.name), None)
    namespace = config.runtime.namespace or (root_member.name if root_member else None) or DEFAULT_NAMESPACE
    return Project(root=root, config=config, specs=resolve_services(config, workspace, config_path),
                   namespace=namespace, logs=logs)


@dataclass(frozen=True)
class Integration:
    """What the generated workflow's integration job runs, in order:

    1. install pm2 ``pm2_version`` (``npm install --global pm2@<version>``; cigen finds it on PATH);
    2. ``cigen up --json [services...]``: exit 0 when every service is healthy, 1 when a gate
       failed (the report and the JSON say which and why; what it started is already stopped),
       2 bad configuration, 3 pm2/node missing or the PM2 daemon died (what it started is stopped);
    3. ``command`` (when configured) in a shell from ``cwd``;
    4. on failure, upload the folder ``logs`` (each service's ``<name>.out.log``/``.err.log``
       and PM2's own ``pm2.log``);
    5. always ``cigen down``.
    """

    services: tuple[str, ...]  # arguments of `cigen up`; empty: every service
    command: str | None  # the integration tests; None: the job only proves the services come up healthy
    cwd: str  # of the command, relative to the root
    logs: str  # relative to the root
    pm2_version: str


def integration(root: Path, config: Config, workspace: Workspace) -> Integration | None:
    """The integration job, or None when no service can be started (then there is none)."""
    proj = project(root, config, workspace)
    if not proj.specs:
        return None
    settings = config.runtime.integration
    services = tuple(settings.services or ()) if settings else ()
    select(proj.specs, list(services))  # unknown names and cycles are errors now, not in CI
    return Integration(services=services, command=settings.command if settings else None,
                       cwd=settings.cwd if settings else ".", logs=proj.logs, pm2_version=PM2_VERSION)
