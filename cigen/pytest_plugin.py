"""cigen's pytest plugin: tests of what a manifest cannot express, against the stack ``cigen up`` runs.

Registered through the ``pytest11`` entry point, so installing cigen is enough. It does nothing until a
test asks for it: loading it imports pytest and the standard library only, and each hook returns at once
while no test has used the stack and ``--cigen-affected`` is not given (cigen's own test suite loads it).

- ``cigen_stack`` (session): the running stack (:class:`cigen.verify.stack.Stack`). It reuses the services
  ``cigen up`` started; when none runs, it starts them all and stops them when the session ends.
- ``cigen_url``: a service's base URL by name, ``cigen_url("@shop/api") + "/products"``.
- ``cigen_eventually``: :func:`cigen.verify.eventually`, retrying until an answer holds.
- ``cigen_fault``: a fault as a context manager, ``with cigen_fault(stop="shop-recommend"):``
  (also ``pause=NAME``, ``delay={"service": NAME, "by": "2s"}``, ``error={"service": NAME, "status": 503}``),
  undone when the block ends, whatever ends it.
- ``@pytest.mark.cigen_services("@shop/api", ...)``: the services a test exercises. When the test fails,
  what their logs got while it ran joins its report; ``--cigen-affected`` (with ``--cigen-base REF``) runs
  only the marked tests whose services the change affects, as ``cigen affected`` says.

The monorepo is ``--cigen-root DIR``, else the ``cigen_root`` ini option, else pytest's rootdir.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from cigen.verify.stack import Stack

MARKER = "cigen_services"
LOG_LINES = 50  # of each log, per failed test: the end of what the services wrote while it ran


@dataclass
class _Session:
    """What the plugin knows in one pytest session: nothing until a test uses the stack."""

    root: Path
    stack: Stack | None = None
    stop_at_end: bool = False  # the session started the stack: it stops it
    services: tuple[str, ...] = field(default=())  # every service of the stack, for unmarked tests

    def open(self) -> Stack:
        """The running stack of ``root``; when nothing of it runs, started (and stopped at the end)."""
        # lazy, here and below: cigen's application layer loads only in a session whose tests use the stack
        from cigen.app.stack import status, up
        from cigen.app.workspace import load
        from cigen.errors import CigenError
        from cigen.runtime.report import render_failure
        from cigen.verify.stack import StackNotUp, attach

        try:
            config, workspace = load(self.root)
            names = [row.name for row in status(self.root) if row.configured]
            try:
                stack = attach(self.root, config, workspace, needed=names)
            except StackNotUp:
                running = [row.name for row in status(self.root) if row.pid is not None]
                started = up(self.root, [], keep=False, progress=lambda step, width: None)
                if not started.result.ok:
                    pytest.fail(f"cigen up failed:\n{render_failure(started.result, started.project.logs)}",
                                pytrace=False)
                self.stop_at_end = not running  # a stack someone else half started is left running
                stack = attach(self.root, config, workspace, needed=names)
        except CigenError as exc:
            pytest.fail(f"cigen: {exc}", pytrace=False)
        self.stack, self.services = stack, tuple(names)
        return stack

    def close(self) -> None:
        # lazy: see open()
        from cigen.app.stack import down

        if self.stop_at_end:
            down(self.root)
        self.stack, self.stop_at_end = None, False


_SESSION = pytest.StashKey[_Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cigen", "cigen: tests against the services `cigen up` runs")
    group.addoption("--cigen-root", metavar="DIR", default=None,
                    help="the monorepo whose stack the tests use (default: the cigen_root ini option, else "
                         "the rootdir)")
    group.addoption("--cigen-affected", action="store_true", default=False,
                    help=f"run only the tests marked {MARKER}(...) whose services the change affects (and "
                         "every unmarked test)")
    group.addoption("--cigen-base", metavar="REF", default=None,
                    help="with --cigen-affected: the revision to compare with (default: the GitHub Actions "
                         "event's; elsewhere, the working tree's uncommitted changes)")
    parser.addini("cigen_root", "the monorepo whose stack the tests use (relative to the rootdir)", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names): the services the test exercises; their logs join its report when it fails, and "
        "--cigen-affected runs it only when the change affects one of them",
    )
    given = config.getoption("cigen_root") or config.getini("cigen_root")
    root = Path(given) if given and Path(given).is_absolute() else config.rootpath / (given or ".")
    config.stash[_SESSION] = _Session(root=root.resolve())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("cigen_affected"):
        if config.getoption("cigen_base"):
            raise pytest.UsageError("--cigen-base needs --cigen-affected")
        return
    affected = _affected(config)
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        marked = _marked(item)
        (keep if not marked or affected is None or set(marked) & affected else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _affected(config: pytest.Config) -> set[str] | None:
    """The names of the services the change affects; None when it affects everything."""
    # lazy: see _Session.open()
    from cigen.adapters.github_env import in_actions
    from cigen.app.affected import ChangeSource, affected
    from cigen.errors import CigenError

    base = config.getoption("cigen_base")
    source = ChangeSource(base=base) if base else ChangeSource(uncommitted=not in_actions(os.environ))
    try:
        result = affected(config.stash[_SESSION].root, source, os.environ)
    except CigenError as exc:
        raise pytest.UsageError(f"--cigen-affected: {exc}") from None
    if result.impact.everything:
        return None
    return set(result.affected_names())


def _marked(item: pytest.Item) -> tuple[str, ...]:
    return tuple(name for marker in item.iter_markers(MARKER) for name in marker.args)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """While a test that uses the stack runs, where each log of its services ends; when it fails, what they
    wrote since goes into its report."""
    stack = item.config.stash[_SESSION].stack
    if stack is None or not (_marked(item) or "cigen_stack" in getattr(item, "fixturenames", ())):
        return (yield)
    names = _marked(item) or item.config.stash[_SESSION].services
    offsets = {name: _sizes(stack, name) for name in names if name in stack.services}
    try:
        return (yield)
    except BaseException:
        _settle({path for name in offsets for path in (stack.services[name].out_log, stack.services[name].err_log)})
        _add_logs(item, stack, offsets)
        raise


def _settle(paths: set[Path], quiet: float = 0.2, most: float = 2.0) -> None:
    """Wait until the logs stop growing (``quiet`` seconds without a byte, ``most`` in all): PM2's daemon writes
    a service's output to its files a moment after the service wrote it, so a line from the test's last instant
    would otherwise be missing from its report."""
    deadline = time.monotonic() + most
    sizes = {path: _size(path) for path in paths}
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = {path: _size(path) for path in paths}
        if now != sizes:
            sizes, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= quiet:
            return


def _add_logs(item: pytest.Item, stack: Stack, offsets: dict[str, tuple[int, int]]) -> None:
    # lazy: see _Session.open()
    from cigen.runtime.report import tail

    for name, (out_at, err_at) in offsets.items():
        service = stack.services[name]
        lines = [*tail(service.out_log, out_at, LOG_LINES), *tail(service.err_log, err_at, LOG_LINES)]
        item.add_report_section("call", f"cigen logs of {name}",
                                "\n".join(lines) if lines else "(nothing written while the test ran)")


def _sizes(stack: Stack, name: str) -> tuple[int, int]:
    service = stack.services[name]
    return _size(service.out_log), _size(service.err_log)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@pytest.fixture(scope="session")
def cigen_stack(pytestconfig: pytest.Config) -> Iterator[Stack]:
    """The running stack: reused when ``cigen up`` started it, else started now and stopped at the end."""
    session = pytestconfig.stash[_SESSION]
    try:
        yield session.open()
    finally:
        session.close()


@pytest.fixture
def cigen_url(cigen_stack: Stack) -> Callable[[str], str]:
    """A service's base URL by name: ``http://127.0.0.1:PORT``."""

    def url(name: str) -> str:
        # lazy: see _Session.open()
        from cigen.errors import CigenError

        try:
            return cigen_stack.url(name)
        except CigenError as exc:
            pytest.fail(f"cigen: {exc}", pytrace=False)

    return url


