"""What the whole suite shares: where things are, the pinned tools, ports, example copies.

- ``REPO_ROOT``, ``EXAMPLES``, ``NODE_BIN``: the checkout, its bundled example
  monorepos, and the pinned Node tools (``tools/node/node_modules/.bin``).
- The pinned Node tools and this interpreter's scripts come first on ``PATH``
  for every test, exactly as under ``./dev test``, so running ``pytest``
  directly finds the same ``pm2``, ``turbo``, ``zizmor`` and ``cigen``.
- ``node_tool(name)``: the path of a pinned Node tool; fails (not skips) with
  how to install it when missing, because a suite that skips what it cannot
  find passes without testing.
- ``shared_dir``: ``../shared`` beside the checkout; skips when it is absent.
- ``free_port``: call it for a TCP port on 127.0.0.1 that nothing listens on.
- ``example_copy``: call it for an installed copy of a bundled example in tmp;
  ``copy_example(name, dest)`` does the same for module- or session-scoped fixtures.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_ROOT / "examples"
NODE_BIN = REPO_ROOT / "tools" / "node" / "node_modules" / ".bin"
SHARED = (REPO_ROOT / ".." / "shared").resolve()

# What an example's copy leaves out: installs and build outputs of the checkout.
_NOT_COPIED = shutil.ignore_patterns("node_modules", "dist", ".venv", "__pycache__", ".pytest_cache")


def _put_tools_on_path() -> None:
    scripts = str(Path(sys.executable).parent)
    entries = os.environ.get("PATH", "").split(os.pathsep)
    wanted = [str(NODE_BIN), scripts]
    os.environ["PATH"] = os.pathsep.join(wanted + [e for e in entries if e not in wanted])


_put_tools_on_path()


def node_tool(name: str) -> Path:
    """The pinned Node tool ``name`` (pm2, turbo, ...) from tools/node."""
    path = NODE_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run ./dev setup (or npm ci --prefix tools/node)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout: the design, action pins, corpus and synthetic generator."""
    if not SHARED.is_dir():
        pytest.skip("../shared not present (fresh clone)")
    return SHARED


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def free_port() -> Callable[[], int]:
    """Call it for a port on 127.0.0.1 that nothing listens on; never the same one twice in a test.

    The kernel picks the port (bind to 0), so parallel test workers do not collide
    the way they would with a fixed range. It is free when handed out; a test
    that needs it to stay free must use it promptly.
    """
    given: set[int] = set()

    def pick() -> int:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            if port not in given and _port_is_free(port):
                given.add(port)
                return port

    return pick


def copy_example(name: str, dest: Path, *, install: bool = True) -> Path:
    """A fresh copy of the bundled example ``name`` at ``dest/name``, npm-installed unless ``install=False``.

    The copy leaves the checkout untouched (builds write dist/, installs write
    node_modules/). The examples have no third-party dependencies, so the
    install is offline and takes about a second.
    """
    from cigen.adapters.proc import run

    source = EXAMPLES / name
    if not source.is_dir():
        pytest.fail(f"no example monorepo {source}", pytrace=False)
    target = dest / name
    shutil.copytree(source, target, ignore=_NOT_COPIED, symlinks=True)
    if install and (target / "package-lock.json").exists():
        run(["npm", "ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], cwd=target, timeout=300)
    return target


@pytest.fixture
def example_copy(tmp_path: Path) -> Callable[..., Path]:
    """Call it (``example_copy("shop")``) for a fresh, installed copy of a bundled example in tmp."""

    def copy(name: str = "shop", *, install: bool = True) -> Path:
        return copy_example(name, tmp_path, install=install)

    return copy
