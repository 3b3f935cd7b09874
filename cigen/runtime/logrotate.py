"""Log rotation through the pm2-logrotate module: its settings, and applying them to a daemon.

pm2-logrotate is a PM2 module: it lives in the daemon's PM2_HOME (``pm2
install`` fetches it from the npm registry once per PM2_HOME) and reads its
settings from ``module_conf.json``, where ``pm2 set pm2-logrotate:<key>``
stores them.
"""

from __future__ import annotations

from cigen.runtime.manifest import LogRotationConfig

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