@pytest.fixture
def cigen_eventually() -> Callable[..., Any]:
    """:func:`cigen.verify.eventually`: ``cigen_eventually(lambda: get(url), within=5, holds=lambda r: ...)``."""
    # lazy: see _Session.open()
    from cigen.verify import eventually

    return eventually


@pytest.fixture
def cigen_fault(cigen_stack: Stack) -> Callable[..., AbstractContextManager[None]]:
    """A fault on the stack as a context manager: ``with cigen_fault(stop="shop-recommend"): ...``; undone
    when the block ends, and every service healthy again."""
    # lazy: see _Session.open()
    from pydantic import ValidationError

    from cigen.config.faults import FaultConfig
    from cigen.errors import CigenError
    from cigen.verify.faults import check_fault, injected

    def fault(**kind: Any) -> AbstractContextManager[None]:
        try:
            config = FaultConfig.model_validate(kind)
            check_fault(config, cigen_stack.project.specs)
        except ValidationError as exc:
            problem = "; ".join(error["msg"] for error in exc.errors())
        except CigenError as exc:
            problem = str(exc)
        else:
            return injected(config, cigen_stack)
        # outside the except block, so that the report shows the one reason, not the exception it replaces
        pytest.fail(f"cigen_fault({', '.join(f'{k}={v!r}' for k, v in kind.items())}): {problem}", pytrace=False)

    return fault

