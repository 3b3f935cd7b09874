"""``cigen verify``: the checks of cigen.yaml, selected by name, kind or change, run against the running stack.

The order of work: read cigen.yaml and select the checks; with ``--up`` start the services they need (and,
at the end, stop what this run started); attach to the stack (a needed service that is not up is exit 3);
check what can be checked before anything runs (``${NAME}`` set, schema files there: exit 2); run the checks;
work out the coverage of the runtime edges.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cigen.adapters import github_env
from cigen.app.affected import ChangeSource, affected
from cigen.app.stack import down, up
from cigen.app.workspace import load
from cigen.config.checks import CHECK_KINDS, Check
from cigen.config.file import find_config
from cigen.config.root import Config
from cigen.errors import InputError
from cigen.runtime.daemon import session
from cigen.runtime.orchestrate import Progress
from cigen.runtime.pm2 import daemon_pid, pm2_home
from cigen.runtime.project import project
from cigen.suggest import did_you_mean
from cigen.verify.coverage import coverage, runtime_edges
from cigen.verify.engine import Context, Injector, services_of
from cigen.verify.faults import injected, undo_leftovers
from cigen.verify.model import CheckResult, VerifyResult
from cigen.verify.report import SUMMARY_BUDGET, render_junit, render_markdown
from cigen.verify.run import known_services, preflight, run_all
from cigen.verify.schemas import Schemas
from cigen.verify.stack import StackNotUp, attach
from cigen.verify.values import Secrets


@dataclass(frozen=True)
class Selection:
    """Which checks to run: by name (none: all), by kind, and only those a change affects (``base``)."""

    names: Sequence[str] = ()
    kind: str | None = None
    base: str | None = None  # --affected --base REF


def verify(root: Path, selection: Selection, *, environ: Mapping[str, str], start: bool = False,
           inject: Injector = injected, started: Callable[[Progress, int], None] = lambda p, w: None,
           chosen: Callable[[list[str]], None] = lambda names: None,
           done: Callable[[CheckResult], None] = lambda result: None) -> VerifyResult:
    """Run the selected checks; ``start`` (``--up``) brings up what they need first and stops it after.
    ``chosen`` hears which checks will run, ``done`` of each as it finishes, ``started`` of ``cigen up``'s
    progress with ``start``."""
    began = time.monotonic()
    config, workspace = load(root)
    config_path = find_config(root) or root / "cigen.yaml"
    selected, skipped = select(root, config, selection, environ)
    needed = sorted({service for check in selected.values() for service in services_of(check)})
    known_services(selected, project(root, config, workspace).specs, config_path)
    chosen(list(selected))
    with _brought_up(root, needed if start else [], started):
        # a fault a killed cigen left (a paused service) would make the stack look down, or the checks fail
        undo_leftovers(root, project(root, config, workspace).specs)
        stack = attach(root, config, workspace, needed)
        schemas = Schemas(root, config_path)
        preflight(selected, environ, schemas, config_path, stack.project.specs)
        context = Context(stack=stack, schemas=schemas, secrets=Secrets(), environ=environ, inject=inject)
        results = run_all(selected, context, done)
    edges = runtime_edges(stack.project.specs, {name: list(s.depends_on) for name, s in config.services.items()})
    return VerifyResult(checks=tuple(results), coverage=coverage(edges, config.checks),
                        elapsed=time.monotonic() - began, skipped=tuple(skipped))


def select(root: Path, config: Config, selection: Selection,
           environ: Mapping[str, str]) -> tuple[dict[str, Check], list[str]]:
    """The checks to run, in cigen.yaml's order, and those ``--affected`` left out."""
    checks = dict(config.checks)
    if not checks:
        raise InputError("cigen.yaml has no checks", path=find_config(root) or root / "cigen.yaml",
                         hint="add a checks: section (see `cigen verify` in the README)")
    for name in selection.names:
        if name not in checks:
            raise InputError(f"no check is named {name!r}",
                             hint=did_you_mean(name, sorted(checks)) or f"checks: {', '.join(sorted(checks))}")
    if selection.kind is not None and selection.kind not in CHECK_KINDS:
        raise InputError(f"--kind {selection.kind}: no such kind of check",
                         hint=f"kinds: {', '.join(CHECK_KINDS)}")
    chosen = {name: check for name, check in checks.items()
              if (not selection.names or name in selection.names)
              and (selection.kind is None or check.kind == selection.kind)}
    if not chosen:
        raise InputError(f"no check is of kind {selection.kind}" + (" among those named" if selection.names else ""),
                         hint=f"kinds in cigen.yaml: {', '.join(sorted({c.kind for c in checks.values()}))}")
    skipped: list[str] = []
    if selection.base is not None:
        touched = set(affected(root, ChangeSource(base=selection.base), environ).affected_names())
        skipped = [name for name, check in chosen.items() if not set(services_of(check)) & touched]
        chosen = {name: check for name, check in chosen.items() if name not in skipped}
    return chosen, skipped


@contextlib.contextmanager
def _brought_up(root: Path, services: list[str], progress: Callable[[Progress, int], None]) -> Iterator[None]:
    """``services`` started (with what they need) for the block, and what this started stopped after it."""
    if not services:
        yield
        return
    daemon_before = daemon_pid(pm2_home(root)) is not None
    started = up(root, services, keep=False, progress=progress)
    if not started.result.ok:
        failure = started.result.failure
        raise StackNotUp(f"cigen up failed: {failure.service}: {failure.reason}" if failure else "cigen up failed",
                         hint="see `cigen up` for the whole report")
    ours = [s.name for s in started.result.services if s.started and not s.adopted]
    try:
        yield
    finally:
        if not daemon_before:
            down(root)
        elif ours:
            with session(root, spawn=False) as s:
                if s.bridge is not None:
                    for name in ours:
                        s.bridge.call("delete", name=name)


def write_reports(result: VerifyResult, *, junit: Path | None, environ: Mapping[str, str]) -> None:
    """The JUnit file (``--junit``), and with ``GITHUB_STEP_SUMMARY`` set the step summary's section."""
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=junit.parent, prefix=f".{junit.name}.", delete=False,
                                         encoding="utf-8") as handle:
            handle.write(render_junit(result))
        os.replace(handle.name, junit)  # atomic: a reader never sees half a report
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        path = Path(summary)
        github_env.append_summary(path, render_markdown(result, budget=min(SUMMARY_BUDGET,
                                                                           github_env.summary_budget(path))))
