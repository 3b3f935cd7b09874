"""cigen.yaml ``checks:``: what ``cigen verify`` proves of the running stack, keyed by check name.

Five kinds, each a model of its own (``kind:`` picks it; reports and coverage group by it):

- ``contract``: a request and what its answer must be (status, headers, a JSON Schema or an OpenAPI
  operation's response schema, values at JSONPaths);
- ``flow``: steps run in order, each saving values (``save: {order: $.id}``) that later steps use as
  ``${order}``; a step with ``eventually: 5s`` is retried until it holds;
- ``state``: steps, among them ``agree:`` reads of several services that must give one value;
- ``auth``: the request is refused (``refused``) with no, malformed and wrong credentials, and answered
  (``expect``) with ``credentials``;
- ``resilience``: under a ``fault`` the request still answers ``within`` a time, as ``expect`` says; once the
  fault is undone the normal answer returns within ``recover``.

Text values may hold ``${NAME}``: an environment variable, or a value an earlier step saved (``$${`` writes
a literal ``${``). A service is named as in ``services:`` and reached on 127.0.0.1 at its port.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from cigen import jsonpath
from cigen.config.base import StrictModel
from cigen.config.faults import FaultConfig
from cigen.config.services import Duration, StatusRanges

CHECK_KINDS = ("contract", "flow", "state", "auth", "resilience")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# ${NAME}; $${ is a literal ${. NAME as a shell variable's, so an environment variable reads the same here.
REFERENCE = re.compile(r"\$(\$)?\{([^}]*)\}")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_TIMEOUT = 10.0  # seconds for one request: a check never waits for ever


def references(text: str) -> list[str]:
    """The names ``text`` refers to as ``${NAME}``; ValueError for a reference that names nothing."""
    names = []
    for match in REFERENCE.finditer(text):
        if match[1]:
            continue  # $${...}: literal
        if not NAME.fullmatch(match[2]):
            raise ValueError(f"${{{match[2]}}} is not a reference: write ${{NAME}} with letters, digits and _ "
                             "(an environment variable or a saved value), or $${ for a literal ${")
        names.append(match[2])
    return names


def _template(value: Any) -> Any:
    """A scalar written where text is sent (a header, a query value, a path) as that text, its references checked."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, (int, float)):
        value = str(value)
    if isinstance(value, str):
        references(value)
    return value


def _templates_in(value: Any) -> Any:
    """References anywhere in a JSON body are checked too (``{sku: "${sku}"}``)."""
    if isinstance(value, str):
        references(value)
    elif isinstance(value, dict):
        for item in value.values():
            _templates_in(item)
    elif isinstance(value, list):
        for item in value:
            _templates_in(item)
    return value


def _path(value: Any) -> Any:
    if isinstance(value, str):
        jsonpath.parse(value)
    return value


def _method(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_template)]
JsonPath = Annotated[str, BeforeValidator(_path)]
ServiceName = Annotated[str, Field(min_length=1)]
# A check's name is what `cigen verify NAME`, JUnit and the step summary show: one word, no spaces.
CheckName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$")]
Method = Annotated[Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], BeforeValidator(_method)]


class RequestConfig(StrictModel):
    """One HTTP request to a service, on 127.0.0.1 at its port."""

    service: ServiceName = Field(description="a service of the stack, by name")
    method: Method = "GET"
    path: Text = Field(default="/", description="from /, with the query if you like (/items?sku=mug)")
    query: dict[str, Text] = Field(default_factory=dict, description="query parameters, encoded for you")
    headers: dict[str, Text] = Field(default_factory=dict)
    json_body: Annotated[Any, BeforeValidator(_templates_in)] = Field(
        default=None, alias="json", description="a JSON body (sets content-type: application/json)")
    body: Text | None = Field(default=None, description="a text body, sent as written")
    timeout: Duration = Field(default=DEFAULT_TIMEOUT, gt=0, description="for the whole answer")

    @field_validator("path")
    @classmethod
    def _from_root(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"path must start with / (got {value!r}); the service is named by `service`")
        return value

    @model_validator(mode="after")
    def _one_body(self) -> RequestConfig:
        if self.json_body is not None and self.body is not None:
            raise ValueError("give json or body, not both")
        return self


class SchemaFile(StrictModel):
    file: str = Field(min_length=1, description="a JSON or YAML file of JSON Schema, relative to the root")


class OpenApiResponse(StrictModel):
    file: str = Field(min_length=1, description="the OpenAPI 3 document, relative to the root")
    operation: str = Field(min_length=1, description="its operationId")


def _schema(value: Any) -> Any:
    """``{file: path}`` is a file; any other mapping is a JSON Schema, checked against the 2020-12 metaschema."""
    if isinstance(value, dict) and set(value) == {"file"}:
        return SchemaFile.model_validate(value)
    if isinstance(value, dict):
        # lazy: jsonschema (~60 ms) only for a cigen.yaml with an inline schema, not for every command
        from jsonschema import Draft202012Validator, SchemaError

        try:
            Draft202012Validator.check_schema(value)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
            raise ValueError(f"not a valid JSON Schema 2020-12 at {where}: {exc.message}") from None
        return value
    if isinstance(value, bool):
        return value  # true / false are schemas too (anything / nothing)
    raise ValueError("schema must be a JSON Schema (a mapping) or {file: path}")


