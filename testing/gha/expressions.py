"""A parser and evaluator for GitHub Actions expressions (``${{ ... }}``).

It follows GitHub's documented grammar and the reference evaluator in
actions/languageservices: literals (``null``, booleans, JSON numbers including
hex, exponents, ``NaN`` and ``Infinity``, single-quoted strings with ``''``),
context access with ``.name``, ``['name']`` and ``*`` filters, ``!``, ``<``
``<=`` ``>`` ``>=`` (above) ``==`` ``!=`` (above) ``&&`` (above) ``||``, where
``&&``/``||`` short-circuit and return an operand, and case-insensitive
function names. Unknown contexts and functions are errors at parse time, as on
GitHub, so a workflow using a context where it is not available fails here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from testing.gha.functions import BUILTINS, STATUS_FUNCTIONS
from testing.gha.values import (
    FilteredArray,
    equals,
    get_member,
    greater,
    is_primitive,
    js_number,
    less,
    to_number,
    to_str,
    truthy,
)

Tree = tuple[Any, ...]  # a parsed expression: (kind, *operands)


class ExpressionError(Exception):
    """An expression that does not parse or cannot be evaluated (the step or job fails)."""


_BOUNDARY = set("()[],.!><=&|") | {" ", "\t", "\r", "\n"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ",", ".", "*")


@dataclass(frozen=True)
class Token:
    kind: str  # an operator itself, or "number", "string", "ident", "true", "false", "null", "eof"
    text: str
    value: Any = None


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c in " \t\r\n":
            i += 1
            continue
        prev = tokens[-1].kind if tokens else "eof"
        if c == "'":
            j, parts = i + 1, []
            while True:
                if j >= n:
                    raise ExpressionError(f"unterminated string in expression: {source}")
                if source[j] == "'":
                    if j + 1 < n and source[j + 1] == "'":
                        parts.append("'")
                        j += 2
                        continue
                    break
                parts.append(source[j])
                j += 1
            tokens.append(Token("string", source[i : j + 1], "".join(parts)))
            i = j + 1
            continue
        starts_number = c.isdigit() or c in "+-" or (c == "." and prev not in ("ident", "]", ")", "*"))
        if starts_number:
            j = i + 1
            while j < n and (source[j] not in _BOUNDARY or source[j] == "."):
                j += 1
            value = js_number(source[i:j])
            if value != value:  # NaN: not a number literal
                raise ExpressionError(f"unexpected symbol {source[i:j]!r} in expression: {source}")
            tokens.append(Token("number", source[i:j], int(value) if value.is_integer() else value))
            i = j
            continue
        op = next((o for o in _OPERATORS if source.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token(op, op))
            i += len(op)
            continue
        j = i
        while j < n and source[j] not in _BOUNDARY:
            j += 1
        word = source[i:j]
        if not _IDENT.fullmatch(word):
            raise ExpressionError(f"unexpected symbol {word or c!r} in expression: {source}")
        kind = "ident"
        literal: Any = None
        if prev != ".":
            if word in ("true", "false", "null"):
                kind = word
            elif word in ("NaN", "Infinity"):
                kind, literal = "number", float(word.replace("Infinity", "inf").replace("NaN", "nan"))
        tokens.append(Token(kind, word, literal))
        i = j
    tokens.append(Token("eof", ""))
    return tokens


# The tree: tuples tagged by their first element.
#   ("lit", value) ("ctx", name) ("idx", expr, key-expr | "*") ("not", expr)
#   ("bin", op, left, right) ("and", [exprs]) ("or", [exprs]) ("call", name, [args])


class _Parser:
    def __init__(self, source: str, contexts: Collection[str], functions: Collection[str]) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0
        self.contexts = {c.lower() for c in contexts}
        self.functions = {f.lower() for f in functions}

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self, *kinds: str) -> Token | None:
        if self.peek().kind in kinds:
            self.pos += 1
            return self.tokens[self.pos - 1]
        return None

    def expect(self, kind: str) -> Token:
        token = self.take(kind)
        if token is None:
            raise self.error()
        return token

    def error(self) -> ExpressionError:
        token = self.peek()
        if token.kind == "eof":
            return ExpressionError(f"unexpected end of expression: {self.source}")
        return ExpressionError(f"unexpected symbol {token.text!r} in expression: {self.source}")

    def parse(self) -> Tree:
        if self.peek().kind == "eof":
            raise ExpressionError("empty expression")
        tree = self.logical("||", self.and_)
        if self.peek().kind != "eof":
            raise self.error()
        return tree

    def logical(self, op: str, operand: Callable[[], Tree]) -> Tree:
        first = operand()
        if self.peek().kind != op:
            return first
        args = [first]
        while self.take(op):
            args.append(operand())
        return ("or" if op == "||" else "and", args)

    def and_(self) -> Tree:
        return self.logical("&&", self.equality)

    def equality(self) -> Tree:
        tree = self.comparison()
        while op := self.take("==", "!="):
            tree = ("bin", op.kind, tree, self.comparison())
        return tree

    def comparison(self) -> Tree:
        tree = self.unary()
        while op := self.take("<", "<=", ">", ">="):
            tree = ("bin", op.kind, tree, self.unary())
        return tree

    def unary(self) -> Tree:
        if self.take("!"):
            return ("not", self.unary())
        return self.postfix()

    def postfix(self) -> Tree:
        tree = self.primary()
        if tree[0] not in ("ctx", "call", "group"):
            return tree
        while True:
            if self.take("["):
                key: Any = "*" if self.take("*") else self.logical("||", self.and_)
                self.expect("]")
                tree = ("idx", tree, key)
            elif self.take("."):
                if self.take("*"):
                    tree = ("idx", tree, "*")
                else:
                    name = self.expect("ident")
                    tree = ("idx", tree, ("lit", name.text))
            else:
                return tree

    def primary(self) -> Tree:
        token = self.peek()
        if token.kind in ("true", "false", "null"):
            self.pos += 1
            return ("lit", {"true": True, "false": False, "null": None}[token.kind])
        if token.kind in ("number", "string"):
            self.pos += 1
            return ("lit", token.value)
        if self.take("("):
            inner = self.logical("||", self.and_)
            self.expect(")")
            return ("group", inner)
        if token.kind == "ident":
            self.pos += 1
            if self.take("("):
                return self.call(token.text)
            if token.text.lower() not in self.contexts:
                raise ExpressionError(f"unrecognized named-value: {token.text!r} in expression: {self.source}")
            return ("ctx", token.text)
        raise self.error()

    def call(self, name: str) -> Tree:
        args: list[Tree] = []
        while not self.take(")"):
            args.append(self.logical("||", self.and_))
            if self.peek().kind != ")":
                self.expect(",")
        lowered = name.lower()
        if lowered not in self.functions:
            raise ExpressionError(f"unrecognized function: {name!r} in expression: {self.source}")
        spec = BUILTINS.get(lowered)
        if spec is not None and not spec.min_args <= len(args) <= spec.max_args:
            raise ExpressionError(f"wrong number of arguments to {name}() in expression: {self.source}")
        if lowered == "case" and len(args) % 2 == 0:
            raise ExpressionError(f"case() needs an odd number of arguments in expression: {self.source}")
        return ("call", lowered, args)


def parse(source: str, contexts: Collection[str], functions: Collection[str] = ()) -> Tree:
    """The tree of ``source``; ``contexts`` and extra ``functions`` are the names allowed here."""
    return _Parser(source, contexts, set(BUILTINS) | set(STATUS_FUNCTIONS) | set(functions)).parse()


def has_status_function(tree: Tree) -> bool:
    """Whether ``tree`` calls success(), failure(), cancelled() or always() anywhere."""
    if tree[0] == "call" and tree[1] in STATUS_FUNCTIONS:
        return True
    return any(isinstance(part, tuple) and has_status_function(part) for part in _children(tree))


def _children(tree: Tree) -> list[Tree]:
    out: list[Tree] = []
    for part in tree[1:]:
        if isinstance(part, list):
            out.extend(part)
        else:
            out.append(part)
    return out


def _index(container: Any, key: Any) -> Any:
    if isinstance(container, FilteredArray):
        result = FilteredArray()
        for item in container:
            if key == "*":
                if isinstance(item, (list, dict)):
                    result.extend(item.values() if isinstance(item, dict) else item)
            elif isinstance(item, dict) and is_primitive(key):
                found, value = get_member(item, to_str(key))
                if found:
                    result.append(value)
            elif isinstance(item, list):
                position = to_number(key)
                if position == position and position >= 0 and int(position) < len(item):
                    result.append(item[int(position)])
        return result
    if key == "*":
        if isinstance(container, list):
            return FilteredArray(container)
        if isinstance(container, dict):
            return FilteredArray(container.values())
        return FilteredArray()
    if isinstance(container, list):
        position = to_number(key)
        if position == position and position not in (float("inf"),) and 0 <= position < len(container):
            return container[int(position)]
        return None
    if isinstance(container, dict) and is_primitive(key):
        return get_member(container, to_str(key))[1]
    return None


class _Evaluator:
    def __init__(self, contexts: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> None:
        self.contexts = contexts
        self.functions = {name.lower(): f for name, f in functions.items()}

    def eval(self, tree: Tree) -> Any:
        tag = tree[0]
        if tag == "lit":
            return tree[1]
        if tag == "group":
            return self.eval(tree[1])
        if tag == "ctx":
            return get_member(self.contexts, tree[1])[1]
        if tag == "idx":
            key = "*" if tree[2] == "*" else self.eval(tree[2])
            return _index(self.eval(tree[1]), key)
        if tag == "not":
            return not truthy(self.eval(tree[1]))
        if tag in ("and", "or"):
            result = None
            for arg in tree[1]:
                result = self.eval(arg)
                if truthy(result) == (tag == "or"):
                    break
            return result
        if tag == "bin":
            left, right = self.eval(tree[2]), self.eval(tree[3])
            op = tree[1]
            if op == "==":
                return equals(left, right)
            if op == "!=":
                return not equals(left, right)
            if op == "<":
                return less(left, right)
            if op == ">":
                return greater(left, right)
            if op == "<=":
                return less(left, right) or equals(left, right)
            return greater(left, right) or equals(left, right)
        name, args = tree[1], tree[2]
        if name == "case":
            return self.case(args)
        values = [self.eval(arg) for arg in args]
        if name in self.functions:
            return self.functions[name](*values)
        if name in BUILTINS:
            return BUILTINS[name].call(*values)
        raise ExpressionError(f"the function {name}() is not available here")

    def case(self, args: list[Tree]) -> Any:
        for predicate, result in zip(args[0:-1:2], args[1:-1:2]):
            value = self.eval(predicate)
            if not isinstance(value, bool):
                raise ExpressionError("case predicate must evaluate to a boolean value")
            if value:
                return self.eval(result)
        return self.eval(args[-1])


def evaluate(
    source: str,
    contexts: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """Evaluate one expression (the text between ``${{`` and ``}}``)."""
    functions = functions or {}
    tree = parse(source, contexts.keys(), functions.keys())
    try:
        return _Evaluator(contexts, functions).eval(tree)
    except ExpressionError:
        raise
    except (ValueError, TypeError) as exc:
        raise ExpressionError(f"{exc} (in expression: {source})") from exc


def split_template(text: str) -> list[tuple[bool, str]]:
    """Split text into literal parts (False, text) and expressions (True, source)."""
    parts: list[tuple[bool, str]] = []
    i = 0
    while (start := text.find("${{", i)) != -1:
        j, in_string = start + 3, False
        while j < len(text):
            if text[j] == "'":
                in_string = not in_string
            elif not in_string and text.startswith("}}", j):
                break
            j += 1
        else:
            raise ExpressionError(f"an expression is missing its closing '}}}}': {text[start:]!r}")
        if start > i:
            parts.append((False, text[i:start]))
        parts.append((True, text[start + 3 : j].strip()))
        i = j + 2
    if i < len(text):
        parts.append((False, text[i:]))
    return parts


def interpolate(value: Any, contexts: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None) -> Any:
    """Evaluate the ``${{ }}`` in a workflow value.

    A string that is one expression keeps the expression's type (``matrix:
    ${{ fromJSON(...) }}`` is an object); expressions inside other text are
    joined as strings; lists and mappings are interpolated item by item.
    """
    if isinstance(value, str):
        if "${{" not in value:
            return value
        parts = split_template(value)
        if len(parts) == 1 and parts[0][0]:
            return evaluate(parts[0][1], contexts, functions)
        return "".join(to_str(evaluate(s, contexts, functions)) if is_expr else s for is_expr, s in parts)
    if isinstance(value, list):
        return [interpolate(v, contexts, functions) for v in value]
    if isinstance(value, dict):
        return {interpolate(k, contexts, functions): interpolate(v, contexts, functions) for k, v in value.items()}
    return value


def condition(
    value: Any,
    contexts: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]],
) -> bool:
    """Evaluate an ``if:`` the way GitHub does.

    ``${{ }}`` around the whole condition is optional, a missing ``if:`` means
    ``success()``, and a condition that calls no status function is run as
    ``success() && (condition)``.
    """
    if value is None:
        source = "success()"
    elif isinstance(value, bool):
        source = "true" if value else "false"
    else:
        source = str(value).strip()
        parts = split_template(source) if "${{" in source else [(True, source)]
        if len(parts) != 1 or not parts[0][0]:
            # Text around ${{ }} makes the condition a string, evaluated as such.
            text = interpolate(source, contexts, functions)
            tree: Tree = ("and", [("call", "success", []), ("lit", text)])
            return truthy(_Evaluator(contexts, functions).eval(tree))
        source = parts[0][1]
    tree = parse(source, contexts.keys(), functions.keys())
    if not has_status_function(tree):
        tree = ("and", [("call", "success", []), tree])
    try:
        return truthy(_Evaluator(contexts, functions).eval(tree))
    except (ValueError, TypeError) as exc:
        raise ExpressionError(f"{exc} (in condition: {source})") from exc
