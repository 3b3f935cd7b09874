"""Build outputs between jobs: one artifact per service, found through its direct dependencies.

A service that a later job reads uploads the artifact ``cigen-<path>`` with
two files:

- ``outputs.tar``: what its output globs (``workflow.outputs``, default
  ``dist`` and ``build``) match in its folder, when anything does;
- ``closure.txt``: the artifacts its own leg downloaded, one name a line,
  that is every dependency below it.

A dependent's leg downloads the artifacts of its *direct* dependencies (the
only list the workflow holds, so it grows with the edges of the graph, not
with its transitive closure), reads their ``closure.txt`` files, downloads
what they name that it does not have yet, and unpacks every ``outputs.tar``
at the repository root: its build sees the outputs of all its dependencies,
as it would locally.

Why a tar inside the artifact rather than upload-artifact's paths directly:
upload-artifact roots what it stores at the least common ancestor of its path
globs (``packages/a/dist`` alone is stored without ``packages/a/dist/``), and
its zip drops file modes. A tar made from the repository root keeps every
path where it was, executable bits and symbolic links included.
"""

from __future__ import annotations

from collections.abc import Sequence

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from cigen.render.expressions import all_of
from cigen.render.pins import uses_step
from cigen.render.workflow_steps import run_step

OUTPUTS_DIR = "cigen-outputs"
DEPENDENCIES_DIR = "cigen-dependencies"
ARCHIVE = "outputs.tar"
CLOSURE = "closure.txt"

UNPACK = (
    "shopt -s nullglob\n"
    f'for archive in "$RUNNER_TEMP"/{DEPENDENCIES_DIR}/*/{ARCHIVE}; do\n'
    '  tar -xf "$archive"\n'
    "done"
)

# Artifact names are [A-Za-z0-9._-]: safe to split on white space.
_MORE = (
    "shopt -s nullglob\n"
    f'cd "$RUNNER_TEMP/{DEPENDENCIES_DIR}"\n'
    f"lists=(*/{CLOSURE})\n"
    'if [ "${#lists[@]}" -eq 0 ]; then exit 0; fi\n'
    "missing=()\n"
    'for name in $(sort -u -- "${lists[@]}"); do\n'
    '  if [ ! -d "$name" ]; then missing+=("$name"); fi\n'
    "done\n"
    'if [ "${#missing[@]}" -eq 1 ]; then\n'
    '  echo "more=${missing[0]}" >> "$GITHUB_OUTPUT"\n'
    'elif [ "${#missing[@]}" -gt 1 ]; then\n'
    '  (IFS=,; echo "more={${missing[*]}}" >> "$GITHUB_OUTPUT")\n'
    "fi"
)

# The globs come from cigen.yaml through OUTPUTS (one a line) and the folder
# through SERVICE_PATH: neither is ever part of the script's text.
_PACK = (
    "shopt -s nullglob dotglob globstar\n"
    f'out="$RUNNER_TEMP/{OUTPUTS_DIR}"\n'
    'mkdir -p "$out"\n'
    f': > "$out/{CLOSURE}"\n'
    f'for folder in "$RUNNER_TEMP"/{DEPENDENCIES_DIR}/*/; do\n'
    f'  basename "$folder" >> "$out/{CLOSURE}"\n'
    "done\n"
    "files=()\n"
    "while IFS= read -r pattern; do\n"
    '  for match in "$SERVICE_PATH"/$pattern; do\n'
    '    if [ -e "$match" ]; then files+=("$match"); fi\n'
    "  done\n"
    'done <<< "$OUTPUTS"\n'
    'if [ "${#files[@]}" -gt 0 ]; then\n'
    f'  tar -cf "$out/{ARCHIVE}" -- "${{files[@]}}"\n'
    "else\n"
    '  echo "No build outputs in $SERVICE_PATH"\n'
    "fi"
)


def _download(pattern: str, when: str | None, what: str) -> CommentedMap:
    return uses_step("actions/download-artifact", name=f"Download {what}", if_=when,
                     with_={"pattern": pattern, "path": f"${{{{ runner.temp }}}}/{DEPENDENCIES_DIR}"})


def dependency_steps(direct: str) -> list[CommentedMap]:
    """Download and unpack the outputs of every dependency; ``direct`` is an expression of the direct ones."""
    when = f"{direct} != ''"
    return [
        _download(f"${{{{ {direct} }}}}", when, "the build outputs of its dependencies"),
        run_step("Find the dependencies of its dependencies", _MORE, id="closure", if_=when),
        _download("${{ steps.closure.outputs.more }}", all_of(when, "steps.closure.outputs.more != ''"),
                  "the build outputs of their dependencies"),
        run_step("Unpack the build outputs", UNPACK, if_=when),
    ]


def everything_steps() -> list[CommentedMap]:
    """Download and unpack every build output this run uploaded (the integration job)."""
    return [
        _download("cigen-*", None, "the build outputs of this run"),
        run_step("Unpack the build outputs", UNPACK),
    ]


def upload_steps(globs: Sequence[str], artifact: str) -> list[CommentedMap]:
    """Pack the service's outputs and closure and upload them as ``artifact`` (an expression; none when empty)."""
    when = f"{artifact} != ''"
    pack = run_step(
        "Pack build outputs", _PACK, if_=when,
        env={"OUTPUTS": LiteralScalarString("\n".join(globs) + "\n")},
    )
    upload = uses_step(
        "actions/upload-artifact",
        name="Upload build outputs",
        if_=when,
        with_={
            "name": f"${{{{ {artifact} }}}}",
            "path": f"${{{{ runner.temp }}}}/{OUTPUTS_DIR}",
            "if-no-files-found": "error",
            "retention-days": 1,
            "overwrite": True,  # a re-run of the job replaces what its first attempt uploaded
        },
    )
    return [pack, upload]
