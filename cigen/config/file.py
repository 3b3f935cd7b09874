"""Where a monorepo's cigen.yaml is.

Apart from :mod:`cigen.config` so that looking costs no pydantic import: a
command that finds no cigen.yaml and needs no section of it (``cigen graph``)
runs on discovery's defaults without loading the models.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_NAMES = ("cigen.yaml", "cigen.yml")


def find_config(root: Path) -> Path | None:
    """The cigen.yaml (or cigen.yml) of ``root``; None when it has neither."""
    for name in CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None
