"""Running the selected checks: what must hold before the first runs, and the order they run in.

Checks that share no service run at once, on up to :data:`WORKERS` threads; a check that injects a fault runs
alone, after the others, in the calling thread, so that a Ctrl-C reaches it there and its fault is undone on
the way out (the fault's context manager exits whatever ends the block).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from cigen.config.checks import AuthCheck, Check, ResilienceCheck, environment_references
from cigen.errors import InputError
from cigen.suggest import did_you_mean
from cigen.runtime.services import ServiceSpec
from cigen.verify.engine import Context, run_check, services_of
from cigen.verify.faults import check_fault
from cigen.verify.model import CheckResult
from cigen.verify.schemas import Schemas

WORKERS = 4


def preflight(checks: Mapping[str, Check], environ: Mapping[str, str], schemas: Schemas, config_path: Path,
              specs: Mapping[str, ServiceSpec]) -> None:
    """Everything the checks need that is known before they run: each ``${NAME}`` is saved by a step of its
    check or set in the environment; each schema file and OpenAPI operation is there; each fault can be
    injected (a delay or an error needs a proxy in front of its service). InputError otherwise."""
    for name, check in checks.items():
        if isinstance(check, ResilienceCheck):
            try:
                check_fault(check.fault, specs)
            except InputError as exc:
                raise InputError(f"checks.{name}.fault: {exc.message}", path=config_path, hint=exc.hint) from None
        for where, ref in environment_references(name, check):
            if ref not in environ:
                raise InputError(f"{where} uses ${{{ref}}}, which is not set in the environment and no step of "
                                 f"check {name} saves", path=config_path,
                                 hint=f"export {ref}=... before cigen verify, or save it: save: {{{ref}: $.path}}")
        if isinstance(check, (AuthCheck, ResilienceCheck)):
            expects = [check.expect] if check.expect else []
            base = f"checks.{name}.expect"
            for expect in expects:
                schemas.prepare(expect, base)
        else:
            for number, step in enumerate(check.all_steps):
                if step.expect is not None:
                    where = f"checks.{name}.steps[{number}].expect" if check.steps else f"checks.{name}.expect"
                    schemas.prepare(step.expect, where)


def known_services(checks: Mapping[str, Check], specs: Mapping[str, ServiceSpec], config_path: Path) -> None:
    """Each service a check names is a service of the stack; InputError naming the check and the closest name."""
    for name, check in checks.items():
        for service in services_of(check):
            if service not in specs:
                raise InputError(f"checks.{name} names the service {service!r}, which is not a service of this "
                                 "monorepo", path=config_path,
                                 hint=did_you_mean(service, sorted(specs)) or f"services: {', '.join(sorted(specs))}")


def run_all(checks: Mapping[str, Check], context: Context,
            done: Callable[[CheckResult], None] = lambda result: None) -> list[CheckResult]:
    """Every check, in cigen.yaml's order in the result; ``done`` is told of each as it finishes."""
    results: dict[str, CheckResult] = {}
    shared = [name for name, check in checks.items() if not isinstance(check, ResilienceCheck)]
    alone = [name for name, check in checks.items() if isinstance(check, ResilienceCheck)]
    lock = threading.Lock()

    def finished(result: CheckResult) -> None:
        with lock:
            results[result.name] = result
        done(result)

    _concurrently(shared, checks, context, finished)
    for name in alone:
        finished(run_check(name, checks[name], context))
    return [results[name] for name in checks]


def _concurrently(names: list[str], checks: Mapping[str, Check], context: Context,
                  finished: Callable[[CheckResult], None]) -> None:
    """Run ``names`` on the pool, never two that share a service at the same time."""
    waiting = list(names)
    busy: dict[Future[CheckResult], set[str]] = {}
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="check")
    try:
        while waiting or busy:
            in_use = set().union(*busy.values()) if busy else set()
            for name in list(waiting):
                services = set(services_of(checks[name]))
                if len(busy) < WORKERS and not services & in_use:
                    waiting.remove(name)
                    busy[pool.submit(run_check, name, checks[name], context)] = services
                    in_use |= services
            completed, _ = wait(busy, return_when=FIRST_COMPLETED)
            for future in completed:
                del busy[future]
                finished(future.result())
    finally:
        # On Ctrl-C: start nothing more, and let the running checks end (each request has a timeout).
        pool.shutdown(wait=True, cancel_futures=True)


