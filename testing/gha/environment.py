"""The process environment a step runs in.

A step sees this machine's environment (its package registries, certificates
and caches), minus what belongs to the process running the tests: GitHub
runner variables, a virtual environment on PATH, pytest's variables. With
the test venv off PATH, ``cigen`` resolves only if the workflow installs it.
``PIP_REQUIRE_VIRTUALENV`` makes a ``pip install`` outside a virtual
environment fail (as PEP 668 does on ubuntu-24.04 runners) instead of
changing this machine's Python.
"""

from __future__ import annotations

import os
import sys

_DROP_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "PYTEST_", "npm_package_", "npm_lifecycle_", "COV_CORE_")
_DROP = frozenset({"CI", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "CONDA_PREFIX", "INIT_CWD", "OLDPWD", "PWD"})


def base_path() -> str:
    """This machine's PATH without the test interpreter's venv and node_modules/.bin entries."""
    venv = sys.prefix if sys.prefix != sys.base_prefix else None
    keep = []
    for entry in os.environ.get("PATH", os.defpath).split(os.pathsep):
        if not entry or "/node_modules/.bin" in entry:
            continue
        if venv and os.path.abspath(entry).startswith(os.path.abspath(venv) + os.sep):
            continue
        if entry not in keep:
            keep.append(entry)
    return os.pathsep.join(keep)


def base_env() -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _DROP and not name.startswith(_DROP_PREFIXES)
    }
    env["PATH"] = base_path()
    env["PIP_REQUIRE_VIRTUALENV"] = "true"
    env.setdefault("LANG", "C.UTF-8")
    return env
