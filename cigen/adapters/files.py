"""Reading the files users write, with errors that say where.

Every reader accepts a UTF-8 byte-order mark and turns a parse error into an
:class:`~cigen.errors.InputError` carrying the file, line and column; so is
nesting deeper than the parsers' recursion allows (a RecursionError).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cigen.errors import InputError


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read file: {exc.strerror or exc}", path=path, hint="check that it exists and is readable"
        ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("not valid UTF-8", path=path, line=line, hint="save the file as UTF-8") from exc


def _json_error(path: Path, exc: json.JSONDecodeError) -> InputError:
    return InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno, hint="fix the syntax")


def read_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(path, exc) from None
    except RecursionError:
        raise _too_deep(path, text, _JSON_TOKENS) from None


# What nests in JSON and TOML, and what to step over while counting: strings (and TOML's comments).
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_TOML_TOKENS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]')


def _too_deep(path: Path, text: str, tokens: re.Pattern[str]) -> InputError:
    """The error for a file nested past the parser's recursion limit, at the first place it is deepest."""
    depth = deepest = where = 0
    for match in tokens.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest, where = depth, match.start()
        elif token in ("]", "}"):
            depth -= 1
    line = text.count("\n", 0, where) + 1
    column = where - text.rfind("\n", 0, where)
    return InputError(f"nested {deepest:,} levels deep, deeper than cigen reads", path=path, line=line,
                      column=column, hint="flatten it")


_JSON_PARTS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


def json_key_position(text: str, keys: Sequence[str]) -> tuple[int, int] | None:
    """Where the key at ``keys`` (object keys from the top) is written in JSON ``text``: (line, column), or None.

    For a warning about a value the parser accepted, which keeps no positions.
    """
    opened: list[str | None] = []  # per open object or array, the key being read (None in an array)
    last_string: re.Match[str] | None = None
    for match in _JSON_PARTS.finditer(text):
        token = match.group()
        if token in ("{", "["):
            opened.append(None)
        elif token in ("}", "]"):
            if opened:
                opened.pop()
        elif token == ":" and opened and last_string is not None:
            opened[-1] = json.loads(last_string.group())
            if opened == list(keys):
                where = last_string.start()
                return text.count("\n", 0, where) + 1, where - text.rfind("\n", 0, where)
        elif token.startswith('"'):
            last_string = match
    return None


def strip_jsonc(text: str) -> str:
    """Blank out ``//`` and ``/* */`` comments and trailing commas (rush.json, tsconfig).

    Comment characters are replaced by spaces, keeping every line and column
    where it was, so a later JSON error still points at the right place.
    """
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:end]))
            i = end
        elif c == ",":
            # A comma before a closing bracket is a trailing comma: drop it.
            out.append(" " if _next_significant(text, i + 1) in ("]", "}") else ",")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _next_significant(text: str, i: int) -> str:
    """The next character at or after ``i`` that is not white space or a comment."""
    n = len(text)
    while i < n:
        if text[i] in " \t\r\n":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end == -1 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 2
        else:
            return text[i]
    return ""


def read_jsonc(path: Path) -> Any:
    text = strip_jsonc(read_text(path))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(path, exc) from None
    except RecursionError:
        raise _too_deep(path, text, _JSON_TOKENS) from None


def read_yaml(path: Path) -> Any:
    """A YAML file's one document, read as :mod:`cigen.adapters.yaml_tree` reads it (bounded, YAML 1.2)."""
    # lazy: PyYAML costs ~10 ms, and a monorepo with neither cigen.yaml nor pnpm-workspace.yaml never needs it
    from cigen.adapters.yaml_tree import load_tree

    tree = load_tree(path, read_text(path))
    return None if tree is None else tree.plain()


def read_toml(path: Path) -> dict[str, Any]:
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise _too_deep(path, text, _TOML_TOKENS) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts the position in the message: "(at line 3, column 7)" or
        # "(at end of document)"; move it to where every cigen error has it.
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        if match:
            line, column = int(match[1]), int(match[2])
        elif "(at end of document)" in str(exc):
            line, column = text.count("\n") + 1, 1
        else:
            line, column = None, None
        raise InputError(f"invalid TOML: {msg}", path=path, line=line, column=column, hint="fix the syntax") from None