class ExpectConfig(StrictModel):
    """What an answer must be. Without ``status``, any 2xx."""

    status: StatusRanges | None = Field(default=None, description="200, a range 200-299, or a list")
    headers: dict[str, str] = Field(default_factory=dict, description="header -> glob (application/json*)")
    json_schema: Annotated[SchemaFile | dict[str, Any] | bool | None, BeforeValidator(_schema)] = Field(
        default=None, alias="schema", description="JSON Schema 2020-12, inline or {file: path}")
    openapi: OpenApiResponse | None = Field(default=None, description="the operation's response schema")
    body: Text | None = Field(default=None, description="a glob the whole text body matches (*in stock*)")
    json_values: dict[JsonPath, Any] = Field(default_factory=dict, alias="json",
                                             description="JSONPath -> the value found there")
    within: Duration | None = Field(default=None, gt=0, description="the whole answer within this time")

    @field_validator("json_values")
    @classmethod
    def _values(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, expected in value.items():
            jsonpath.parse(key)
            _templates_in(expected)
        return value


class ReadConfig(StrictModel):
    """One read of an ``agree:`` step: the value at ``at`` in a service's answer."""

    service: ServiceName
    method: Method = "GET"
    path: Text = "/"
    headers: dict[str, Text] = Field(default_factory=dict)
    at: JsonPath = Field(default="$", description="JSONPath of the value in the answer")
    timeout: Duration = Field(default=DEFAULT_TIMEOUT, gt=0)


class StepConfig(StrictModel):
    name: str | None = Field(default=None, description="how reports name the step; default its request")
    request: RequestConfig | None = None
    agree: list[ReadConfig] | None = Field(default=None, min_length=2, description="reads that give one value")
    expect: ExpectConfig | None = None
    save: dict[str, JsonPath] = Field(default_factory=dict, description="name -> JSONPath in the answer")
    eventually: Duration | None = Field(default=None, gt=0, description="retry until it holds, up to this long")

    @field_validator("save")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not NAME.fullmatch(name):
                raise ValueError(f"save: {name!r} is not a name (letters, digits and _; used as ${{{name}}})")
        return value

    @model_validator(mode="after")
    def _one_action(self) -> StepConfig:
        if (self.request is None) == (self.agree is None):
            raise ValueError("a step has a request or agree (one of them)")
        if self.agree is not None and (self.expect is not None or self.save):
            raise ValueError("an agree step has no expect or save: its reads must give one value")
        return self


class _Check(StrictModel):
    description: str | None = None
    services: list[ServiceName] = Field(
        default_factory=list, description="services the check involves beyond those it sends requests to")


class _StepsCheck(_Check):
    """A check made of steps; ``request`` (with ``expect`` and ``save``) is the same as one step."""

    request: RequestConfig | None = None
    expect: ExpectConfig | None = None
    save: dict[str, JsonPath] = Field(default_factory=dict)
    eventually: Duration | None = Field(default=None, gt=0)
    steps: list[StepConfig] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _request_or_steps(self) -> _StepsCheck:
        if (self.request is None) == (self.steps is None):
            raise ValueError("give a request (with expect) or steps, one of them")
        if self.steps is not None and (self.expect is not None or self.save or self.eventually is not None):
            raise ValueError("with steps, expect, save and eventually go in each step")
        return self

    @property
    def all_steps(self) -> list[StepConfig]:
        if self.steps is not None:
            return self.steps
        return [StepConfig(request=self.request, expect=self.expect, save=self.save, eventually=self.eventually)]


class ContractCheck(_StepsCheck):
    kind: Literal["contract"]


class FlowCheck(_StepsCheck):
    kind: Literal["flow"]


class StateCheck(_StepsCheck):
    kind: Literal["state"]


class CredentialsConfig(StrictModel):
    headers: dict[str, Text] = Field(default_factory=dict)
    query: dict[str, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _some(self) -> CredentialsConfig:
        if not self.headers and not self.query:
            raise ValueError("credentials need a header or a query parameter (headers: {authorization: ...})")
        return self


class AuthCheck(_Check):
    kind: Literal["auth"]
    request: RequestConfig
    refused: StatusRanges = Field(default=((401, 401), (403, 403)),
                                  description="what no, malformed and wrong credentials must get")
    credentials: CredentialsConfig
    expect: ExpectConfig | None = Field(default=None, description="the answer with the credentials; default any 2xx")


class ResilienceCheck(_Check):
    kind: Literal["resilience"]
    fault: FaultConfig
    request: RequestConfig
    expect: ExpectConfig | None = Field(default=None, description="the answer under the fault; `within` bounds it")
    recover: Duration = Field(default=10.0, gt=0, description="after the fault, the normal answer within this")


def _kind(value: Any) -> Any:
    # A callable, not the field's name: every model's fields pass through StrictModel's before-validator,
    # which pydantic does not allow on a discriminator it reads itself.
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


Check = Annotated[
    Annotated[ContractCheck, Tag("contract")] | Annotated[FlowCheck, Tag("flow")]
    | Annotated[StateCheck, Tag("state")] | Annotated[AuthCheck, Tag("auth")]
    | Annotated[ResilienceCheck, Tag("resilience")],
    Discriminator(_kind, custom_error_type="check_kind",
                  custom_error_message=f"kind must be one of {', '.join(CHECK_KINDS)}"),
]


def environment_references(name: str, check: Check) -> list[tuple[str, str]]:
    """What a check reads from the environment: each ``${NAME}`` that no step of it saves, with where it is
    (``checks.NAME.steps[0].request.path``). A schema's own text is no template; a fault has no references.
    ``generate`` lists these for the integration job's env, ``verify`` refuses to start without them."""
    saved = set() if isinstance(check, (AuthCheck, ResilienceCheck)) else {
        saved_name for step in check.all_steps for saved_name in step.save}
    return [(where, ref) for where, text in _texts(check.model_dump(by_alias=True, exclude={"fault"}), f"checks.{name}")
            for ref in references(text) if ref not in saved]


def _texts(value: Any, where: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() if key != "schema" for found in _texts(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for number, item in enumerate(value) for found in _texts(item, f"{where}[{number}]")]
    return []
