"""cigen's cache on this machine: what a run keeps to make the next one faster, never needed to be right.

The folder is ``$CIGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/cigen``, else
``~/.cache/cigen`` (where pip, uv and pre-commit keep theirs): nothing is
written into the repository, so nothing shows in ``git status`` and a
monorepo outside git is served alike. Every entry is a JSON file under a
key; an entry that is missing, unreadable or of another shape is a miss, and
a cache that cannot be written (a read-only home) is simply not kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def home(env: Mapping[str, str]) -> Path:
    """cigen's cache folder for a process with the environment ``env``."""
    if env.get("CIGEN_CACHE_DIR"):
        return Path(env["CIGEN_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "cigen"
    return Path(env.get("HOME") or Path.home()) / ".cache" / "cigen"


def key(value: object) -> str:
    """A file name for ``value`` (anything JSON can write): distinct values, distinct names."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def read(path: Path) -> Any:
    """The JSON value at ``path``; None when there is none that can be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write(path: Path, value: object) -> None:
    """Keep ``value`` at ``path`` (atomically: a reader sees the old entry or the new one, never half of one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(value, handle, sort_keys=True)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def prune(folder: Path, days: float) -> None:
    """Remove the entries of ``folder`` no run has written for ``days`` (keys that no longer come up)."""
    limit = time.time() - days * 86400
    try:
        for entry in folder.iterdir():
            if entry.is_file() and entry.stat().st_mtime < limit:
                entry.unlink()
    except OSError:
        pass
