"""Checks of the package's shape, read from its source with ``ast`` (nothing is imported).

They back ``tests/test_architecture.py``: no import cycles (imports inside
functions count, ``if TYPE_CHECKING:`` blocks do not, as they never run), each
folder imports only the folders its layer allows, only the process gateway
imports ``subprocess``, only the CLI layer writes to the terminal, and every
import inside a function says why it is there.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. "cigen.graph.core"
    path: Path
    source: str
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def modules(package_dir: Path) -> dict[str, Module]:
    """Every module of the package rooted at ``package_dir``, by dotted name."""
    found: dict[str, Module] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        source = path.read_text()
        found[".".join(parts)] = Module(".".join(parts), path, source, ast.parse(source, str(path)))
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that can run: the bodies of ``if TYPE_CHECKING:`` are left out (their else branch is kept)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield node
        yield from _runtime_nodes(node)


def imported_names(module: Module, *, with_type_checking: bool = False) -> Iterator[tuple[str, int]]:
    """The absolute module names ``module`` imports when it runs (with the line), relative imports resolved;
    with ``with_type_checking`` those under ``if TYPE_CHECKING:`` too."""
    for node in ast.walk(module.tree) if with_type_checking else _runtime_nodes(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.name.split(".")
                base = base[: len(base) - node.level + (1 if module.is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:
                yield f"{target}.{alias.name}", node.lineno


def import_graph(found: dict[str, Module]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports. Importing ``a.b.c`` runs ``a`` and ``a.b`` too, but a
    package's ``__init__`` is not counted as an edge from its own submodules (Python has already run it)."""
    edges: dict[str, set[str]] = {name: set() for name in found}
    for name, module in found.items():
        for target, _ in imported_names(module):
            if target not in found:
                continue  # a name from a module, or outside the package
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):
                prefix = ".".join(parts[:depth])
                if prefix in found and prefix != name and not name.startswith(prefix + "."):
                    edges[name].add(prefix)
    return edges


def import_cycles(found: dict[str, Module]) -> list[list[str]]:
    """The import cycles among the modules, each as the modules of one strongly connected component, sorted."""
    edges = import_graph(found)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return sorted(cycles)


def importers_of(found: dict[str, Module], forbidden: str) -> dict[str, list[int]]:
    """The modules that import ``forbidden`` (or anything under it), with the lines."""
    hits: dict[str, list[int]] = {}
    for name, module in found.items():
        for target, line in imported_names(module):
            if target == forbidden or target.startswith(forbidden + "."):
                hits.setdefault(name, []).append(line)
    return {name: sorted(set(lines)) for name, lines in hits.items()}


_TERMINAL_STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}


def terminal_writes(module: Module) -> list[int]:
    """Lines where ``module`` writes to the terminal: ``print(...)``, ``typer.echo``/``secho``,
    ``click.echo``, or any use of ``sys.stdout``/``sys.stderr``. Text that merely contains "print(" (a
    generated shell script, say) is a string, not a call, and is not counted."""
    lines: list[int] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            lines.append(node.lineno)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and ((node.value.id == "sys" and node.attr in _TERMINAL_STREAMS)
                   or (node.value.id in {"typer", "click"} and node.attr in {"echo", "secho"}))):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" and any(
                alias.name in _TERMINAL_STREAMS for alias in node.names):
            lines.append(node.lineno)
    return sorted(set(lines))


class Crossing(NamedTuple):
    module: str  # the importing module
    line: int
    imported: str  # the module of another layer it imports


def layer_of(name: str) -> str:
    """The folder (or top-level module) a module belongs to: ``cigen.graph.core`` -> ``graph``,
    ``cigen.errors`` -> ``errors``; the package's own ``__init__`` -> ``__init__``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _defining_module(found: Mapping[str, Module], target: str) -> str | None:
    """The package's module that ``target`` (a module, or a name in one) lives in; None outside the package."""
    while target not in found:
        if "." not in target:
            return None
        target = target.rsplit(".", 1)[0]
    return target


def layer_crossings(found: dict[str, Module], allowed: Mapping[str, Collection[str]]) -> list[Crossing]:
    """Every import from one layer into another that ``allowed`` (layer -> the layers it may import) does not
    list; a layer missing from ``allowed`` may import no other. Imports for type checking count (naming a
    layer's types depends on it); the package's root does not (importing anything in it runs the root)."""
    root = next(iter(found)).split(".")[0]
    crossings = set()
    for name, module in found.items():
        for target, line in imported_names(module, with_type_checking=True):
            imported = _defining_module(found, target)
            if imported is None or imported == root or layer_of(imported) == layer_of(name):
                continue
            if layer_of(imported) not in allowed.get(layer_of(name), ()):
                crossings.add(Crossing(name, line, imported))
    return sorted(crossings)


_PRAGMA = re.compile(r"#\s*(noqa|type:|pragma:|fmt:|isort:)")  # a comment for a tool, not a reason


def _reasons(source: str) -> tuple[set[int], set[int]]:
    """The lines with a comment that says something to a person, and those of them that are only a comment."""
    lines = source.splitlines()
    commented = {
        token.start[0] for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and not _PRAGMA.match(token.string)
    }
    return commented, {n for n in commented if lines[n - 1].lstrip().startswith("#")}


def _statement_lists_in_functions(tree: ast.AST) -> Iterator[list[ast.stmt]]:
    """Every list of statements inside a function (its body, and those of the blocks and functions in it)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                for field in ("body", "orelse", "finalbody"):
                    statements = getattr(inner, field, None)
                    if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                        yield statements
        else:
            yield from _statement_lists_in_functions(node)


def unexplained_lazy_imports(module: Module) -> list[int]:
    """Lines of the imports inside a function that give no reason for being there rather than at the top.

    The reason is a comment on the import's own line, or on the line above it; a comment above a run of
    imports (one statement after another) covers the whole run. A tool's pragma (``# noqa``) is no reason.
    """
    commented, comment_lines = _reasons(module.source)
    unexplained = []
    for statements in _statement_lists_in_functions(module.tree):
        run_start = 0
        for index, statement in enumerate(statements):
            if not isinstance(statement, (ast.Import, ast.ImportFrom)):
                continue
            if index == 0 or not isinstance(statements[index - 1], (ast.Import, ast.ImportFrom)):
                run_start = statement.lineno
            own = range(statement.lineno, (statement.end_lineno or statement.lineno) + 1)
            if not commented.intersection(own) and run_start - 1 not in comment_lines:
                unexplained.append(statement.lineno)
    return sorted(unexplained)
