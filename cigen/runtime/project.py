"""One project's runtime view: its services, PM2 namespace, logs folder and app definitions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cigen.runtime.apps import log_files, pm2_app
from cigen.runtime.services import ServiceSpec, resolve_services

if TYPE_CHECKING:
    from cigen.config import Config
    from cigen.model import Workspace

DEFAULT_NAMESPACE = "cigen"


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

    def apps(self, names: list[str], *, absolute: bool) -> dict[str, dict[str, Any]]:
        """PM2 app definitions of ``names``; absolute paths for ``cigen up``, relative for the ecosystem file."""
        return {
            name: pm2_app(self.specs[name], namespace=self.namespace, logs_dir=self.logs,
                          root=self.root if absolute else None)
            for name in names
        }

    def log_paths(self, name: str) -> tuple[Path, Path]:
        out, err = log_files(name, self.logs)
        return self.root / out, self.root / err


def logs_folder(root: Path, config: Config) -> str:
    """``runtime.logs``, checked to stay inside the repository; relative to the root, "/"-separated."""
    from cigen.config import find_config
    from cigen.errors import InputError

    logs = Path(config.runtime.logs)
    if logs.is_absolute() or ".." in logs.parts:
        raise InputError(f"runtime.logs: {config.runtime.logs!r} must be a folder inside the repository",
                         path=find_config(root) or root / "cigen.yaml", hint="give a relative path such as .cigen/logs")
    return logs.as_posix()


def project(root: Path, config: Config, workspace: Workspace) -> Project:
    from cigen.config import find_config

    config_path = find_config(root) or root / "cigen.yaml"
    logs = logs_folder(root, config)
    root_member = next((m for m in workspace.members if m.is_root and m.name), None)
    namespace = config.runtime.namespace or (root_member.name if root_member else None) or DEFAULT_NAMESPACE
    return Project(root=root, config=config, specs=resolve_services(config, workspace, config_path),
                   namespace=namespace, logs=logs)
