"""Build outputs between jobs: one tar file per service, carried as an artifact.

A service's leg packs what its output globs (``workflow.outputs``, default
``dist`` and ``build``) match in its folder into ``outputs.tar`` and uploads
it as the artifact ``cigen-<path>``; a dependent's leg downloads the archives
of its dependencies and unpacks them at the repository root.

Why tar inside the artifact rather than upload-artifact's paths directly:
upload-artifact roots what it stores at the least common ancestor of its path
globs (``packages/a/dist`` alone is stored without ``packages/a/dist/``), and
its zip drops file modes. A tar made from the repository root keeps every
path where it was, executable bits and symbolic links included.
"""

from __future__ import annotations

from collections.abc import Sequence

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from cigen.render.pins import uses_step
from cigen.render.workflow_steps import run_step

OUTPUTS_DIR = "cigen-outputs"
DEPENDENCIES_DIR = "cigen-dependencies"
ARCHIVE = "outputs.tar"

UNPACK = (
    "shopt -s nullglob\n"
    f'for archive in "$RUNNER_TEMP"/{DEPENDENCIES_DIR}/*/{ARCHIVE}; do\n'
    '  tar -xf "$archive"\n'
    "done"
)

# The globs come from cigen.yaml through OUTPUTS (one a line) and the folder
# through SERVICE_PATH: neither is ever part of the script's text.
_PACK = (
    "shopt -s nullglob dotglob globstar\n"
    "files=()\n"
    "while IFS= read -r pattern; do\n"
    '  for match in "$SERVICE_PATH"/$pattern; do\n'
    '    if [ -e "$match" ]; then files+=("$match"); fi\n'
    "  done\n"
    'done <<< "$OUTPUTS"\n'
    'if [ "${#files[@]}" -eq 0 ]; then\n'
    '  echo "No build outputs in $SERVICE_PATH"\n'
    "  exit 0\n"
    "fi\n"
    f'mkdir -p "$RUNNER_TEMP/{OUTPUTS_DIR}"\n'
    f'tar -cf "$RUNNER_TEMP/{OUTPUTS_DIR}/{ARCHIVE}" -- "${{files[@]}}"\n'
    'echo "packed=true" >> "$GITHUB_OUTPUT"'
)


def download_steps(pattern: str, when: str | None, what: str) -> list[CommentedMap]:
    """Download the artifacts matching ``pattern`` (minimatch; may be an expression) and unpack them."""
    return [
        uses_step("actions/download-artifact", name=f"Download {what}", if_=when,
                  with_={"pattern": pattern, "path": f"${{{{ runner.temp }}}}/{DEPENDENCIES_DIR}"}),
        run_step(f"Unpack {what}", UNPACK, if_=when),
    ]


def upload_steps(globs: Sequence[str], artifact: str) -> list[CommentedMap]:
    """Pack the service's outputs and upload them as ``artifact`` (an expression; none when empty)."""
    pack = run_step(
        "Pack build outputs", _PACK, id="pack", if_=f"{artifact} != ''",
        env={"OUTPUTS": LiteralScalarString("\n".join(globs) + "\n")},
    )
    upload = uses_step(
        "actions/upload-artifact",
        name="Upload build outputs",
        if_="steps.pack.outputs.packed == 'true'",
        with_={
            "name": f"${{{{ {artifact} }}}}",
            "path": f"${{{{ runner.temp }}}}/{OUTPUTS_DIR}/{ARCHIVE}",
            "if-no-files-found": "error",
            "retention-days": 1,
            "overwrite": True,  # a re-run of the job replaces what its first attempt uploaded
        },
    )
    return [pack, upload]
