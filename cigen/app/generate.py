"""``cigen generate``: from the workspace and cigen.yaml to the workflow's text.

This is the edge around the pure renderer: it reads what the renderer needs
to know about the repository (lockfiles, version files, the workflow already
on disk) and returns text; writing it, or diffing it, is :mod:`cigen.adapters.write`'s.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cigen import __version__, reporting
from cigen.adapters.confined import NotAFile
from cigen.adapters.write import owns, read_generated
from cigen.app.ecosystem import ecosystem_text
from cigen.config.checks import references
from cigen.config.file import find_config
from cigen.config.integrations import DEFAULT_IMPACT_PATH
from cigen.errors import InputError
from cigen.graph.graph import build_graph
from cigen.plan.ordering import OrderRules
from cigen.plan.stages import compute_plan, ordered_graph, stage_jobs
from cigen.plan.tasks import python_commands as commands_of
from cigen.plan.tasks import service_tasks, task_argv
from cigen.plan.toolchains import detect, versions
from cigen.render.ecosystem import DEFAULT_FILENAME, header_line
from cigen.render.impact_workflow import OWNED_JOBS, OWNED_TRIGGERS, ImpactModel, render_impact_workflow
from cigen.render.impact_workflow import header_line as impact_header_line
from cigen.render.integration import Build, IntegrationCI
from cigen.render.limits import check_workflow_size
from cigen.render.ownership import YAMLErrors, regenerate
from cigen.render.workflow import ServiceCI, WorkflowModel, render_workflow
from cigen.runtime.project import project
from cigen.runtime.services import resolve_services, select

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from cigen.config.root import Config
    from cigen.graph.graph import Graph
    from cigen.model import Workspace
    from cigen.plan.toolchains import Toolchain

ARTIFACT_PREFIX = "cigen-"
WORKFLOWS_FOLDER = ".github/workflows/"
# What in cigen.yaml makes a workflow smaller, for one that would be too large to run.
SMALLER = ("make it smaller: shorter steps in workflow.setup (every job repeats them), "
           "or fewer stage jobs (plan.mode: parallel writes one)")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Generated:
    path: Path  # absolute path of the workflow file
    relative: str  # its path relative to the root, for messages and diffs
    text: str


def artifact_names(paths: Iterable[str]) -> dict[str, str]:
    """A distinct artifact name per member path, readable and safe for upload-artifact.

    ``packages/core`` -> ``cigen-packages-core``. Names that would collide
    (``a/b`` and ``a-b``), or be too long, get a short hash of the path.
    """
    slugs = {}
    for path in paths:
        slug = _UNSAFE.sub("-", "root" if path == "." else path.replace("/", "-")).strip("-.") or "member"
        slugs[path] = slug[:80]
    counts: dict[str, int] = {}
    for slug in slugs.values():
        counts[slug] = counts.get(slug, 0) + 1
    names = {}
    for path, slug in slugs.items():
        if counts[slug] > 1 or len(slug) == 80:
            slug = f"{slug}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"
        names[path] = ARTIFACT_PREFIX + slug
    return names


def service_plan(
    workspace: Workspace, config: Config, g: Graph, order: tuple[str, ...], toolchains: dict[str, Toolchain],
    *, share_outputs: bool, also_upload: frozenset[str] = frozenset(),
) -> dict[str, ServiceCI]:
    """What each planned service's leg runs, uploads and downloads.

    A service uploads its outputs when a later job reads them: a dependent's
    stage (not in parallel mode, where dependencies build alongside) or the
    integration job (``also_upload``).
    """
    planned = set(order)
    producers = {p for p in order if share_outputs and any(d in planned for d in g.predecessors(p))}
    producers |= also_upload & planned
    names = artifact_names(sorted(producers))
    members = workspace.by_path
    services = {}
    for path in order:
        member = members[path]
        tasks = service_tasks(member, config, config.workflow.tasks)
        # Direct ones only: their artifacts name everything further down (closure.txt).
        deps = set(g.successors(path)) & producers if share_outputs else set()
        services[path] = ServiceCI(
            path=path,
            toolchain=toolchains[path],
            tasks=tasks,
            artifact=names.get(path),
            dependencies=tuple(sorted(names[d] for d in deps)),
        )
    return services


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
            Build(s.path, s.artifact or "", task_argv("build", s.toolchain, python_commands.get("build")))
            for s in ordered if "build" in s.tasks
        ),
        checks=bool(config.checks),
        check_environment=_check_environment(config),
    )


def _check_environment(config: Config) -> tuple[str, ...]:
    """The environment variables the checks read: each ``${NAME}`` that no step of its check saves."""
    names: set[str] = set()
    for check in config.checks.values():
        steps = getattr(check, "all_steps", ())
        saved = {name for step in steps for name in step.save}
        for text in _texts(check.model_dump(by_alias=True, exclude={"fault"})):
            try:
                names.update(ref for ref in references(text) if ref not in saved)
            except ValueError:
                continue  # not a template (a schema's pattern): cigen.yaml's validation placed templates
    return tuple(sorted(names))


def _texts(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


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
    python_commands = commands_of(config)
    started = _started(workspace, config, g)
    services = service_plan(  # a leg downloads what the plan built before it: the edges its order follows
        workspace, config, ordered_graph(g, plan), plan.services, toolchains, share_outputs=plan.mode != "parallel",
        also_upload=frozenset(started[1]) if started else frozenset(),
    )
    return WorkflowModel(
        config=wf,
        plan=plan,
        jobs=stage_jobs(plan),
        services=services,
        versions=versions(workspace.root, wf.node_version, wf.python_version),
        python_commands=python_commands,
        version=__version__,
        integration=_integration(config, plan.services, started[1], started[0], services, python_commands)
        if started else None,
    )


def generate_workflow(workspace: Workspace, config: Config, *, force: bool = False) -> Generated:
    """The workflow's new text, keeping what a person added to the generated file on disk.

    A file on disk that cigen did not generate contributes nothing: without
    ``force`` :func:`cigen.adapters.write.write_generated` refuses to replace it, with
    ``force`` it is replaced whole.
    """
    relative = config.workflow.path
    path = workspace.root / relative
    doc = render_workflow(build_model(workspace, config))
    return Generated(path=path, relative=relative, text=_regenerate(workspace.root, path, doc, force))


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
    """Every file ``cigen generate`` writes: the workflow, the impact workflow and the ecosystem file when wanted."""
    found = [
        generate_workflow(workspace, config, force=force),
        generate_impact_workflow(workspace, config, force=force),
        generate_ecosystem(workspace, config),
    ]
    files = [generated for generated in found if generated is not None]
    for generated in files:
        if generated.relative.startswith(WORKFLOWS_FOLDER):
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
