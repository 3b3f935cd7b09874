"""Build outputs between legs and jobs: one artifact per leg, a folder per service inside.

A leg uploads the artifact its entry names (``cigen-leg-<leg id>``) holding,
for each of its services, ``<service artifact>/outputs.tar``: what the
output globs (``workflow.outputs``, default ``dist`` and ``build``) match in
the service's folder (an empty archive when nothing does). The plan job
knows every leg of the run, so each entry names (``download``) the artifacts
of all the legs its services depend on, directly or not; they are downloaded
with ``merge-multiple``, which lays the service folders side by side, and
every ``outputs.tar`` is unpacked at the repository root: a build sees the
outputs of all its dependencies, as it would locally. The integration job
downloads every ``cigen-*`` artifact the same way.

Why a tar inside the artifact rather than upload-artifact's paths directly:
upload-artifact roots what it stores at the least common ancestor of its path
globs (``packages/a/dist`` alone is stored without ``packages/a/dist/``), and
its zip drops file modes. A tar made from the repository root keeps every
path where it was, executable bits and symbolic links included.

Each leg also uploads ``cigen-timings-<leg id>``: the JSON documents of its
``cigen run`` runs, which the timings job folds into the cache the next plan
job packs legs by (:mod:`cigen.app.timings`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from cigen.render.pins import uses_step
from cigen.render.workflow_steps import run_step

OUTPUTS_DIR = "cigen-outputs"
DEPENDENCIES_DIR = "cigen-dependencies"
TIMINGS_DIR = "cigen-timings"
ARCHIVE = "outputs.tar"
LEG_ARTIFACT_PREFIX = "cigen-leg-"
TIMINGS_ARTIFACT_PREFIX = "cigen-timings-"

UNPACK = (
    "shopt -s nullglob\n"
    f'for archive in "$RUNNER_TEMP"/{DEPENDENCIES_DIR}/*/{ARCHIVE}; do\n'
    '  tar -xf "$archive"\n'
    "done"
)

# The globs come from cigen.yaml through OUTPUTS (one a line); the services'
# folders and artifact names from the leg's entry, as NUL-separated pairs.
_PACK = (
    "shopt -s nullglob dotglob globstar\n"
    f'out="$RUNNER_TEMP/{OUTPUTS_DIR}"\n'
    'mapfile -d \'\' -t pairs < "$RUNNER_TEMP/cigen-leg/outputs"\n'
    'for ((i = 0; i < ${#pairs[@]}; i += 2)); do\n'
    '  artifact="${pairs[i]}"\n'
    '  folder="${pairs[i + 1]}"\n'
    '  mkdir -p "$out/$artifact"\n'
    "  files=()\n"
    "  while IFS= read -r pattern; do\n"
    '    for match in "$folder"/$pattern; do\n'
    '      if [ -e "$match" ]; then files+=("$match"); fi\n'
    "    done\n"
    '  done <<< "$OUTPUTS"\n'
    '  if [ "${#files[@]}" -gt 0 ]; then\n'
    f'    tar -cf "$out/$artifact/{ARCHIVE}" -- "${{files[@]}}"\n'
    "  else\n"
    f'    tar -cf "$out/$artifact/{ARCHIVE}" -T /dev/null\n'
    '    echo "No build outputs in $folder"\n'
    "  fi\n"
    "done"
)


def _download(pattern: str, when: str | None, what: str) -> CommentedMap:
    return uses_step("actions/download-artifact", name=f"Download {what}", if_=when, with_={
        "pattern": pattern,
        "path": f"${{{{ runner.temp }}}}/{DEPENDENCIES_DIR}",
        "merge-multiple": True,
    })


def dependency_steps(pattern: str) -> list[CommentedMap]:
    """Download and unpack the outputs of the legs ``pattern`` (an expression; empty: none) names."""
    when = f"{pattern} != ''"
    return [
        _download(f"${{{{ {pattern} }}}}", when, "the build outputs of its dependencies"),
        run_step("Unpack the build outputs", UNPACK, if_=when),
    ]


def everything_steps() -> list[CommentedMap]:
    """Download and unpack every build output this run uploaded (the integration job)."""
    return [
        _download(f"{LEG_ARTIFACT_PREFIX}*", None, "the build outputs of this run"),
        run_step("Unpack the build outputs", UNPACK),
    ]


def upload_steps(globs: Sequence[str], artifact: str) -> list[CommentedMap]:
    """Pack every service's outputs and upload them as ``artifact`` (an expression)."""
    pack = run_step("Pack build outputs", _PACK, env={"OUTPUTS": LiteralScalarString("\n".join(globs) + "\n")})
    upload = uses_step(
        "actions/upload-artifact",
        name="Upload build outputs",
        with_={
            "name": f"${{{{ {artifact} }}}}",
            "path": f"${{{{ runner.temp }}}}/{OUTPUTS_DIR}",
            "if-no-files-found": "error",
            "retention-days": 1,
            "overwrite": True,  # a re-run of the job replaces what its first attempt uploaded
        },
    )
    return [pack, upload]


def timings_steps(leg_id: str) -> list[CommentedMap]:
    """Upload the leg's ``cigen run`` results (``leg_id``: an expression), passed or failed."""
    return [uses_step(
        "actions/upload-artifact",
        name="Upload its timings",
        if_="${{ !cancelled() }}",
        with_={
            "name": f"{TIMINGS_ARTIFACT_PREFIX}${{{{ {leg_id} }}}}",
            "path": f"${{{{ runner.temp }}}}/{TIMINGS_DIR}",
            "if-no-files-found": "ignore",
            "retention-days": 1,
            "overwrite": True,
        },
    )]
