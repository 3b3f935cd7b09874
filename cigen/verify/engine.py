"""Running one check against the stack: its steps in order, each request judged, the result redacted.

- contract, flow, state: the steps; a step with ``eventually`` is retried until it holds; ``save`` keeps values
  for later steps; ``agree`` reads several services and wants one value;
- auth: the request with no credentials, with malformed ones and with wrong ones must each be refused
  (``refused``), and with the credentials answered as ``expect`` says;
- resilience: the normal answer first (any 2xx: the stack works before the fault), then under the fault the
  answer ``expect`` says within ``expect.within`` (default: the request's timeout: never hangs), then, once the
  fault is undone, the normal status again within ``recover``.

A check that fails gets the last log lines of the services it involves. Every text of the result passes
through :meth:`Secrets.redact`.
"""

from __future__ import annotations

import json
import secrets as random
import string
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from cigen.config.checks import (
    AuthCheck, Check, ExpectConfig, ReadConfig, RequestConfig, ResilienceCheck, StepConfig,
)
from cigen.config.faults import FaultConfig
from cigen.config.services import format_status
from cigen.durations import format_seconds
from cigen.errors import CigenError
from cigen.jsonpath import MISSING, find
from cigen.verify.expect import Verdict, judge
from cigen.verify.http import NOT_JSON, Answer, send
from cigen.verify.model import CheckResult, StepResult
from cigen.verify.retry import eventually
from cigen.verify.schemas import Schemas
from cigen.verify.stack import Stack
from cigen.verify.values import MissingValue, Secrets, Values

Injector = Callable[[FaultConfig, Stack], AbstractContextManager[object]]
LOG_LINES = 15  # of each service involved, on failure


@dataclass(frozen=True)
class Context:
    """What every check of a run shares."""

    stack: Stack
    schemas: Schemas
    secrets: Secrets
    environ: Mapping[str, str]
    inject: Injector  # applies a fault for the span of a block and always undoes it (cigen.verify.faults)


def services_of(check: Check) -> tuple[str, ...]:
    """The services a check involves: those it sends requests to, reads, faults, and lists in ``services``."""
    found = set(check.services)
    if isinstance(check, (AuthCheck, ResilienceCheck)):
        found.add(check.request.service)
        if isinstance(check, ResilienceCheck):
            found.add(check.fault.service)
    else:
        for step in check.all_steps:
            if step.request is not None:
                found.add(step.request.service)
            found.update(read.service for read in step.agree or ())
    return tuple(sorted(found))


def run_check(name: str, check: Check, context: Context) -> CheckResult:
    started = time.monotonic()
    values = Values(context.environ, context.secrets)
    steps: list[StepResult] = []
    message = ""
    outcome: Any = "passed"
    try:
        if isinstance(check, AuthCheck):
            _auth(check, context, values, steps)
        elif isinstance(check, ResilienceCheck):
            _resilience(check, context, values, steps)
        else:
            for number, step in enumerate(check.all_steps, 1):
                steps.append(_step(number, step, context, values))
                if not steps[-1].ok:
                    break
    except MissingValue as missing:
        outcome, message = "error", f"${{{missing.name}}} is not set in the environment and no earlier step saves it"
    except CigenError as exc:
        outcome, message = "error", str(exc)
    failed = next((step for step in steps if not step.ok), None)
    if failed is not None:
        outcome = "failed"
        message = f"{failed.what}: expected {failed.expected}, got {failed.got}"
    services = services_of(check)
    logs = tuple((service, context.stack.log_tail(service, LOG_LINES)) for service in services) if outcome != "passed" else ()
    result = CheckResult(name=name, kind=check.kind, outcome=outcome, elapsed=time.monotonic() - started,
                         services=services, steps=tuple(steps), message=message, logs=logs)
    return redacted(result, context.secrets)


def redacted(result: CheckResult, secrets: Secrets) -> CheckResult:
    hide = secrets.redact
    steps = tuple(replace(step, what=hide(step.what), expected=hide(step.expected), got=hide(step.got),
                          detail=tuple(hide(line) for line in step.detail)) for step in result.steps)
    logs = tuple((service, tuple(hide(line) for line in lines)) for service, lines in result.logs)
    return replace(result, steps=steps, message=hide(result.message), logs=logs)


