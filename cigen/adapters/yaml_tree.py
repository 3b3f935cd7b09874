"""YAML as cigen reads it: one document, YAML 1.2's core schema, every value located, every size bounded.

cigen reads YAML that other people write (cigen.yaml, pnpm-workspace.yaml,
package.yaml) in CI and in a pre-commit hook, so a file must not be able to
take the machine down, and must mean what the tools beside cigen take it to
mean. The tree is built here from the parser's events, never by PyYAML's
composer and constructor:

- **Bounded.** A document over :data:`MAX_BYTES` is refused before parsing;
  nesting deeper than :data:`MAX_DEPTH` is refused where it happens (a tree
  that deep ended in a RecursionError); an alias is shared, not copied, and
  the values aliases stand for may total at most :data:`ALIAS_BUDGET`, so a
  "billion laughs" document fails at the alias that crosses the budget, in
  the memory its text takes.
- **YAML 1.2.** Plain scalars resolve by the 1.2 core schema, as GitHub
  Actions, docker compose (go-yaml) and pnpm (js-yaml) read them: ``no``,
  ``on`` and ``2001-01-01`` stay text, ``010`` is ten. PyYAML's YAML 1.1 turns
  ``no`` into false and ``010`` into eight.
- **Strict.** A key given twice is an error naming both lines (go-yaml and
  js-yaml refuse it; PyYAML keeps the last); keys are the text written
  (``on:`` is the key "on"); only the core tags (``!!str``, ``!!int``, ...)
  are accepted. Merge keys (``<<: *defaults``) work as docker compose users
  expect: the mapping's own keys win, then the merged mappings in order.

Every node keeps the line and column where it was written and the text of a
scalar as written, so callers can point at a key or keep a value verbatim.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from cigen.errors import InputError

MAX_BYTES = 4 * 1024 * 1024  # configuration, not data: 4 MiB holds the settings of tens of thousands of services
MAX_DEPTH = 100  # the schemas here nest at most 6 levels; cigen's own walks over the tree recurse
ALIAS_BUDGET = 100_000  # values all aliases may stand for together: a 1,000-service file merging 100 each

_CORE = "tag:yaml.org,2002:"
_NULL = re.compile(r"(?:null|Null|NULL|~)?")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"([-+]?)\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_SHOWN_PARTS = 8  # of a key's path in a message
# The core schema's scalar tags, each with the Python types its text may resolve to.
_CORE_SCALARS: dict[str, tuple[type, ...]] = {
    _CORE + "int": (int,), _CORE + "float": (int, float), _CORE + "bool": (bool,), _CORE + "null": (type(None),),
}


class YamlNode:
    """A value with where it was written (1-based line and column) and, for a scalar, its text.

    A mapping's value is ``{key text: YamlNode}``, where each entry carries the
    position of its key (errors about a value point at the key that names it).
    ``size`` counts the values it holds once aliases are expanded, itself
    included; ``height`` the levels of nesting below it.
    """

    __slots__ = ("value", "line", "column", "text", "size", "height")

    def __init__(self, value: Any, line: int, column: int, text: str | None = None, size: int = 1,
                 height: int = 0) -> None:
        self.value = value
        self.line = line
        self.column = column
        self.text = text
        self.size = size
        self.height = height

    def at(self, line: int, column: int) -> YamlNode:
        """The same value, located elsewhere (at the key that names it)."""
        return YamlNode(self.value, line, column, self.text, self.size, self.height)

    def plain(self) -> Any:
        """The Python value: dicts, lists and scalars, aliases expanded (bounded by the alias budget)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def locate(self, loc: tuple[Any, ...]) -> YamlNode:
        """The deepest node along ``loc`` (keys and list indexes) that exists."""
        node = self
        for part in loc:
            child = None
            if isinstance(node.value, dict):
                child = node.value.get(part)
            elif isinstance(node.value, list) and isinstance(part, int) and 0 <= part < len(node.value):
                child = node.value[part]
            if child is None:
                break
            node = child
        return node


def dotted(loc: tuple[Any, ...]) -> str:
    """``("services", "api", "env")`` -> ``services.api.env``; list indexes as ``[0]``."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def load_tree(path: Path, text: str) -> YamlNode | None:
    """The one document in ``text`` (read from ``path``), or None when it holds nothing."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise InputError(f"the file is {size:,} bytes, more than the {MAX_BYTES:,} cigen reads", path=path,
                         hint="a configuration file this large is a mistake")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = _Builder(path).build(loader.get_event)
        return None if root is None or root.value is None else root
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise InputError(f"invalid YAML: {problem}", path=path, line=mark.line + 1 if mark else None,
                         column=mark.column + 1 if mark else None, hint="fix the syntax") from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=path, hint="fix the syntax") from None
    finally:
        loader.dispose()


