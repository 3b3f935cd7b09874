"""actions/upload-artifact and actions/download-artifact (v4 and later), for real, on disk.

An artifact is a folder under the run's store holding the files as the action
would zip them:

- upload roots the stored paths at the pattern's search path; with several
  patterns, at their least common ancestor (even of patterns that matched
  nothing); a lone literal file is stored under its own name. Hidden files
  are left out unless ``include-hidden-files``. Names are unique in a run:
  uploading a name twice fails unless ``overwrite: true``.
- download by ``name`` extracts that artifact into ``path`` (default: the
  workspace) and fails if it does not exist; without a name it downloads every
  artifact (filtered by ``pattern``), each into ``path/<name>/`` unless
  ``merge-multiple``. A pattern matching nothing is not an error.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from testing.gha.globs import least_common_ancestor, match_files, parse_patterns, search_paths
from testing.gha.model import ActionError

_FORBIDDEN = set('":<>|*?\r\n\\/')


def _boolean(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ActionError(f"input {name} must be true or false, got {value!r}")


def upload(store: Path, inputs: dict[str, str], cwd: Path, home: Path) -> tuple[dict[str, str], str]:
    """Store an artifact; returns (outputs, log)."""
    name = inputs.get("name") or "artifact"
    if bad := sorted(set(name) & _FORBIDDEN):
        raise ActionError(f"the artifact name {name!r} contains invalid characters {bad}")
    if "path" not in inputs or not inputs["path"].strip():
        raise ActionError("Input required and not supplied: path")
    if _boolean(inputs.get("archive", "true"), "archive") is False:
        raise ActionError("archive: false (unzipped single-file uploads) is not supported by the local executor")
    if_no_files = inputs.get("if-no-files-found", "warn")
    if if_no_files not in ("warn", "error", "ignore"):
        raise ActionError(f"if-no-files-found must be warn, error or ignore, got {if_no_files!r}")
    overwrite = _boolean(inputs.get("overwrite", "false"), "overwrite")
    include_hidden = _boolean(inputs.get("include-hidden-files", "false"), "include-hidden-files")

    patterns = parse_patterns(inputs["path"], cwd, home)
    files = match_files(patterns, exclude_hidden=not include_hidden)
    if not files:
        message = f"No files were found with the provided path: {inputs['path'].strip()}. No artifacts will be uploaded."
        if if_no_files == "error":
            raise ActionError(message)
        return {}, ("Warning: " if if_no_files == "warn" else "") + message
    roots = search_paths(patterns)
    if len(roots) > 1:
        root = least_common_ancestor(roots)
    elif len(files) == 1 and str(files[0]) == roots[0]:
        root = str(files[0].parent)
    else:
        root = roots[0]

    target = store / name
    if target.exists():
        if not overwrite:
            raise ActionError(
                f"Failed to CreateArtifact: an artifact with this name already exists on the workflow run: {name}"
            )
        shutil.rmtree(target)
    target.mkdir(parents=True)
    digest = hashlib.sha256()
    stored = []
    for file in files:
        relative = os.path.relpath(file, root)
        stored.append(relative)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, destination)
        digest.update(relative.encode() + b"\0" + file.read_bytes())
    log = f"Uploaded artifact {name!r} rooted at {root}: " + ", ".join(stored)
    artifact_id = str(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16))
    return {"artifact-id": artifact_id, "artifact-url": f"local://artifacts/{name}", "artifact-digest": digest.hexdigest()}, log


def _minimatch(pattern: str) -> re.Pattern[str]:
    """Enough of minimatch for artifact names: * ? [..] and {a,b}, nested ({a-{1,2},b}) as brace-expansion
    reads them; a brace with no comma (``{a}``) is literal text, as there."""
    regex, _ = _minimatch_part(pattern, 0, nested=False)
    return re.compile(regex)


def _minimatch_part(pattern: str, i: int, *, nested: bool) -> tuple[str, int]:
    """The regex of ``pattern`` from ``i`` to the end, or (``nested``) to the ``,`` or ``}`` that ends an
    alternative; returns it with the index of that character."""
    out: list[str] = []
    while i < len(pattern):
        c = pattern[i]
        if nested and c in ",}":
            return "".join(out), i
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            close = pattern.find("]", i + 1)
            out.append(pattern[i : close + 1] if close != -1 else re.escape(c))
            i = close if close != -1 else i
        elif c == "{":
            alternatives, j = [], i + 1
            while True:
                part, j = _minimatch_part(pattern, j, nested=True)
                alternatives.append(part)
                if j >= len(pattern) or pattern[j] == "}":
                    break
                j += 1  # past the comma
            if j < len(pattern) and len(alternatives) > 1:
                out.append("(?:" + "|".join(alternatives) + ")")
                i = j
            else:  # unclosed, or one alternative: the text itself
                out.append(re.escape(c))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out), i


def download(store: Path, inputs: dict[str, str], cwd: Path, home: Path, run_id: str) -> tuple[dict[str, str], str]:
    """Extract artifacts of this run into the workspace; returns (outputs, log)."""
    if inputs.get("run-id") and inputs["run-id"] != run_id:
        raise ActionError("downloading artifacts of another workflow run is not supported by the local executor")
    if inputs.get("artifact-ids"):
        raise ActionError("artifact-ids is not supported by the local executor; download by name or pattern")
    raw_path = inputs.get("path") or str(cwd)
    if raw_path.startswith("~"):
        raw_path = str(home) + raw_path[1:]
    destination = Path(os.path.normpath(os.path.join(cwd, raw_path)))
    merge = _boolean(inputs.get("merge-multiple", "false"), "merge-multiple")
    available = sorted(p.name for p in store.iterdir()) if store.exists() else []
    name = inputs.get("name")
    if name:
        if name not in available:
            raise ActionError(f"Unable to download artifact(s): Artifact '{name}' not found")
        chosen, single = [name], True
    else:
        chosen = available
        if inputs.get("pattern"):
            matcher = _minimatch(inputs["pattern"])
            chosen = [a for a in available if matcher.fullmatch(a)]
        single = False
    lines = []
    for artifact in chosen:
        target = destination if single or merge else destination / artifact
        target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(store / artifact, target, dirs_exist_ok=True)
        lines.append(f"Downloaded {artifact!r} to {target}")
    lines.append(f"Total of {len(chosen)} artifact(s) downloaded")
    return {"download-path": str(destination)}, "\n".join(lines)