# -- steps ---------------------------------------------------------------------------------------------------


def _step(number: int, step: StepConfig, context: Context, values: Values) -> StepResult:
    if step.agree is not None:
        what = step.name or f"step {number}: agree " + ", ".join(f"{r.service} {r.path} {r.at}" for r in step.agree)
        return _attempts(what, step.eventually, lambda: _agree(step.agree or [], context, values))
    assert step.request is not None  # a step has a request or agree (StepConfig checks)
    request = step.request
    what = step.name or f"step {number}: {request.method} {request.service} {request.path}"

    def attempt() -> tuple[Verdict, dict[str, Any]]:
        answer = _send(request, context, values)
        verdict = judge(answer, step.expect, values=values, schemas=context.schemas)
        if not verdict.ok or not step.save:
            return verdict, {}
        return _saved(answer, step.save, verdict)

    saved: dict[str, Any] = {}

    def keep() -> Verdict:
        verdict, found = attempt()
        saved.clear()
        saved.update(found)
        return verdict

    result = _attempts(what, step.eventually, keep)
    if result.ok:
        values.saved.update(saved)
    return result


def _attempts(what: str, within: float | None, attempt: Callable[[], Verdict]) -> StepResult:
    """One try, or tries until one holds for ``within`` seconds (``eventually``); the last verdict."""
    started = time.monotonic()
    tries = 0

    def counted() -> Verdict:
        nonlocal tries
        tries += 1
        return attempt()

    verdict = eventually(counted, within, holds=lambda v: v.ok) if within is not None else counted()
    elapsed = time.monotonic() - started
    expected = verdict.expected
    if not verdict.ok and within is not None:
        expected += f" within {format_seconds(within)} ({tries} tries)"
    return StepResult(what=what, ok=verdict.ok, elapsed=elapsed, expected=expected, got=verdict.got,
                      detail=verdict.detail, attempts=tries)


def _saved(answer: Answer, save: Mapping[str, str], verdict: Verdict) -> tuple[Verdict, dict[str, Any]]:
    document = answer.json()
    found = {}
    for name, path in save.items():
        value = MISSING if document is NOT_JSON else find(document, path)
        if value is MISSING:
            return Verdict(False, f"a value at {path} to save as {name}",
                           "a body that is not JSON" if document is NOT_JSON else "nothing there",
                           (f"body: {answer.start_of_body()!r}",)), {}
        found[name] = value
    return verdict, found


def _agree(reads: list[ReadConfig], context: Context, values: Values) -> Verdict:
    seen = []
    found = []
    for read in reads:
        request = RequestConfig.model_construct(service=read.service, method=read.method, path=read.path,
                                                query={}, headers=read.headers, json_body=None, body=None,
                                                timeout=read.timeout)
        answer = _send(request, context, values)
        label = f"{read.service} {read.path} {read.at}"
        if answer.status is None or not 200 <= answer.status < 300:
            return Verdict(False, f"{label}: a 2xx answer", answer.describe(),
                           (f"body: {answer.start_of_body()!r}",) if answer.body else ())
        document = answer.json()
        value = MISSING if document is NOT_JSON else find(document, read.at)
        found.append(value)
        seen.append(f"{label} = {'nothing' if value is MISSING else json.dumps(value)}")
    if any(value is MISSING for value in found) or any(value != found[0] for value in found[1:]):
        return Verdict(False, "every read to give one value", "; ".join(seen), tuple(seen))
    return Verdict(True)


# -- auth ----------------------------------------------------------------------------------------------------


