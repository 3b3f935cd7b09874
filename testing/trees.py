"""Build small monorepos on disk for discovery tests.

``make_tree(tmp_path, {"package.json": {...}, "packages/a/package.json": {...},
"pyproject.toml": "[project]\\n..."})`` writes each entry: a dict or list as
JSON, a str as text, bytes as they are; a key ending in "/" makes an empty
folder. ``pkg(name)`` is the smallest package.json worth the name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def make_tree(root: Path, files: dict[str, Any]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        target = root / rel
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return root


def pkg(name: str | None, version: str | None = "1.0.0", **fields: Any) -> dict[str, Any]:
    manifest: dict[str, Any] = {}
    if name is not None:
        manifest["name"] = name
    if version is not None:
        manifest["version"] = version
    manifest.update(fields)
    return manifest


def pyproject(name: str, version: str = "0.1.0", extra: str = "") -> str:
    return f'[project]\nname = "{name}"\nversion = "{version}"\n{extra}'


def paths(workspace: Any) -> list[str]:
    return [m.path for m in workspace.members]
