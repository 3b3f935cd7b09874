"""The wheel is what users install: it holds the whole package with its templates, installs
into a fresh venv with its dependencies (the registry's wheels), and the installed `cigen`
works away from the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cigen.adapters.proc import run
from testing.paths import EXAMPLES, REPO_ROOT

pytestmark = pytest.mark.slow


class Installed:
    def __init__(self, wheel: Path, venv: Path, cwd: Path, files: set[str]) -> None:
        self.wheel = wheel
        self.files = files  # the package's files when the wheel was built
        self.venv = venv
        self.cwd = cwd

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a program of the fresh venv, outside the checkout, with nothing of the dev venv around."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        return subprocess.run(
            [str(self.venv / "bin" / program), *args], cwd=self.cwd, env=env, capture_output=True, text=True, timeout=120
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, cigen_wheel: Path, cigen_wheelhouse: Path) -> Installed:
    """The checkout's wheel (PEP 517, built once for the run) in a fresh venv, with its dependencies.

    They come from the run's wheelhouse: the registry's wheels of cigen's
    requirements, downloaded once for the whole run, so that the install
    resolves cigen's metadata as against the registry without searching it again.
    """
    tmp = tmp_path_factory.mktemp("packaging")
    base_python = getattr(sys, "_base_executable", sys.executable)
    # The venv gets no pip of its own (ensurepip costs more CPU than the install): this interpreter's pip
    # installs into it, as the composite action's pip does into cigen's venv.
    run([base_python, "-m", "venv", "--without-pip", str(tmp / "venv")], timeout=120)
    run([sys.executable, "-m", "pip", "--python", str(tmp / "venv" / "bin" / "python"), "install", "--quiet",
         "--disable-pip-version-check", "--no-index", "--find-links", str(cigen_wheelhouse), str(cigen_wheel)],
        timeout=600)
    (tmp / "elsewhere").mkdir()
    return Installed(cigen_wheel, tmp / "venv", tmp / "elsewhere", package_files())


def package_files() -> set[str]:
    """The files of the package in the checkout, as the wheel names them (templates/ through the symlink)."""
    package = REPO_ROOT / "cigen"
    found = set()
    for folder, dirs, files in os.walk(package, followlinks=True):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if not name.endswith(".pyc"):
                found.add((Path(folder) / name).relative_to(REPO_ROOT).as_posix())
    return found


def test_the_wheel_holds_every_file_of_the_package_with_the_templates_as_files(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = {n for n in wheel.namelist() if not n.split("/")[0].endswith(".dist-info")}
    assert names == installed.files
    templates = {n for n in names if n.startswith("cigen/templates/") and not n.endswith("/.gitkeep")}
    expected = {f"cigen/templates/{p.relative_to(REPO_ROOT / 'templates').as_posix()}"
                for p in (REPO_ROOT / "templates").rglob("*") if p.is_file() and p.name != ".gitkeep"}
    assert templates == expected
    assert templates, "templates/ holds no template to ship"


def test_the_installed_cigen_is_the_wheels_not_the_checkout(installed: Installed) -> None:
    result = installed.run("python", "-c", "import cigen, sys; print(cigen.__file__)")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.venv)


def test_the_installed_cigen_loads_its_templates_from_the_installed_package(installed: Installed) -> None:
    code = (
        "from importlib.resources import files; "
        "t = files('cigen') / 'templates'; "
        "print('\\n'.join(sorted(p.name for p in t.iterdir() if p.name != '.gitkeep')))"
    )
    result = installed.run("python", "-c", code)
    assert result.returncode == 0, result.stderr
    shipped = sorted(p.name for p in (REPO_ROOT / "templates").iterdir() if p.name != ".gitkeep")
    assert result.stdout.split() == shipped


@pytest.mark.parametrize("argv", [("cigen", "--help"), ("python", "-m", "cigen", "--help")])
def test_the_installed_cigen_shows_its_help_listing_the_commands(installed: Installed, argv: tuple[str, ...]) -> None:
    result = installed.run(*argv)
    assert result.returncode == 0, result.stderr
    for command in ("graph", "plan"):
        assert command in result.stdout


def test_the_installed_cigen_reads_the_example_monorepo(installed: Installed) -> None:
    result = installed.run("cigen", "graph", "--format", "json", "--root", str(EXAMPLES / "shop"))
    assert result.returncode == 0, result.stderr
    graph = json.loads(result.stdout)
    assert {s["name"] for s in graph["services"]} >= {"@shop/web", "@shop/api", "shop-recommend"}


def test_the_installed_cigen_reports_bad_input_in_one_line_with_exit_2(installed: Installed) -> None:
    result = installed.run("cigen", "graph", "--root", str(installed.cwd / "missing"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
