"""Service specs -> PM2 app definitions: one builder for ``ecosystem.config.js`` and ``cigen up``.

Paths are relative to the repository root for the ecosystem file (its template
resolves them against the file's own folder, so the file is the same on every
machine) and absolute for ``cigen up``.

Commands run in exec form (``interpreter: "none"``): PM2 spawns the program
itself, so ``npm run start``, ``uv run app`` and ``./bin/server`` all behave as
in a terminal. Only a Node script with ``instances`` above 1 uses PM2's Node
integration, because cluster mode needs it.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cigen.runtime.services import ServiceSpec

LOG_DATE_FORMAT = "YYYY-MM-DDTHH:mm:ss.SSSZ"  # ISO 8601 with milliseconds and offset (dayjs tokens)
# The run's sampler (cigen.monitor), a process of the project's daemon that is no service: status lists it
# not, and `cigen down` stops it first, so that it records the run to its end and not the stopping of it.
MONITOR_APP = "cigen-monitor"
PROXY_PREFIX = "proxy:"  # a proxy's PM2 name (proxy:shop-recommend): cigen.runtime.proxies, on a runtime edge
SPEC_HASH_ENV = "CIGEN_SPEC_HASH"  # set by `cigen up`: a running app whose hash differs is recreated
_NODE_SCRIPT = re.compile(r".*\.[cm]?js$")
# Node flags whose value is the next word: the script is never that word.
_NODE_VALUE_FLAGS = frozenset({"-r", "--require", "--import", "--loader", "--experimental-loader", "-C",
                               "--conditions", "--env-file", "--input-type", "--title"})


def log_stem(name: str) -> str:
    """A service name as a file name: ``@acme/api`` -> ``acme-api``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "service"


def log_files(name: str, logs_dir: str) -> tuple[str, str]:
    """The stdout and stderr log of a service, under ``logs_dir`` (relative to the root)."""
    stem = log_stem(name)
    return posixpath.join(logs_dir, f"{stem}.out.log"), posixpath.join(logs_dir, f"{stem}.err.log")


def _cluster_entry(command: tuple[str, ...]) -> tuple[list[str], str, list[str]] | None:
    """(node flags, script, script args) when ``command`` runs a Node script, else None."""
    if not command or posixpath.basename(command[0]) not in ("node", "nodejs"):
        return None
    i = 1
    while i < len(command) and command[i].startswith("-"):
        i += 2 if command[i] in _NODE_VALUE_FLAGS else 1
    if i < len(command) and _NODE_SCRIPT.fullmatch(command[i]):
        return list(command[1:i]), command[i], list(command[i + 1 :])
    return None


def pm2_app(spec: ServiceSpec, *, namespace: str, logs_dir: str, port_of: Callable[[str], int] | None = None,
            root: Path | None = None) -> dict[str, Any]:
    """The PM2 app of ``spec``, its service references (``${url:NAME}``) reaching each service at
    ``port_of(NAME)`` (a spec with references needs it); paths relative to the root unless ``root`` is given."""
    def place(rel: str) -> str:
        return str(root / rel) if root is not None else rel

    out_file, error_file = log_files(spec.name, logs_dir)
    app: dict[str, Any] = {"name": spec.name, "namespace": namespace}
    entry = _cluster_entry(spec.command) if spec.instances > 1 else None
    if entry is not None:
        node_args, script, args = entry
        app.update(script=script, args=args, node_args=node_args, exec_mode="cluster")
    else:
        app.update(script=spec.command[0], args=list(spec.command[1:]), interpreter="none", exec_mode="fork")
    app.update(
        cwd=place(spec.cwd),
        env=spec.environment(port_of or _unreferenced),
        instances=spec.instances,
        autorestart=spec.restart.autorestart,
        max_restarts=spec.restart.max_restarts,
        min_uptime=_ms(spec.restart.min_uptime),
    )
    if spec.restart.backoff > 0:
        app["exp_backoff_restart_delay"] = _ms(spec.restart.backoff)
    if spec.restart.max_memory is not None:
        app["max_memory_restart"] = spec.restart.max_memory
    app.update(
        kill_timeout=_ms(spec.kill_timeout),
        out_file=place(out_file),
        error_file=place(error_file),
        merge_logs=True,
        log_date_format=LOG_DATE_FORMAT,
        watch=False,
    )
    return app


def spec_hash(app: dict[str, Any]) -> str:
    """A digest of an app definition, to tell whether a running app still matches cigen.yaml."""
    data = json.dumps({k: v for k, v in app.items() if k != "env"} | {"env": _without_hash(app["env"])},
                      sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _without_hash(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != SPEC_HASH_ENV}


def _unreferenced(name: str) -> int:
    raise ValueError(f"the environment refers to {name}, and no port was given for it")


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))
