"""Running a ``run:`` step: the shell GitHub would use, and the files it reads back.

Shells (GitHub's table for Linux): no ``shell:`` runs ``bash -e {0}``;
``shell: bash`` runs ``bash --noprofile --norc -eo pipefail {0}``; ``sh`` runs
``sh -e {0}``; ``python`` runs ``python {0}``; anything else containing
``{0}`` is a custom command. The script is written to a file in RUNNER_TEMP.

After the step, $GITHUB_OUTPUT and $GITHUB_ENV are read as ``name=value``
lines or ``name<<DELIMITER`` blocks, and $GITHUB_PATH as one folder a line.

When a job ends, the runner ends the processes its steps left behind (daemons
such as PM2 included): it finds them by the RUNNER_TRACKING_ID each step's
environment carries. :func:`end_orphans` does the same.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
import uuid
from pathlib import Path

from testing.gha.model import ActionError

SHELLS = {
    None: "bash -e {0}",
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
    "python": "python {0}",
}


def command(shell: str | None, script: Path) -> list[str]:
    template = SHELLS.get(shell, shell)
    if template is None or "{0}" not in template:
        raise ActionError(f"the shell {shell!r} is not supported on a Linux runner (use bash, sh, python or a command with {{0}})")
    return [part.replace("{0}", str(script)) for part in shlex.split(template)]


def run_script(
    script: str,
    shell: str | None,
    *,
    cwd: Path,
    env: dict[str, str],
    temp: Path,
    timeout: float,
) -> tuple[int, str]:
    """Run ``script`` as GitHub would; returns (exit code, interleaved stdout and stderr).

    subprocess directly, not cigen.adapters.proc: a step's log must interleave stdout
    and stderr as a runner's log does, the environment must be exactly the
    step's (not merged into this process's), and a step that outlives its
    timeout must be killed with everything it started.
    """
    suffix = ".py" if shell == "python" else ".sh"
    path = temp / f"{uuid.uuid4()}{suffix}"
    path.write_text(script)
    if not cwd.is_dir():
        raise ActionError(f"the working directory {cwd} does not exist")
    process = subprocess.Popen(
        command(shell, path),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        text = output.decode("utf-8", "replace")
        return 124, text + f"\nThe step exceeded its timeout of {timeout:.0f} s and was killed."
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, output.decode("utf-8", "replace")


def parse_file_command(text: str, what: str) -> dict[str, str]:
    """The name/value pairs written to $GITHUB_OUTPUT or $GITHUB_ENV."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if heredoc != -1 and (eq == -1 or heredoc < eq):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not name or not delimiter:
                raise ActionError(f"invalid {what} line {line!r}")
            body: list[str] = []
            while i < len(lines) and lines[i].rstrip("\r") != delimiter:
                body.append(lines[i].rstrip("\r"))
                i += 1
            if i >= len(lines):
                raise ActionError(f"invalid {what}: the delimiter {delimiter!r} for {name!r} was not found")
            i += 1
            values[name] = "\n".join(body)
        elif eq > 0:
            values[line[:eq]] = line[eq + 1 :]
        else:
            raise ActionError(f"invalid {what} line {line!r}: expected name=value or name<<DELIMITER")
    return values


def read_path_file(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _tracked(tracking_id: str) -> dict[int, str]:
    """Processes whose environment carries this RUNNER_TRACKING_ID, with their command lines."""
    marker = f"RUNNER_TRACKING_ID={tracking_id}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone, or not ours to read
            continue
    return found


def end_orphans(tracking_id: str, grace: float = 5.0) -> list[str]:
    """End what a job's steps left running (SIGTERM, then SIGKILL); returns their command lines."""
    orphans = _tracked(tracking_id)
    for pid in orphans:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _tracked(tracking_id):
        time.sleep(0.1)
    for pid in _tracked(tracking_id):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return sorted(orphans.values())
