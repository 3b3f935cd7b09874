"""Loading a monorepo for a command: cigen.yaml and the discovered workspace, warnings reported."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cigen import reporting
from cigen.config.file import find_config
from cigen.discovery import discover
from cigen.model import Workspace

if TYPE_CHECKING:  # the models import pydantic, which `cigen graph` without a cigen.yaml never needs
    from cigen.config.root import Config


def load(root: Path) -> tuple[Config, Workspace]:
    """cigen.yaml and the discovered workspace of ``root``; discovery's warnings go to the reporter."""
    # lazy: the loader imports pydantic and the models (~0.07 s), which `cigen graph` without a cigen.yaml never needs
    from cigen.config.loader import load_config

    config = load_config(root)
    workspace = discover_with(root, config)
    if config.plan.ignore.edges:
        _check_ignored_edges(root, config, workspace)
    return config, workspace


def _check_ignored_edges(root: Path, config: Config, workspace: Workspace) -> None:
    """Each ``plan.ignore.edges`` entry names members, or the error points at its line in cigen.yaml."""
    # lazy: the graph and the plan's rules, only for a cigen.yaml that names edges
    from cigen.config.loader import located
    from cigen.graph.graph import build_graph
    from cigen.plan.ordering import EdgeEntryError, resolve_edge

    g = build_graph(workspace, include_root=config.include_root)  # the members a plan can hold
    for index, text in enumerate(config.plan.ignore.edges):
        try:
            resolve_edge(g, index, text)
        except EdgeEntryError as exc:
            path = find_config(root)
            if path is None:
                raise
            raise located(path, ("plan", "ignore", "edges", index), exc.detail, hint=exc.hint) from None


def load_workspace(root: Path) -> Workspace:
    """The discovered workspace of ``root``, with its cigen.yaml applied when it has one.

    For commands that need nothing from cigen.yaml but what discovery reads
    (``cigen graph``): without the file, discovery runs on its defaults, and
    pydantic and the config models are never imported (~0.07 s of start-up).
    A cigen.yaml is validated whole, as :func:`load` does.
    """
    path = find_config(root)
    if path is None:
        return discover_with(root, None)
    # lazy: pydantic and the models, only when there is a file to validate
    from cigen.config.loader import parse_config

    return discover_with(root, parse_config(path))


def discover_with(root: Path, config: Config | None) -> Workspace:
    """The workspace discovery finds with ``config`` already loaded; its warnings go to the reporter."""
    workspace = discover(root, config)
    for warning in workspace.warnings:
        reporting.warn(warning)
    return workspace
