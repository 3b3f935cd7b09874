"""One task's process: a process group of its own, its output read line by line on a thread.

:func:`cigen.adapters.proc.spawn`, not :func:`~cigen.adapters.proc.run`: ``run`` waits for a command and
hands back its output at the end, while ``cigen run`` streams each task's
output as it comes and runs several tasks at once.

Each task starts in a session (so a process group) of its own. Stopping it
then reaches every process its command spawned (``npm run`` -> ``sh`` ->
``node``), and Ctrl-C in the terminal reaches cigen alone, which stops the
tasks itself: SIGTERM to each group, SIGKILL to what is left after a grace
period. A task's processes end with it: what its command leaves running in
its group is stopped when the command exits.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from cigen.adapters import proc

# Seconds what a finished command left running in its group gets between SIGTERM and SIGKILL.
LEFTOVER_GRACE = 1.0
# Seconds to wait for a command to exit once its output ended (a process closes its pipes as it exits).
EXIT_AFTER_OUTPUT = 0.02

TaskKey = tuple[str, int]  # (the service's path, the step's index)
Sink = Callable[[TaskKey, "str | None"], None]  # (key, line); None once the output has ended


class TaskProcess:
    """A running command; its output lines go to ``sink`` from a reader thread, tagged with ``key``."""

    def __init__(self, key: TaskKey, argv: Sequence[str], cwd: Path, sink: Sink,
                 env: Mapping[str, str] | None = None) -> None:
        """Start ``argv`` in ``cwd`` with the whole environment ``env`` (None: cigen's own).

        Raises :class:`~cigen.adapters.proc.CannotStart` (no such program or folder).
        """
        self._proc = proc.spawn(argv, cwd=cwd, env=env, stdin=proc.DEVNULL, stdout=proc.PIPE, stderr=proc.STDOUT,
                                new_session=True)
        self._reader = threading.Thread(target=self._read, args=(key, sink), name=f"cigen-run-{self._proc.pid}",
                                        daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _read(self, key: TaskKey, sink: Sink) -> None:
        assert self._proc.stdout is not None
        with self._proc.stdout as pipe:
            for raw in iter(pipe.readline, b""):
                sink(key, raw.decode("utf-8", "replace").rstrip("\r\n"))
        sink(key, None)

    def exited(self) -> int | None:
        """The command's exit code once it has exited (negative: the signal that ended it).

        Once its output has ended the exit is a matter of microseconds: wait for it
        briefly rather than leave the next task waiting for the run loop's next tick.
        """
        code = self._proc.poll()
        if code is None and not self._reader.is_alive():
            try:
                code = self._proc.wait(timeout=EXIT_AFTER_OUTPUT)
            except proc.TimeoutExpired:  # it closed its output and goes on: the next tick looks again
                pass
        return code

    def signal(self, sig: int) -> None:
        """Send ``sig`` to every process of the task's group still there."""
        try:
            os.killpg(self._proc.pid, sig)
        except ProcessLookupError:
            pass

    def close(self) -> int:
        """After the command exited: stop what it left running, wait for its last output; its exit code."""
        code = self._proc.wait()
        self.signal(signal.SIGTERM)
        self._reader.join(LEFTOVER_GRACE)
        if self._reader.is_alive():
            self.signal(signal.SIGKILL)
            # A process that left the group (setsid) can hold the pipe open forever: stop waiting for it.
            self._reader.join(LEFTOVER_GRACE)
        return code


def stop_all(processes: Iterable[TaskProcess], grace: float, hurry: Callable[[], bool]) -> None:
    """SIGTERM every task's group, SIGKILL those still running after ``grace`` s (or once ``hurry()``), reap all."""
    group = list(processes)
    for process in group:
        process.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(p.exited() is None for p in group) and time.monotonic() < deadline and not hurry():
        time.sleep(0.02)
    for process in group:
        if process.exited() is None:
            process.signal(signal.SIGKILL)
    for process in group:
        process.close()
