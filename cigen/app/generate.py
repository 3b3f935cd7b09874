"""``cigen generate``: from the workspace and cigen.yaml to the workflow's text.

This is the edge around the pure renderer: it reads what the renderer needs
to know about the repository (lockfiles, version files, the workflow already
on disk) and returns text; writing it, or diffing it, is :mod:`cigen.adapters.write`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cigen import __version__, reporting
from cigen.adapters.confined import NotAFile
from cigen.adapters.write import owns, read_generated
from cigen.app.ecosystem import ecosystem_text
from cigen.config.checks import environment_references
from cigen.config.file import find_config
from cigen.config.integrations import DEFAULT_IMPACT_PATH
from cigen.errors import InputError
from cigen.graph.graph import build_graph
from cigen.plan.ordering import OrderRules
from cigen.plan.head_start import workflow_jobs
from cigen.plan.stages import compute_plan
from cigen.plan.tasks import python_commands as commands_of
from cigen.plan.tasks import service_tasks, task_argv
from cigen.plan.toolchains import detect, versions
from cigen.render.ecosystem import DEFAULT_FILENAME, header_line
from cigen.render.impact_workflow import OWNED_JOBS, OWNED_TRIGGERS, ImpactModel, render_impact_workflow
from cigen.render.impact_workflow import header_line as impact_header_line
from cigen.render.integration import Build, IntegrationCI
from cigen.render.leg_action import action_path, render_leg_action
from cigen.render.leg_matrix import artifact_name
from cigen.render.limits import check_workflow_size
from cigen.render.ownership import YAMLErrors, dump, regenerate
from cigen.render.workflow import ServiceCI, WorkflowModel, render_workflow
from cigen.runtime.project import project
from cigen.runtime.services import resolve_services, select

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from cigen.config.root import Config
    from cigen.graph.graph import Graph
    from cigen.model import Workspace
    from cigen.plan.toolchains import Toolchain

# What in cigen.yaml makes a workflow smaller, for one that would be too large to run.
SMALLER = ("make it smaller: shorter steps in workflow.setup, "
           "or fewer stage jobs (plan.mode: parallel writes one)")


@dataclass(frozen=True, slots=True)
class Generated:
    path: Path  # absolute path of the workflow file
    relative: str  # its path relative to the root, for messages and diffs
    text: str


def service_plan(
    workspace: Workspace, config: Config, order: tuple[str, ...], toolchains: dict[str, Toolchain]
) -> dict[str, ServiceCI]:
    """What the workflow knows of each planned service: its toolchain, its tasks, its outputs' folder."""
    members = workspace.by_path
    return {
        path: ServiceCI(
            path=path,
            toolchain=toolchains[path],
            tasks=service_tasks(members[path], config, config.workflow.tasks),
            artifact=artifact_name(path),
        )
        for path in order
    }


def _started(workspace: Workspace, config: Config, g: Graph) -> tuple[tuple[str, ...], set[str]] | None:
    """The services the integration job starts (names for `cigen up`) and the members it needs built."""
    specs = resolve_services(config, workspace, find_config(workspace.root) or "cigen.yaml")
    if not specs:
        return None
    wanted = config.runtime.integration.services if config.runtime.integration else None
    started = select(specs, wanted or [])  # validates the names; adds runtime dependencies
    members = [m for n in started if (m := specs[n].member) is not None and m in g]
    return tuple(wanted or ()), set(members) | g.dependencies(members)


def _install_folders(toolchain: Toolchain, ordered: list[ServiceCI]) -> list[str]:
    """Where the integration job installs ``toolchain``: its shared root, else each service's folder."""
    if toolchain.root is not None:
        return [toolchain.root]
    return [s.path for s in ordered if s.toolchain.key == toolchain.key]


def _integration(
    config: Config, order: tuple[str, ...], needed: set[str], names: tuple[str, ...],
    services: dict[str, ServiceCI], python_commands: dict[str, str],
) -> IntegrationCI:
    integ = config.runtime.integration
    ordered = [services[p] for p in order if p in needed]
    toolchains = {s.toolchain.key: s.toolchain for s in ordered}
    return IntegrationCI(
        services=names,
        command=integ.command if integ else None,
        cwd=integ.cwd if integ else ".",
        logs=config.runtime.logs,
        toolchains=tuple(toolchains[k] for k in sorted(toolchains)),
        # No matrix here: a toolchain without a shared folder installs in each service's.
        installs=tuple(
            (toolchains[k], folder)
            for k in sorted(toolchains)
            for folder in _install_folders(toolchains[k], ordered)
        ),
        builds=tuple(
            Build(s.path, s.artifact, task_argv("build", s.toolchain, python_commands.get("build")))
            for s in ordered if "build" in s.tasks
        ),
        checks=bool(config.checks),
        check_environment=_check_environment(config),
    )


def _check_environment(config: Config) -> tuple[str, ...]:
    """The environment variables the checks read: each ``${NAME}`` that no step of its check saves."""
    return tuple(sorted({ref for name, check in config.checks.items()
                         for _, ref in environment_references(name, check)}))


_PINNED = re.compile(r"[^@\s]+@[0-9a-f]{40}")


def _warn_unpinned(config: Config) -> None:
    """A setup step's action not pinned to a commit weakens the workflow (zizmor flags it)."""
    for index, step in enumerate(config.workflow.setup):
        uses = step.get("uses")
        if isinstance(uses, str) and not uses.startswith(("./", "docker://")) and not _PINNED.fullmatch(uses):
            reporting.warn(
                f"workflow.setup[{index}]: {uses} is not pinned to a commit SHA; a tag can be moved to other code"
            )


