"""The package's shape, as the README's layout section states it: read from the source, so a change that
breaks a rule fails here, naming the module and the line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from testing.architecture import (
    import_cycles,
    importers_of,
    layer_crossings,
    layer_of,
    modules,
    terminal_writes,
    unexplained_lazy_imports,
)
from testing.paths import REPO_ROOT

PACKAGE = modules(REPO_ROOT / "cigen")
GATEWAY = "cigen.adapters.proc"

# Which layer may import which (README, Development): a layer is a folder of cigen/ or a module at its top.
# The leaf modules hold the shared vocabulary and import nothing of cigen; every other layer may import them.
LEAVES = ("__init__", "errors", "model", "durations", "pathglob", "suggest", "reporting", "jsonpath")
CORE = {
    "adapters": set(),  # the edge the core reads files and git through: on the leaves alone
    "graph": set(),
    "discovery": {"adapters", "config"},  # config: the type of the cigen.yaml that discover() applies
    "impact": {"adapters", "discovery", "graph"},
    "config": {"adapters", "impact"},  # impact: the workflow's default path, which is also a global file
    "plan": {"config", "discovery", "graph"},
    "render": {"adapters", "config", "graph", "impact", "plan"},
}
EFFECTS = {
    "runtime": {"adapters", "config", "graph", "plan"},
    "executor": {"adapters", "config", "plan"},
    "verify": {"adapters", "config", "graph", "plan", "impact", "runtime"},  # checks against the running stack
    # the run's sampler and report, over the runtime's PM2 and probes and the counters of verify's proxies
    "monitor": {"adapters", "config", "runtime", "verify"},
}
BELOW_APP = {*CORE, *EFFECTS}
TOP = {"app": BELOW_APP, "cli": {*BELOW_APP, "app"}, "action": {*BELOW_APP, "app", "cli"}, "__main__": {"cli"},
       "pytest_plugin": {*BELOW_APP, "app"}}  # an entry like the CLI, for tests: never the CLI itself
LAYERS: dict[str, set[str]] = {
    **{leaf: set() for leaf in LEAVES},
    **{layer: {*allowed, *LEAVES} for layer, allowed in {**CORE, **EFFECTS, **TOP}.items()},
}


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


def test_an_import_into_a_layer_the_table_does_not_allow_is_reported_with_its_line(tmp_path: Path) -> None:
    pkg = write_package(tmp_path, {
        "__init__.py": "",
        "errors.py": "",
        "core/__init__.py": "",
        "core/pure.py": "from pkg import errors\nfrom pkg.core import other\n",
        "core/other.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.app.use import Case\n",
        "app/__init__.py": "",
        "app/use.py": "from pkg.core.pure import thing\n\ndef later():\n    from pkg.cli import main\n",
        "cli.py": "from pkg.app import use\n",
    })
    allowed = {"core": {"errors"}, "app": {"core", "errors"}, "cli": {"app"}}
    assert [tuple(c) for c in layer_crossings(modules(pkg), allowed)] == [
        ("pkg.app.use", 4, "pkg.cli"),  # inside a function, it still runs
        ("pkg.core.other", 3, "pkg.app.use"),  # for type checking only, it is still a dependency
    ]


def test_an_import_inside_a_function_needs_a_comment_saying_why_on_its_line_or_above_it(tmp_path: Path) -> None:
    pkg = write_package(tmp_path, {
        "__init__.py": "",
        "m.py": """\
            import json

            def explained():
                # lazy: jinja2 is slow to import and only rendering needs it
                import jinja2
                from pkg import other

                import yaml  # lazy: PyYAML, only for YAML files

            def unexplained():
                x = 1
                import jinja2  # noqa: PLC0415
                return "# a string is no comment"

            def later_in_the_body():
                # lazy: a comment that is not right above the import
                x = 1

                from pkg import other

            class C:
                def method(self):
                    if True:
                        import yaml
        """,
    })
    assert unexplained_lazy_imports(modules(pkg)["pkg.m"]) == [12, 19, 24]


# The rules, over cigen itself.

def test_cigen_has_no_import_cycles_counting_imports_inside_functions() -> None:
    assert import_cycles(PACKAGE) == []


def test_every_folder_and_top_level_module_has_a_place_in_the_layers() -> None:
    assert {layer_of(name) for name in PACKAGE} == set(LAYERS)


def test_the_layers_keep_the_core_pure_and_the_entries_on_top() -> None:
    entries_and_effects = {"app", "cli", "action", "runtime", "executor"}
    for layer in [*CORE, *LEAVES]:
        assert not LAYERS[layer] & entries_and_effects, layer
    assert "runtime" not in LAYERS["render"]
    for layer in EFFECTS:
        assert not LAYERS[layer] & {"app", "cli", "action"}, layer
    assert not LAYERS["app"] & {"cli", "action"}


def test_each_layer_imports_only_the_layers_it_may() -> None:
    crossings = [f"{c.module}:{c.line} imports {c.imported}" for c in layer_crossings(PACKAGE, LAYERS)]
    assert crossings == []


def test_an_import_inside_a_function_outside_the_cli_says_why_it_is_not_at_the_top() -> None:
    unexplained = [
        f"{name}:{line}" for name, module in PACKAGE.items() if not in_cli_layer(name)
        for line in unexplained_lazy_imports(module)
    ]
    assert unexplained == []


def test_only_the_process_gateway_imports_subprocess() -> None:
    assert set(importers_of(PACKAGE, "subprocess")) == {GATEWAY}


def test_only_the_cli_layer_writes_to_the_terminal() -> None:
    writers = {name for name, module in PACKAGE.items() if terminal_writes(module) and not in_cli_layer(name)}
    assert writers == set()


def test_mypy_strict_reports_nothing() -> None:
    # One run for both: testing/ imports cigen/, so a run of each analysed cigen/ twice (twice the CPU).
    done = subprocess.run([sys.executable, "-m", "mypy", "cigen", "testing"], cwd=REPO_ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout[-4000:]
