"""The sampler as a process of the project's PM2 daemon: ``python -m cigen.monitor ROOT RUN_FOLDER``.

``cigen up`` starts it (see :mod:`cigen.monitor.service`); PM2 stops it with
SIGINT (``cigen down`` deletes it first of all), on which it writes its last
sample and an ``end`` record and exits 0. It reads PM2's process list and
events through a bridge of its own to the daemon that runs it.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from cigen.monitor.run import read_manifest
from cigen.monitor.sampler import Sampler
from cigen.runtime.daemon import session
from cigen.runtime.processes import alive
from cigen.runtime.proxies import proxy_table

_WATCH = 0.2  # seconds between looks at the daemon's PID


def main(root: Path, folder: Path) -> int:
    stop = threading.Event()

    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    manifest = read_manifest(folder)
    if manifest is None:
        return 2  # nothing to watch: `cigen up` writes the manifest before it starts the sampler
    with session(root, spawn=False) as s:
        if s.bridge is None:
            return 3
        bridge = s.bridge
        sampler = Sampler(folder, manifest, lambda: bridge.list(modules=True), home=s.home,
                          proxies=lambda: proxy_table(root))
        bridge.subscribe(sampler.on_event)
        if s.daemon is not None:
            threading.Thread(target=_watch, args=(s.daemon, stop), name="daemon-watch", daemon=True).start()
        sampler.run(stop)
    return 0


def _watch(daemon: int, stop: threading.Event) -> None:
    """End the run when the daemon dies (killed, out of memory): nothing is left to watch, and a sampler
    must never outlive the stack it watches."""
    while not stop.wait(_WATCH):
        if not alive(daemon):
            stop.set()


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