def _auth(check: AuthCheck, context: Context, values: Values, steps: list[StepResult]) -> None:
    credentials = check.credentials
    real_headers = {k: values.secret_text(v) for k, v in credentials.headers.items()}
    real_query = {k: values.secret_text(v) for k, v in credentials.query.items()}
    refused = ExpectConfig.model_construct(status=check.refused)
    variants: tuple[tuple[str, dict[str, str], dict[str, str]], ...] = (
        ("no credentials", {}, {}),
        ("malformed credentials", {k: _malformed(v) for k, v in real_headers.items()},
         {k: _malformed(v) for k, v in real_query.items()}),
        ("wrong credentials", {k: _wrong(v) for k, v in real_headers.items()},
         {k: _wrong(v) for k, v in real_query.items()}),
    )
    request = check.request

    def sent_with(headers: dict[str, str], query: dict[str, str], expect: ExpectConfig | None) -> Callable[[], Verdict]:
        return lambda: judge(_send(request, context, values, headers=headers, query=query), expect,
                             values=values, schemas=context.schemas)

    for label, headers, query in variants:
        what = f"{request.method} {request.service} {request.path} with {label}"
        steps.append(_attempts(what, None, sent_with(headers, query, refused)))
        if not steps[-1].ok:
            steps[-1] = replace(steps[-1], expected=f"refused ({format_status(check.refused)})")
            return
    what = f"{request.method} {request.service} {request.path} with the credentials"
    steps.append(_attempts(what, None, sent_with(real_headers, real_query, check.expect)))


def _malformed(value: str) -> str:
    """The same scheme with a token no scheme accepts (``Bearer`` -> ``Bearer %%%``); a bare key becomes that."""
    scheme, _, token = value.partition(" ")
    return f"{scheme} %%not a credential%%" if token else "%%not a credential%%"


def _wrong(value: str) -> str:
    """Well-formed and wrong: the same scheme and shape (length, separators such as a JWT's dots), new
    random characters; nothing of the real credential is kept, so it cannot leak through a service's logs."""
    scheme, _, token = value.partition(" ")
    body = token if token else value
    alphabet = string.ascii_letters + string.digits
    forged = "".join(random.choice(alphabet) if c.isalnum() else c for c in body)
    if forged == body:  # nothing alphanumeric to change
        forged = body + "x"
    return f"{scheme} {forged}" if token else forged


# -- resilience ----------------------------------------------------------------------------------------------


def _resilience(check: ResilienceCheck, context: Context, values: Values, steps: list[StepResult]) -> None:
    request = check.request
    label = f"{request.method} {request.service} {request.path}"
    baseline: list[Answer] = []

    def before() -> Verdict:
        answer = _send(request, context, values)
        baseline[:] = [answer]
        return judge(answer, None, values=values, schemas=context.schemas)

    first = _attempts(f"{label} before the fault", None, before)
    steps.append(first)
    if not first.ok:
        return
    normal = baseline[0].status
    expect = check.expect or ExpectConfig()
    within = expect.within or request.timeout
    fault = check.fault.describe()
    with context.inject(check.fault, context.stack):
        under = _attempts(f"{label} under the fault ({fault})", None, lambda: judge(
            _send(request, context, values, timeout=within), expect.model_copy(update={"within": within}),
            values=values, schemas=context.schemas))
    steps.append(under)
    if not under.ok:
        return
    back = ExpectConfig.model_construct(status=((normal, normal),) if normal else None)
    steps.append(_attempts(f"{label} after the fault is undone", check.recover, lambda: judge(
        _send(request, context, values), back, values=values, schemas=context.schemas)))


# -- sending -------------------------------------------------------------------------------------------------


def _send(request: RequestConfig, context: Context, values: Values, *, headers: Mapping[str, str] | None = None,
          query: Mapping[str, str] | None = None, timeout: float | None = None) -> Answer:
    """``request`` with its references replaced; ``headers`` and ``query`` are added (credentials)."""
    port = context.stack.service(request.service).reachable_port()
    sent = {k: values.text(v) for k, v in request.headers.items()}
    sent.update(headers or {})
    body = None
    if request.json_body is not None:
        body = json.dumps(values.json(request.json_body)).encode()
        if not any(k.lower() == "content-type" for k in sent):
            sent["content-type"] = "application/json"
    elif request.body is not None:
        body = values.text(request.body).encode()
    params = {k: values.text(v) for k, v in request.query.items()}
    params.update(query or {})
    return send(port, request.method, values.text(request.path), query=params, headers=sent, body=body,
                timeout=timeout or request.timeout)