class _Frame:
    """A mapping or sequence being read: its items so far, and for a mapping the key awaiting its value."""

    __slots__ = ("is_map", "mark", "anchor", "items", "key", "key_line", "key_column", "merging", "lines", "merges",
                 "where")

    def __init__(self, is_map: bool, mark: Any, anchor: str | None, where: tuple[Any, ...]) -> None:
        self.is_map = is_map
        self.mark = mark
        self.anchor = anchor
        self.items: dict[str, YamlNode] | list[YamlNode] = {} if is_map else []
        self.key: str | None = None  # a mapping's key read, its value not yet
        self.key_line = self.key_column = 0
        self.merging = False  # the key read is a merge key (<<)
        self.lines: dict[str, int] = {}  # key -> the line it was written on, to name both of a duplicate
        self.merges: list[YamlNode] = []  # the values of this mapping's `<<` keys
        self.where = where  # the keys and indexes from the top to this value

    def next_part(self) -> Any:
        """The key or index the next value is at."""
        return self.key if self.is_map else len(self.items)


class _Builder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.anchors: dict[str, YamlNode] = {}
        self.open_anchors: set[str] = set()
        self.aliased = 0
        self.stack: list[_Frame] = []
        self.root: YamlNode | None = None
        self.documents = 0

    def fail(self, at: tuple[int, int], message: str, hint: str) -> InputError:
        """An error at ``at`` (line, column), naming the key or index being read."""
        where = self.stack[-1].where + (self.stack[-1].next_part(),) if self.stack else ()
        parts = tuple(p for p in where if p is not None)
        # A path as deep as the nesting limit would fill the screen: its start says where it is.
        key = dotted(parts) if len(parts) <= _SHOWN_PARTS else dotted(parts[:_SHOWN_PARTS]) + "..."
        return InputError(f"{key}: {message}" if key else message, path=self.path, line=at[0], column=at[1],
                          hint=hint)

    def build(self, next_event: Callable[[], Any]) -> YamlNode | None:
        while True:
            event = next_event()
            if isinstance(event, yaml.StreamEndEvent):
                return self.root
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise InputError("invalid YAML: more than one document (a second ---)", path=self.path,
                                     line=_at(event.start_mark)[0], column=1, hint="keep one document")
            elif isinstance(event, yaml.ScalarEvent):
                self.add(self.scalar(event), event)
            elif isinstance(event, yaml.AliasEvent):
                self.add(self.alias(event), event)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self.open(event)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                self.close()

    # -- values ------------------------------------------------------------------------------------

    def scalar(self, event: Any) -> YamlNode:
        mark, text, tag = event.start_mark, event.value, event.tag
        plain = tag is None and event.implicit[0]
        if self.awaiting_key() or tag in ("!", _CORE + "str") or (tag is None and not plain):
            value: Any = text  # a key, a quoted scalar, or one tagged as text: the text as written
        elif plain or tag in _CORE_SCALARS:
            value = self.resolve(text, mark)
            wanted = _CORE_SCALARS.get(tag or "")
            if wanted is not None:
                if type(value) not in wanted:
                    raise self.fail(_at(mark), f"{text!r} is not a valid {_shown(tag)}",
                                    "fix the value or its tag")
                value = float(value) if float in wanted else value
        else:
            raise self.fail(_at(mark), f"the tag {_shown(tag)} is not supported", "remove the tag")
        return self.anchored(YamlNode(value, *_at(mark), text), event.anchor)

    def awaiting_key(self) -> bool:
        return bool(self.stack) and self.stack[-1].is_map and self.stack[-1].key is None

    def resolve(self, text: str, mark: Any) -> Any:
        """A plain scalar's value by YAML 1.2's core schema."""
        if _NULL.fullmatch(text):
            return None
        if text in _BOOL:
            return _BOOL[text]
        try:
            if _INT.fullmatch(text):
                return int(text)
        except ValueError:  # Python refuses to convert more than 4,300 digits
            raise self.fail(_at(mark), f"a number of {len(text):,} digits",
                            "write a shorter number, or quote it") from None
        if _OCT.fullmatch(text):
            return int(text[2:], 8)
        if _HEX.fullmatch(text):
            return int(text[2:], 16)
        if _FLOAT.fullmatch(text):
            return float(text)
        if inf := _INF.fullmatch(text):
            return -math.inf if inf[1] == "-" else math.inf
        if _NAN.fullmatch(text):
            return math.nan
        return text

    def alias(self, event: Any) -> YamlNode:
        name, mark = event.anchor, event.start_mark
        target = self.anchors.get(name)
        if target is None:
            if name in self.open_anchors:
                raise self.fail(_at(mark), f"the alias *{name} is inside the value it names (a loop)",
                                "refer to a value defined before this one")
            raise self.fail(_at(mark), f"the alias *{name} names no anchor above it",
                            f"define &{name} before using it")
        self.aliased += target.size
        if self.aliased > ALIAS_BUDGET:
            raise self.fail(_at(mark), f"aliases stand for more than {ALIAS_BUDGET:,} values (a 'billion laughs' "
                            "document?)", "write the values out, or use fewer aliases")
        self.check_depth(mark, target.height)
        return target.at(*_at(mark))

    def anchored(self, node: YamlNode, anchor: str | None) -> YamlNode:
        if anchor is not None:
            self.anchors[anchor] = node
            self.open_anchors.discard(anchor)
        return node

    # -- collections -------------------------------------------------------------------------------

    def check_depth(self, mark: Any, height: int) -> None:
        if len(self.stack) + height > MAX_DEPTH:
            raise self.fail(_at(mark), f"nested more than {MAX_DEPTH} levels deep", "flatten it")

    def open(self, event: Any) -> None:
        mark = event.start_mark
        self.check_depth(mark, 1)
        if event.tag not in (None, "!", _CORE + "map", _CORE + "seq"):
            raise self.fail(_at(mark), f"the tag {_shown(event.tag)} is not supported", "remove the tag")
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        where = self.stack[-1].where + (self.stack[-1].next_part(),) if self.stack else ()
        self.stack.append(_Frame(isinstance(event, yaml.MappingStartEvent), mark, event.anchor, where))

    def close(self) -> None:
        frame = self.stack.pop()
        line, column = _at(frame.mark)
        if isinstance(frame.items, dict):
            items = self.merged(frame) if frame.merges else frame.items
            children: list[YamlNode] = list(items.values())
            node = YamlNode(items, line, column)
        else:
            children = frame.items
            node = YamlNode(children, line, column)
        node.size = 1 + sum(c.size for c in children)
        node.height = 1 + max((c.height for c in children), default=0)
        self.add(self.anchored(node, frame.anchor), None)

    def merged(self, frame: _Frame) -> dict[str, YamlNode]:
        """A mapping's own keys over its ``<<`` mappings, earlier ones over later ones (the merge key spec)."""
        out: dict[str, YamlNode] = {}
        for source in frame.merges:
            sources = source.value if isinstance(source.value, list) else [source]
            for item in sources:
                if not isinstance(item.value, dict):
                    raise InputError(f"{dotted(frame.where) or 'a mapping'}: << merges mappings only",
                                     path=self.path, line=item.line, column=item.column,
                                     hint="write <<: *name, or <<: [*a, *b], where each names a mapping")
                for key, value in item.value.items():
                    out.setdefault(key, value)
        assert isinstance(frame.items, dict)
        # The mapping's own keys win and come first, in the order written.
        return {**frame.items, **{k: v for k, v in out.items() if k not in frame.items}}

    def add(self, node: YamlNode, event: Any) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        if isinstance(frame.items, list):
            frame.items.append(node)
        elif frame.key is None:
            self.set_key(frame, node, event)
        else:
            if frame.merging:
                frame.merges.append(node)
            else:
                frame.items[frame.key] = node.at(frame.key_line, frame.key_column)
            frame.key, frame.merging = None, False

    def set_key(self, frame: _Frame, node: YamlNode, event: Any) -> None:
        at = (node.line, node.column)
        if node.text is None:
            raise self.fail(at, "a key must be a name, not a list or a mapping", "write the key as text")
        key = node.text
        seen = frame.lines.get(key)
        frame.key = key  # before failing, so that the message names the key
        if seen is not None:
            twice = f"on lines {seen} and {node.line}" if seen != node.line else f"on line {node.line}"
            raise self.fail(at, f"given twice, {twice}", "keep one of them")
        frame.lines[key] = node.line
        frame.key_line, frame.key_column = node.line, node.column
        # `<<` written plain is a merge key; quoted, it is the key "<<".
        frame.merging = key == "<<" and isinstance(event, yaml.ScalarEvent) and event.tag is None and event.implicit[0]


def _at(mark: Any) -> tuple[int, int]:
    """PyYAML's 0-based mark as the 1-based line and column messages show."""
    return mark.line + 1, mark.column + 1


def _shown(tag: str) -> str:
    """A tag as it is written: ``!!binary``, ``!custom``."""
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
