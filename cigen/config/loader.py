"""Loading cigen.yaml: YAML with the position of every key, validated into :class:`~cigen.config.root.Config`.

The machinery here turns a pydantic error into one clear line
("cigen.yaml:4:3: unknown key plan.fast (allowed: concurrency, mode)").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from cigen.adapters.files import read_text, read_yaml
from cigen.config.file import find_config
from cigen.config.root import Config
from cigen.errors import InputError

def load_config(root: Path) -> Config:
    """The validated cigen.yaml of ``root``; defaults when there is none."""
    path = find_config(root)
    if path is None:
        return Config()
    return parse_config(path)


def parse_config(path: Path) -> Config:
    text = read_text(path)
    data = _load_yaml_with_marks(path, text)
    if data is None:
        return Config()
    if not isinstance(data.value, dict):
        raise InputError("the top level must be a mapping of keys", path=path, line=1, column=1,
                         hint="see the cigen.yaml reference in the README")
    try:
        return Config.model_validate(data.plain())
    except ValidationError as exc:
        raise _first_error(path, data, exc) from None


class _Node:
    """A YAML value with the line and column of each key and item (1-based)."""

    __slots__ = ("value", "line", "column")

    def __init__(self, value: Any, line: int, column: int) -> None:
        self.value = value
        self.line = line
        self.column = column

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def locate(self, loc: tuple[Any, ...]) -> _Node:
        """The deepest node along ``loc`` that exists."""
        node = self
        for part in loc:
            child = None
            if isinstance(node.value, dict):
                child = node.value.get(part)
            elif isinstance(node.value, list) and isinstance(part, int) and part < len(node.value):
                child = node.value[part]
            if child is None:
                break
            node = child
        return node


def _load_yaml_with_marks(path: Path, text: str) -> _Node | None:
    # lazy: PyYAML (~10 ms) only for a cigen.yaml to read; load_config without one returns the defaults
    import yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        read_yaml(path)  # raises the located InputError
        raise
    if root is None:
        return None
    loader = yaml.SafeLoader("")

    def convert(node: yaml.Node) -> _Node:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, _Node] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                child = convert(value_node)
                # Point errors about a key's value at the key itself.
                out[key] = _Node(child.value, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            return _Node(out, line, column)
        if isinstance(node, yaml.SequenceNode):
            return _Node([convert(item) for item in node.value], line, column)
        return _Node(loader.construct_object(node, deep=True), line, column)

    return convert(root)


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the key at ``loc`` (to list its allowed keys)."""
    model: Any = Config
    keyed = False  # the previous field is a mapping (services: {api: ...}): this part is one of its keys
    for part in loc:
        if keyed:
            keyed = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return model if part == loc[-1] else None
        model = _innermost_model(field.annotation)
        keyed = get_origin(field.annotation) is dict
    return None


def _innermost_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _innermost_model(arg)
        if found is not None:
            return found
    return None


def _first_error(path: Path, data: _Node, exc: ValidationError) -> InputError:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    node = data.locate(loc)
    key = _dotted(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        model = _model_at(loc)
        allowed = ", ".join(sorted(model.model_fields)) if model else ""
        return InputError(
            f"unknown key {key}", path=path, line=node.line, column=node.column,
            hint=f"allowed keys: {allowed}" if allowed else "remove it",
        )
    got = err.get("input")
    got_text = f" (got {got!r})" if got is not None and not isinstance(got, (dict, list)) else ""
    return InputError(
        f"{key}: {err['msg'].lower()}{got_text}", path=path, line=node.line, column=node.column,
        hint="see the cigen.yaml reference in the README",
    )
