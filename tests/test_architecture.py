"""The package's shape, as the README's layout section states it: read from the source, so a change that
breaks a rule fails here, naming the module and the line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testing.architecture import import_cycles, importers_of, modules, terminal_writes
from testing.paths import REPO_ROOT

PACKAGE = modules(REPO_ROOT / "cigen")
GATEWAY = "cigen.adapters.proc"


def in_cli_layer(name: str) -> bool:
    return name == "cigen.cli" or name.startswith("cigen.cli.") or name == "cigen.__main__"


def write_package(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / "pkg" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root / "pkg"


# The checkers, each shown to catch what it guards against.

def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    pkg = write_package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "def later():\n    from pkg.a import thing\n",
        "c.py": "import pkg.a\n",
    })
    assert import_cycles(modules(pkg)) == [["pkg.a", "pkg.b"]]


def test_imports_under_type_checking_never_run_so_they_make_no_cycle(tmp_path: Path) -> None:
    pkg = write_package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\n",
    })
    assert import_cycles(modules(pkg)) == []


def test_relative_imports_are_resolved_from_the_importing_module(tmp_path: Path) -> None:
    pkg = write_package(tmp_path, {
        "__init__.py": "",
        "sub/__init__.py": "from . import x\n",
        "sub/x.py": "from ..sub import y\n",
        "sub/y.py": "from .x import f\n",
    })
    assert import_cycles(modules(pkg)) == [["pkg.sub.x", "pkg.sub.y"]]


def test_an_import_of_subprocess_anywhere_in_a_module_is_reported_with_its_line(tmp_path: Path) -> None:
    pkg = write_package(tmp_path, {
        "__init__.py": "",
        "ok.py": "import os\n",
        "bad.py": "import os\n\ndef run():\n    from subprocess import Popen\n",
    })
    assert importers_of(modules(pkg), "subprocess") == {"pkg.bad": [4]}


def test_prints_and_the_standard_streams_are_terminal_writes_but_text_about_them_is_not(tmp_path: Path) -> None:
    pkg = write_package(tmp_path, {
        "__init__.py": "",
        "m.py": """\
            import sys
            import typer
            SCRIPT = 'python -c "print(1)"'
            def f():
                print("x")
                sys.stderr.write("y")
                typer.echo("z")
        """,
    })
    assert terminal_writes(modules(pkg)["pkg.m"]) == [5, 6, 7]


# The rules, over cigen itself.

def test_cigen_has_no_import_cycles_counting_imports_inside_functions() -> None:
    assert import_cycles(PACKAGE) == []


def test_only_the_process_gateway_imports_subprocess() -> None:
    assert set(importers_of(PACKAGE, "subprocess")) == {GATEWAY}


def test_only_the_cli_layer_writes_to_the_terminal() -> None:
    writers = {name for name, module in PACKAGE.items() if terminal_writes(module) and not in_cli_layer(name)}
    assert writers == set()


@pytest.mark.parametrize("target", ["cigen", "testing"])
def test_mypy_strict_reports_nothing(target: str) -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", target], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]
