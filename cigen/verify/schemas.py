"""The JSON Schemas answers are held to: inline, in a file (``{file: path}``), or an OpenAPI operation's response.

Everything is read and resolved before the first check runs (:meth:`Schemas.prepare`), so a missing file, an
operation that is not in the document or a response without a JSON schema is one located line and exit 2, not
a failure in the middle of a run. OpenAPI 3.1 schemas are JSON Schema 2020-12; 3.0's are read as such too
(their ``nullable`` is not understood). ``$ref`` resolves inside the document and, for files, to other files
under the repository's root.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from cigen.adapters.files import read_text
from cigen.adapters.yaml_tree import load_tree
from cigen.config.checks import ExpectConfig, OpenApiResponse, SchemaFile
from cigen.errors import InputError


@dataclass(frozen=True)
class Operation:
    """An OpenAPI operation's JSON responses: status key (``200``, ``2XX``, ``default``) -> schema pointer."""

    document: str  # the registry URI of its document
    responses: dict[str, str]


class Schemas:
    """The schemas of a run's checks, each read once; safe to use from several threads once prepared."""

    def __init__(self, root: Path, config_path: Path) -> None:
        self._root = root.resolve()
        self._config_path = config_path
        # attrs names the field _retrieve and takes it as retrieve=, which mypy's attrs support does not see
        self._registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]
        self._operations: dict[tuple[str, str], Operation] = {}
        self._lock = threading.Lock()

    def prepare(self, expect: ExpectConfig, where: str) -> None:
        """Read and check what ``expect`` refers to; an InputError naming ``where`` when it cannot be used."""
        if isinstance(expect.json_schema, SchemaFile):
            relative, field = expect.json_schema.file, f"{where}.schema.file"
            with self._lock:
                try:
                    retrieved = self._registry.get_or_retrieve(self._file_uri(relative, field))
                except Exception as exc:  # noqa: BLE001 - the registry wraps what reading the file raised
                    raise self._unreadable(relative, field, exc) from None
                try:
                    Draft202012Validator.check_schema(retrieved.value.contents)
                except SchemaError as exc:
                    raise InputError(f"{field}: {relative} is not a valid JSON Schema 2020-12: {exc.message}",
                                     path=self._config_path, hint="fix the schema file") from None
                self._registry = retrieved.registry
        if expect.openapi is not None:
            self._operation(expect.openapi, f"{where}.openapi")

    def validator(self, expect: ExpectConfig) -> Draft202012Validator | None:
        """The validator of ``expect.schema`` (None without one)."""
        if expect.json_schema is None:
            return None
        if isinstance(expect.json_schema, SchemaFile):
            schema: Any = {"$ref": self._file_uri(expect.json_schema.file, "schema.file")}
        else:
            schema = expect.json_schema
        return Draft202012Validator(schema, registry=self._registry)

    def openapi_validator(self, ref: OpenApiResponse, status: int) -> tuple[str, Draft202012Validator] | None:
        """The response ``status`` gets from ``ref``'s operation, and its validator; None when the operation
        documents no JSON answer for that status (the status check says what is wrong then)."""
        operation = self._operations[(ref.file, ref.operation)]
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in operation.responses:
                pointer = operation.responses[key]
                return key, Draft202012Validator({"$ref": f"{operation.document}#{quote(pointer)}"},
                                                 registry=self._registry)
        return None

    def _operation(self, ref: OpenApiResponse, where: str) -> Operation:
        with self._lock:
            if (ref.file, ref.operation) in self._operations:
                return self._operations[(ref.file, ref.operation)]
            uri = self._file_uri(ref.file, f"{where}.file")
            try:
                document = self._registry.get_or_retrieve(uri).value.contents
            except Exception as exc:  # noqa: BLE001 - as in prepare
                raise self._unreadable(ref.file, f"{where}.file", exc) from None
            found = _find_operation(document, ref.operation)
            if found is None:
                ids = sorted(_operation_ids(document))
                raise InputError(f"{where}.operation: {ref.file} has no operation {ref.operation!r}",
                                 path=self._config_path, hint=f"its operationIds: {', '.join(ids) or 'none'}")
            pointer, responses = found
            json_responses = {}
            for status, response in responses.items():
                content = response.get("content", {}) if isinstance(response, dict) else {}
                for media, body in sorted(content.items()):
                    if (media == "application/json" or media.endswith("+json")) and "schema" in body:
                        json_responses[str(status)] = "/".join(
                            (pointer, "responses", _escape(str(status)), "content", _escape(media), "schema"))
                        break
            if not json_responses:
                raise InputError(f"{where}: operation {ref.operation!r} in {ref.file} documents no JSON response schema",
                                 path=self._config_path, hint="give its responses content: application/json: schema")
            self._registry = self._registry.get_or_retrieve(uri).registry
            operation = Operation(uri, json_responses)
            self._operations[(ref.file, ref.operation)] = operation
            return operation

    def _file_uri(self, relative: str, where: str) -> str:
        path = (self._root / relative).resolve()
        if not path.is_relative_to(self._root):
            raise InputError(f"{where}: {relative!r} is outside the repository", path=self._config_path,
                             hint="give a path relative to the root, inside it")
        return path.as_uri()

    def _retrieve(self, uri: str) -> Resource[Any]:
        """A schema ``$ref`` names by URI: only files under the root (nothing is fetched from the network)."""
        if not uri.startswith("file://"):
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs, as for Registry
        path = Path(uri.removeprefix("file://").split("#")[0])
        if not path.resolve().is_relative_to(self._root):
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs, as for Registry
        tree = load_tree(path, read_text(path))
        return Resource.from_contents(tree.plain() if tree else None, default_specification=DRAFT202012)

    def _unreadable(self, relative: str, where: str, exc: BaseException) -> InputError:
        cause = exc.__cause__ or exc
        why = cause.message if isinstance(cause, InputError) else f"{type(cause).__name__}: {cause}"
        return InputError(f"{where}: cannot use {relative}: {why}", path=self._config_path,
                          hint="give a JSON or YAML file under the repository's root")


def describe_errors(validator: Draft202012Validator, document: Any) -> str | None:
    """The most relevant way ``document`` breaks the schema (``at $.items[0]: 'price' is a required property``),
    None when it conforms."""
    error = best_match(validator.iter_errors(document))
    if error is None:
        return None
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"at {where}: {error.message}"


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _find_operation(document: Any, operation_id: str) -> tuple[str, dict[str, Any]] | None:
    paths = document.get("paths", {}) if isinstance(document, dict) else {}
    for path, item in paths.items():
        for method in _METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return f"/paths/{_escape(path)}/{method}", operation.get("responses", {})
    return None


def _operation_ids(document: Any) -> list[str]:
    paths = document.get("paths", {}) if isinstance(document, dict) else {}
    return [op["operationId"] for item in paths.values() if isinstance(item, dict)
            for method in _METHODS if isinstance(op := item.get(method), dict) and "operationId" in op]