def build_model(workspace: Workspace, config: Config) -> WorkflowModel:
    _warn_unpinned(config)
    g = build_graph(workspace, include_root=config.include_root)
    plan = compute_plan(g, mode=config.plan.mode, concurrency=config.plan.concurrency, rules=OrderRules.of(config.plan))
    toolchains = detect(workspace, plan.services)
    wf = config.workflow
    started = _started(workspace, config, g)
    services = service_plan(workspace, config, plan.services, toolchains)
    return WorkflowModel(
        config=wf,
        plan=plan,
        jobs=workflow_jobs(plan, wf.legs),
        services=services,
        versions=versions(workspace.root, wf.node_version, wf.python_version),
        version=__version__,
        integration=_integration(config, plan.services, started[1], started[0], services, commands_of(config))
        if started else None,
    )


def generate_workflow(workspace: Workspace, config: Config, *, force: bool = False) -> Generated:
    """The workflow's new text, keeping what a person added to the generated file on disk.

    A file on disk that cigen did not generate contributes nothing: without
    ``force`` :func:`cigen.adapters.write.write_generated` refuses to replace it, with
    ``force`` it is replaced whole.
    """
    return _workflow(workspace, config, build_model(workspace, config), force)


def _workflow(workspace: Workspace, config: Config, model: WorkflowModel, force: bool) -> Generated:
    relative = config.workflow.path
    path = workspace.root / relative
    doc = render_workflow(model)
    return Generated(path=path, relative=relative, text=_regenerate(workspace.root, path, doc, force))


def generate_leg_action(config: Config, model: WorkflowModel, root: Path) -> Generated:
    """The leg action the workflow's stage jobs run: cigen owns it whole, so nothing on disk is kept."""
    relative = f"{action_path(config.workflow.path)}/action.yml"
    doc = render_leg_action(
        config.workflow, model.toolchains, model.versions, model.tasks, model.requirement,
        model.plan.fail_fast, __version__,
    )
    return Generated(path=root / relative, relative=relative, text=dump(doc))


def generate_impact_workflow(workspace: Workspace, config: Config, *, force: bool = False) -> Generated | None:
    """The pull-request impact workflow's new text, when cigen.yaml asks for it (``workflow.impact``)."""
    impact = config.workflow.impact
    if impact is None:
        _warn_left_behind(workspace.root, DEFAULT_IMPACT_PATH)
        return None
    if impact.path == config.workflow.path:
        raise InputError(f"workflow.impact.path is the workflow's own path, {impact.path}",
                         path=find_config(workspace.root), hint="give the impact workflow a file of its own")
    path = workspace.root / impact.path
    doc = render_impact_workflow(ImpactModel(impact, config.workflow, __version__))
    text = _regenerate(workspace.root, path, doc, force, owned_jobs=OWNED_JOBS, owned_triggers=OWNED_TRIGGERS)
    return Generated(path=path, relative=impact.path, text=text)


def _warn_left_behind(root: Path, relative: str) -> None:
    """A generated impact workflow that cigen.yaml no longer asks for still runs on every pull request."""
    existing = _generated_or_none(root, root / relative)
    if existing is not None and owns(existing, impact_header_line(__version__)):
        reporting.warn(
            f"{relative} is a cigen impact workflow, but cigen.yaml no longer sets workflow.impact; "
            "it still runs on every pull request until you delete it (cigen never deletes files)"
        )


def generate_ecosystem(workspace: Workspace, config: Config) -> Generated | None:
    """ecosystem.config.js at the root, with every service, when a file cigen generated is there.

    A repository that committed the ecosystem file keeps it current with the
    workflow; one that never ran ``cigen ecosystem`` does not get one.
    """
    path = workspace.root / DEFAULT_FILENAME
    existing = _generated_or_none(workspace.root, path)
    if existing is None or not owns(existing, header_line()):
        return None
    text = ecosystem_text(project(workspace.root, config, workspace), path)
    return Generated(path=path, relative=DEFAULT_FILENAME, text=text)


def generate_all(workspace: Workspace, config: Config, *, force: bool = False) -> list[Generated]:
    """Every file ``cigen generate`` writes: the workflow and its leg action, the impact workflow and the
    ecosystem file when wanted."""
    model = build_model(workspace, config)
    found = [
        _workflow(workspace, config, model, force),
        generate_leg_action(config, model, workspace.root),
        generate_impact_workflow(workspace, config, force=force),
        generate_ecosystem(workspace, config),
    ]
    files = [generated for generated in found if generated is not None]
    for generated in files:  # the leg action too: GitHub reads it with the workflow
        if generated.relative.startswith(".github/"):
            check_workflow_size(generated.relative, generated.text, hint=SMALLER)
    return files


def _generated_or_none(root: Path, path: Path) -> str | None:
    """The file at ``path``; None when there is none, or a link (or a folder) is there: not one cigen wrote."""
    try:
        return read_generated(path, root=root)
    except NotAFile:
        return None


def _regenerate(root: Path, path: Path, doc: CommentedMap, force: bool, **ownership: Any) -> str:
    existing = read_generated(path, root=root)
    relative = path.relative_to(root).as_posix()  # as cigen.yaml names it, in messages
    try:
        return regenerate(doc, existing, path=relative, drop_lost=force, **ownership)
    except YAMLErrors as exc:
        if force:
            return regenerate(doc, None, **ownership)
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"cannot keep your additions: the file is not valid YAML ({getattr(exc, 'problem', None) or exc})",
            path=relative, line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
            hint="fix the YAML, or rerun with --force to regenerate it from scratch",
        ) from None
