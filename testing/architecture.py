"""Checks of the package's shape, read from its source with ``ast`` (nothing is imported).

They back ``tests/test_architecture.py``: no import cycles (imports inside
functions count, ``if TYPE_CHECKING:`` blocks do not, as they never run), only
the process gateway imports ``subprocess``, and only the CLI layer writes to
the terminal.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. "cigen.graph.core"
    path: Path
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
        found[".".join(parts)] = Module(".".join(parts), path, ast.parse(path.read_text(), str(path)))
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


def imported_names(module: Module) -> Iterator[tuple[str, int]]:
    """The absolute module names ``module`` imports when it runs (with the line), relative imports resolved."""
    for node in _runtime_nodes(module.tree):
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
