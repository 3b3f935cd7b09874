"""cigen.yaml: the models, and loading them with errors that name the key.

Each section's model lives with the code that reads it; this module holds the
root model and the machinery that turns a pydantic error into one clear line
("cigen.yaml:4:3: unknown key plan.fast (allowed: concurrency, mode)").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cigen.config_file import CONFIG_NAMES, find_config
from cigen.errors import InputError

__all__ = ["CONFIG_NAMES", "Config", "PlanConfig", "StrictModel", "find_config", "load_config", "parse_config"]


class StrictModel(BaseModel):
    """Base of every cigen.yaml section: unknown keys are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanConfig(StrictModel):
    mode: Literal["auto", "cascade", "parallel"] = "auto"
    concurrency: int | None = Field(default=None, ge=1, description="services run at once; none = no limit")


class Config(StrictModel):
    workspaces: list[str] | None = Field(
        default=None, description="member globs; replaces the package manager's workspace definition"
    )
    include_root: bool = Field(default=False, description="let the root package become a stage of its own")
    kinds: dict[str, Literal["package", "service", "app"]] = Field(
        default_factory=dict, description="member name or path glob -> kind, over the folder-based default"
    )
    plan: PlanConfig = Field(default_factory=PlanConfig)
    workflow: cigen.workflow_config.WorkflowConfig = Field(
        default_factory=lambda: cigen.workflow_config.WorkflowConfig(), description="how the workflow is generated"
    )
    affected: cigen.affected.AffectedConfig = Field(
        default_factory=lambda: cigen.affected.AffectedConfig(), description="global and ignored files of change impact"
    )
    services: dict[str, cigen.runtime.manifest.ServiceConfig] = Field(
        default_factory=dict, description="member name or path -> how PM2 runs it and how it is health-gated"
    )
    runtime: cigen.runtime.manifest.RuntimeConfig = Field(
        default_factory=lambda: cigen.runtime.manifest.RuntimeConfig(), description="logs, PM2 namespace, integration job"
    )


def load_config(root: Path) -> Config:
    """The validated cigen.yaml of ``root``; defaults when there is none."""
    path = find_config(root)
    if path is None:
        return Config()
    return parse_config(path)


def parse_config(path: Path) -> Config:
    from cigen.files import read_text

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
    import yaml

    from cigen.files import read_yaml  # for its error translation

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
    from typing import get_origin

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
    from typing import get_args

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


# Section models live with the code that reads them and subclass StrictModel,
# so they are imported last; pydantic resolves the annotations above on first use.
import cigen.affected  # noqa: E402
import cigen.runtime.manifest  # noqa: E402
import cigen.workflow_config  # noqa: E402
