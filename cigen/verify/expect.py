"""Whether an answer is what a check expects: status, time, headers, body, JSON Schema, OpenAPI response, values.

:func:`judge` tries each expectation in that order and stops at the first that does not hold, saying what was
expected and what came (the status, the start of the body, the value at the path, the time it took).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from cigen.config.checks import ExpectConfig
from cigen.config.services import format_status
from cigen.durations import format_seconds
from cigen.jsonpath import MISSING, find
from cigen.verify.http import NOT_JSON, Answer
from cigen.verify.schemas import Schemas, describe_errors
from cigen.verify.values import Values

ANY_SUCCESS = ((200, 299),)  # what an answer must be when expect gives no status


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    expected: str = ""
    got: str = ""
    detail: tuple[str, ...] = ()


def judge(answer: Answer, expect: ExpectConfig | None, *, values: Values, schemas: Schemas) -> Verdict:
    """``answer`` against ``expect`` (None: any 2xx)."""
    expect = expect or ExpectConfig()
    took = f"took {format_seconds(answer.elapsed)}"
    if answer.status is None:
        wanted = f"an answer within {format_seconds(expect.within)}" if expect.within is not None else "an answer"
        return Verdict(False, wanted, answer.describe(), (took,))
    body = f"body: {answer.start_of_body()!r}" if answer.body else "body: (empty)"
    seen = (f"status: {answer.describe()}", body, took)
    if expect.within is not None and answer.elapsed > expect.within:
        return Verdict(False, f"an answer within {format_seconds(expect.within)}",
                       f"it took {format_seconds(answer.elapsed)}", seen)
    ranges = expect.status or ANY_SUCCESS
    if not any(low <= answer.status <= high for low, high in ranges):
        return Verdict(False, f"status {format_status(ranges)}", answer.describe(), seen)
    for name, pattern in expect.headers.items():
        value = answer.header(name)
        if value is None or not fnmatch.fnmatchcase(value.lower(), pattern.lower()):
            got = f"{name}: {value}" if value is not None else f"no {name} header"
            return Verdict(False, f"{name}: {pattern}", got, seen)
    if expect.body is not None:
        pattern = values.text(expect.body)
        if not fnmatch.fnmatchcase(answer.body.decode("utf-8", errors="replace"), pattern):
            return Verdict(False, f"a body matching {pattern!r}", f"{answer.start_of_body()!r}", seen)
    document = answer.json() if (expect.json_schema is not None or expect.openapi is not None
                                 or expect.json_values) else NOT_JSON
    if document is NOT_JSON and (expect.json_schema is not None or expect.openapi is not None or expect.json_values):
        return Verdict(False, "a JSON body", "a body that is not JSON", seen)
    validator = schemas.validator(expect)
    if validator is not None:
        broken = describe_errors(validator, document)
        if broken is not None:
            return Verdict(False, "a body matching the schema", broken, seen)
    if expect.openapi is not None:
        found = schemas.openapi_validator(expect.openapi, answer.status)
        if found is None:
            return Verdict(False, f"a status {expect.openapi.operation} documents",
                           f"{answer.status}, which it does not document", seen)
        key, response = found
        broken = describe_errors(response, document)
        if broken is not None:
            return Verdict(False, f"the {key} response of {expect.openapi.operation}", broken, seen)
    for path, wanted in expect.json_values.items():
        expected = values.json(wanted)
        value = find(document, path)
        if not _same(value, expected):
            shown = "nothing" if value is MISSING else json.dumps(value)
            return Verdict(False, f"{path} = {json.dumps(expected)}", f"{path} = {shown}",
                           (f"value at {path}: {shown}", *seen))
    return Verdict(True)


def _same(value: Any, expected: Any) -> bool:
    """Equal as JSON values: 1 and 1.0 are, 1 and "1" or true and 1 are not."""
    if isinstance(value, bool) or isinstance(expected, bool):
        return type(value) is type(expected) and value == expected
    return bool(value == expected) and (isinstance(value, str) == isinstance(expected, str))
