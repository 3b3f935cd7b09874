"""What the whole suite shares: the pinned tools on PATH, ports, example copies, ``../shared``.

- The pinned Node tools and this interpreter's scripts come first on ``PATH``
  for every test (and every process a test starts), exactly as under
  ``./dev test``, so running ``pytest`` directly finds the same ``pm2``,
  ``turbo``, ``zizmor`` and ``cigen``.
- ``shared_dir``: ``../shared`` beside the checkout; skips when it is absent.
- ``free_port``: call it for a TCP port on 127.0.0.1 that nothing listens on.
- ``example_copy``: call it for an installed copy of a bundled example in tmp;
  :func:`testing.examples.copy_example` does the same for module- or session-scoped fixtures.
- ``cigen_wheel``: this checkout built as a wheel, once per run (the workers share it).

Where things are (``REPO_ROOT``, ``EXAMPLES``, ``NODE_BIN``, ``node_tool``) is
in :mod:`testing.paths`.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cigen.adapters.proc import run
from testing.examples import copy_example
from testing.once import once_per_run
from testing.paths import NODE_BIN, REPO_ROOT, SHARED


_PATH_BEFORE = pytest.StashKey[str | None]()


def pytest_configure(config: pytest.Config) -> None:
    """Put the pinned Node tools and this interpreter's scripts first on PATH, from collection on."""
    before = os.environ.get("PATH")
    config.stash[_PATH_BEFORE] = before
    wanted = [str(NODE_BIN), str(Path(sys.executable).parent)]
    entries = (before or "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join(wanted + [e for e in entries if e not in wanted])


def pytest_unconfigure(config: pytest.Config) -> None:
    before = config.stash.get(_PATH_BEFORE, None)
    if before is None:
        os.environ.pop("PATH", None)
    else:
        os.environ["PATH"] = before


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


@pytest.fixture
def example_copy(tmp_path: Path) -> Callable[..., Path]:
    """Call it (``example_copy("shop")``) for a fresh, installed copy of a bundled example in tmp."""

    def copy(name: str = "shop", *, install: bool = True) -> Path:
        return copy_example(name, tmp_path, install=install)

    return copy


@pytest.fixture(scope="session")
def cigen_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout as a wheel (``pip wheel --no-deps``), built once per run: pytest-xdist workers share it."""

    def build(folder: Path) -> None:
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder), str(REPO_ROOT)],
            timeout=600)

    (wheel,) = once_per_run(tmp_path_factory, "cigen-wheel", build).glob("cigen-*.whl")
    return wheel
