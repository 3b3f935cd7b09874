"""Small package.json-workspaces monorepos written into tmp_path (run cigen on them with :mod:`testing.cli`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# web -> @x/ui -> @x/utils, web -> @x/utils (dev), api -> @x/utils (^2.0.0: not linked, npm
# installs @x/utils from the registry), worker alone.
SHOP: dict[str, dict[str, Any]] = {
    ".": {"name": "mono", "private": True, "workspaces": ["packages/*", "apps/*", "services/*"]},
    "packages/utils": {"name": "@x/utils", "version": "1.0.0"},
    "packages/ui": {"name": "@x/ui", "version": "1.0.0", "dependencies": {"@x/utils": "*"}},
    "apps/web": {
        "name": "web", "version": "1.0.0",
        "dependencies": {"@x/ui": "^1.0.0"}, "devDependencies": {"@x/utils": "1.0.0"},
    },
    "services/api": {
        "name": "api", "version": "1.0.0", "scripts": {"start": "node server.js"},
        "dependencies": {"@x/utils": "^2.0.0"},
    },
    "services/worker": {"name": "worker", "version": "1.0.0", "scripts": {"start": "node worker.js"}},
}

# a <-> b (a cycle), c depends on a, d alone.
CYCLIC: dict[str, dict[str, Any]] = {
    ".": {"name": "mono", "private": True, "workspaces": ["packages/*"]},
    "packages/a": {"name": "a", "version": "1.0.0", "dependencies": {"b": "*"}},
    "packages/b": {"name": "b", "version": "1.0.0", "devDependencies": {"a": "*"}},
    "packages/c": {"name": "c", "version": "1.0.0", "dependencies": {"a": "*"}},
    "packages/d": {"name": "d", "version": "1.0.0"},
}


def write_monorepo(root: Path, manifests: dict[str, dict[str, Any]], config: str | None = None) -> Path:
    for path, manifest in manifests.items():
        folder = root / path
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if config is not None:
        (root / "cigen.yaml").write_text(config)
    return root
