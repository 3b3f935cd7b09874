"""Where things are: the checkout, its bundled example monorepos, the pinned Node tools, ``../shared``."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_ROOT / "examples"
NODE_BIN = REPO_ROOT / "tools" / "node" / "node_modules" / ".bin"
SHARED = (REPO_ROOT / ".." / "shared").resolve()


def node_tool(name: str) -> Path:
    """The pinned Node tool ``name`` (pm2, turbo, ...) from tools/node.

    It fails (not skips) with how to install it when missing, because a suite
    that skips what it cannot find passes without testing.
    """
    path = NODE_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run ./dev setup (or npm ci --prefix tools/node)", pytrace=False)
    return path
