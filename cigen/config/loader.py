"""Loading cigen.yaml: YAML with the position of every key, validated into :class:`~cigen.config.root.Config`.

The file is read by :mod:`cigen.adapters.yaml_tree` (YAML 1.2, merge keys,
duplicate keys refused, sizes bounded); the machinery here turns a pydantic
error into one clear line ("cigen.yaml:4:3: unknown key plan.fast (allowed:
concurrency, mode)").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from cigen.adapters.files import read_text
from cigen.config.checks import CHECK_KINDS
from cigen.config.file import find_config
from cigen.config.root import Config
from cigen.errors import CigenError, InputError

if TYPE_CHECKING:  # the module itself imports PyYAML, which load_config without a cigen.yaml never needs
    from cigen.adapters.yaml_tree import YamlNode

# Where pydantic names the member of a union it tried (services.api.env.A.str), or the tag of the one it chose
# (checks.x.flow.steps): not a key of the file.
_UNION_MEMBERS = frozenset({"str", "int", "float", "bool", *CHECK_KINDS})
# Values that are text by nature, whatever YAML makes of them: what a process sees in its environment and
# what a probe sends as a header are the characters written (`no` stays no, `010` stays 010, `1.50` stays 1.50).
_TEXT_MAPS = (("env",), ("health", "headers"))


def load_config(root: Path) -> Config:
    """The validated cigen.yaml of ``root``; defaults when there is none."""
    path = find_config(root)
    if path is None:
        return Config()
    return parse_config(path)


def parse_config(path: Path) -> Config:
    # lazy: PyYAML (~10 ms) only for a cigen.yaml to read; load_config without one returns the defaults
    from cigen.adapters.yaml_tree import load_tree

    data = load_tree(path, read_text(path))
    if data is None:
        return Config()
    if not isinstance(data.value, dict):
        raise InputError("the top level must be a mapping of keys", path=path, line=1, column=1,
                         hint="see the cigen.yaml reference in the README")
    plain = data.plain()
    _keep_text(path, data, plain)
    try:
        return Config.model_validate(plain)
    except ValidationError as exc:
        raise _first_error(path, data, exc) from None


def position(path: Path, keys: tuple[str, ...]) -> tuple[int | None, int | None]:
    """Line and column of the key at ``keys`` in the cigen.yaml at ``path`` (of the deepest one there), for an
    error found after validation (a reference to a service only the workspace knows)."""
    # lazy: as in parse_config (PyYAML); only an error path reads the file again
    from cigen.adapters.yaml_tree import load_tree

    try:
        data = load_tree(path, read_text(path))
    except (CigenError, OSError):
        return None, None
    if data is None:
        return None, None
    node = data.locate(keys)
    return node.line, node.column


def located(path: Path, loc: tuple[Any, ...], message: str, *, hint: str | None = None) -> InputError:
    """An error about the value at ``loc`` of the (valid) cigen.yaml at ``path``, at its line and column:
    for what only the workspace can refute (a member name that names no member)."""
    # lazy: as in parse_config (PyYAML); the file was read already, so it parses
    from cigen.adapters.yaml_tree import dotted, load_tree

    data = load_tree(path, read_text(path))
    node = data.locate(loc) if data is not None else None
    return InputError(f"{dotted(loc)}: {message}", path=path, line=node.line if node else None,
                      column=node.column if node else None, hint=hint)


def _keep_text(path: Path, data: YamlNode, plain: dict[str, Any]) -> None:
    """Put each service's environment and header values into ``plain`` as the text written."""
    services = data.value.get("services")
    if services is None or not isinstance(services.value, dict):
        return
    for name, service in services.value.items():
        for keys in _TEXT_MAPS:
            node = _child(service, keys)
            if node is None or not isinstance(node.value, dict):
                continue
            target = plain["services"][name]
            for key in keys:
                target = target[key]
            for var, value in node.value.items():
                where = ".".join(("services", name, *keys, var))
                if value.value is None:
                    raise InputError(f"{where} has no value", path=path, line=value.line, column=value.column,
                                     hint=f'write {var}: "" for an empty value')
                if value.text is None:
                    raise InputError(f"{where} must be text, a number or a boolean, not a list or a mapping",
                                     path=path, line=value.line, column=value.column, hint="write one value")
                target[var] = value.text


def _child(node: YamlNode, keys: tuple[str, ...]) -> YamlNode | None:
    for key in keys:
        child = node.value.get(key) if isinstance(node.value, dict) else None
        if child is None:
            return None
        node = child
    return node


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the key at ``loc`` (to list its allowed keys)."""
    model: Any = Config
    keyed = False  # the previous field is a mapping (services: {api: ...}): this part is one of its keys
    for at, part in enumerate(loc):
        if keyed:
            keyed = False
            continue
        if isinstance(part, int):
            continue  # an index into a list of models: the model stays
        if isinstance(model, list):  # a tagged union (checks: kind): the part is the tag of the member taken
            model = next((m for m in model if issubclass(m, BaseModel)
                          and m.model_fields["kind"].annotation == Literal[part]), None)
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = next((f for name, f in model.model_fields.items() if part in (name, f.alias)), None)
        if field is None:
            return model if at == len(loc) - 1 else None
        model = _innermost_model(field.annotation)
        keyed = get_origin(field.annotation) is dict
    return model if isinstance(model, type) else None


def _innermost_model(annotation: Any) -> Any:
    """The model a field holds (through lists, dicts, Optional); the members of a union of several models."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    found = [model for arg in get_args(annotation) if (model := _innermost_model(arg)) is not None]
    members = [m for m in found if isinstance(m, type) and issubclass(m, BaseModel)]
    if len(members) > 1 and all("kind" in m.model_fields for m in members):
        return members
    return found[0] if found else None


def _allowed(model: type[BaseModel]) -> str:
    """The keys a model takes, as the file writes them (``json``, not the field's name ``json_values``)."""
    return ", ".join(sorted(field.alias or name for name, field in model.model_fields.items()))


def _keys(data: YamlNode, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` without the union members pydantic adds (``str``), unless the file has such a key there."""
    out: list[Any] = []
    node: YamlNode | None = data
    for part in loc:
        child = node.value.get(part) if node is not None and isinstance(node.value, dict) else None
        if child is None and part in _UNION_MEMBERS:
            continue
        out.append(part)
        node = child
    return tuple(out)


def _first_error(path: Path, data: YamlNode, exc: ValidationError) -> InputError:
    # lazy: as in parse_config (PyYAML); loaded already, since only a file read can fail to validate
    from cigen.adapters.yaml_tree import dotted

    err = exc.errors()[0]
    named = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    if err["type"] == "check_kind":
        named = (*named, "kind")  # point at the kind written, or at the check that has none
    loc = _keys(data, named)
    node = data.locate(loc)
    key = dotted(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        model = _model_at(named)
        allowed = _allowed(model) if model else ""
        return InputError(
            f"unknown key {key}", path=path, line=node.line, column=node.column,
            hint=f"allowed keys: {allowed}" if allowed else "remove it",
        )
    got = err.get("input")
    if err["type"] == "check_kind":
        got = node.value if node.text is not None else None
    got_text = f" (got {got!r})" if got is not None and not isinstance(got, (dict, list)) else ""
    return InputError(
        f"{key}: {err['msg'][:1].lower()}{err['msg'][1:]}{got_text}", path=path, line=node.line, column=node.column,
        hint="see the cigen.yaml reference in the README",
    )
