"""Log rotation through the pm2-logrotate module: its settings, and applying them to a daemon.

pm2-logrotate is a PM2 module: it lives in the daemon's PM2_HOME (``pm2
install`` fetches it from the npm registry once per PM2_HOME) and reads its
settings from ``module_conf.json``, where ``pm2 set pm2-logrotate:<key>``
stores them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cigen.errors import ToolError
from cigen.config.runtime import LogRotationConfig
from cigen.runtime.daemon import Pm2Error

if TYPE_CHECKING:
    from cigen.runtime.daemon import Session

MODULE = "pm2-logrotate"
MODULE_VERSION = "3.0.0"


def settings(cfg: LogRotationConfig) -> list[tuple[str, str]]:
    """pm2-logrotate's keys and values, in its own names, sorted."""
    return sorted({
        "compress": "true" if cfg.compress else "false",
        "max_size": cfg.max_size,
        "retain": str(cfg.retain),
        "rotateInterval": cfg.interval,
        "workerInterval": str(int(cfg.check_every)),
    }.items())


def apply(session: Session, cfg: LogRotationConfig) -> bool:
    """Give the session's daemon these settings, installing the module once; True when it was installed now.

    Settings go first, so that a module installed now starts with them; a
    setting that changed restarts a running module (``pm2 set`` does that).
    """
    assert session.bridge is not None
    try:
        stored = json.loads((session.home / "module_conf.json").read_text()).get(MODULE, {})
    except (OSError, ValueError, AttributeError):
        stored = {}
    for key, value in settings(cfg):
        if str(stored.get(key)) != value:
            session.bridge.call("set", key=f"{MODULE}:{key}", value=value)
    if any(p.name == MODULE for p in session.bridge.list(modules=True)):
        return False
    try:
        session.bridge.call("install", module=f"{MODULE}@{MODULE_VERSION}", timeout=600)
    except Pm2Error as exc:
        raise ToolError(f"PM2 could not install {MODULE}@{MODULE_VERSION} for log rotation: {exc}",
                        hint="it comes from the npm registry: check the network, or remove runtime.log_rotation") from exc
    return True
