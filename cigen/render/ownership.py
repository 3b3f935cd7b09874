"""What cigen owns in the workflow file, and keeping everything else a person adds.

cigen owns:

- the header comment at the top of the file (it carries the ownership marker);
- the top-level keys ``name``, ``permissions`` and ``concurrency``;
- the triggers it writes under ``on:`` (``pull_request``, ``push``,
  ``workflow_dispatch``);
- the jobs it writes: ``plan``, ``integration``, ``cigen`` and every
  ``stage-N`` / ``stage-N-part-M`` (including ones an earlier generation wrote
  that the current plan no longer has: these ids are reserved);
- everything inside those, but for your comments.

Everything else is yours and survives ``cigen generate``: other triggers
(``schedule``, ``merge_group``, ...), top-level ``env``, ``defaults`` or
``run-name``, other jobs. A key you add keeps its place: it follows the key
it followed before. To change something cigen owns, change cigen.yaml
(``workflow.setup`` adds steps to every leg).

Comments are yours wherever they are, in what cigen owns too: each stays at
the key or step it is written above or after (:mod:`cigen.render.comments`).
cigen's own comments are the header and the release tag after a pinned
action (a note of yours on such a line goes on the line above). A comment on
something cigen no longer writes (a stage the plan dropped) stops
``cigen generate`` with its line, rather than vanish: move it, or pass
``--force`` to drop it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import Comment, CommentedMap, CommentedSeq, comment_attrib
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from cigen import reporting
from cigen.adapters.write import owns
from cigen.errors import InputError
from cigen.render.comments import CommentsChangeValues, Layout, carry, layout

OWNED_TOP = frozenset({"name", "on", "permissions", "concurrency", "jobs"})
OWNED_TRIGGERS = frozenset({"pull_request", "push", "workflow_dispatch"})
OWNED_JOB = re.compile(r"plan|integration|cigen|timings|stage-\d+(?:-part-\d+)?")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096  # never fold a long expression across lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def dump(doc: CommentedMap) -> str:
    stream = io.StringIO()
    _yaml().dump(doc, stream)
    return stream.getvalue()


def load(text: str) -> Any:
    """The document in ``text`` with comments and order; raises ruamel's YAMLError when malformed."""
    return _yaml().load(text)


def regenerate(
    fresh: CommentedMap,
    existing_text: str | None,
    *,
    owned_jobs: re.Pattern[str] = OWNED_JOB,
    owned_triggers: frozenset[str] = OWNED_TRIGGERS,
    path: Path | str | None = None,
    drop_lost: bool = False,
) -> str:
    """The text of ``fresh`` with what a person added to ``existing_text``, when cigen generated that file.

    A file that does not open with the header line ``fresh`` opens with
    (:func:`cigen.adapters.write.owns`) contributes nothing: it is a person's,
    and writing over it is the caller's decision. ``owned_jobs`` and
    ``owned_triggers`` are what cigen writes in this file (by default the main
    workflow's; the impact workflow owns its own).

    Every comment of the file on disk is kept at the node it was written at
    (:mod:`cigen.render.comments`), in what cigen owns too; one whose node cigen
    no longer writes is an :class:`~cigen.errors.InputError` naming it (the file
    is ``path``), or with ``drop_lost`` a warning.
    """
    text = dump(fresh)
    if existing_text is None or not owns(existing_text, text):
        return text
    existing_text = existing_text.replace("\r\n", "\n")
    # The usual case, a file nobody edited: no need to read it as YAML (slow for large ones).
    if existing_text == text:
        return text
    existing = load(existing_text)
    if not isinstance(existing, CommentedMap):
        return text
    old = layout(existing_text)
    _drop_comments(existing)  # they go back by place, below, with the rest
    kept = _keep(fresh, existing, lambda key: key in OWNED_TOP)
    on, old_on = fresh.get("on"), existing.get("on")
    if isinstance(on, CommentedMap) and isinstance(old_on, CommentedMap):
        kept += _keep(on, old_on, lambda key: key in owned_triggers)
    jobs, old_jobs = fresh.get("jobs"), existing.get("jobs")
    if isinstance(jobs, CommentedMap) and isinstance(old_jobs, CommentedMap):
        kept += _keep(jobs, old_jobs, lambda key: isinstance(key, str) and owned_jobs.fullmatch(key) is not None)
        _warn_dangling_needs(jobs)
    if kept:  # else fresh is as it was dumped above
        text = dump(fresh)
    return _carried(old, text, path, drop_lost)


def keep_comments(text: str, existing_text: str | None, *, path: Path | str | None = None,
                  drop_lost: bool = False) -> str:
    """``text``, a YAML file cigen writes whole (a composite action it generates), with a person's comments.

    As :func:`regenerate` does for a workflow, but nothing else of the file
    on disk is kept: every key of such a file is cigen's.
    """
    if existing_text is None or not owns(existing_text, text):
        return text
    existing_text = existing_text.replace("\r\n", "\n")
    if existing_text == text:
        return text
    return _carried(layout(existing_text), text, path, drop_lost)


def _carried(old: Layout, text: str, path: Path | str | None, drop_lost: bool) -> str:
    """``text`` with the comments of the old file, laid out as ``old``; refused or warned about when one is lost."""
    try:
        merged, lost = carry(old, layout(text))
    except CommentsChangeValues:
        if drop_lost:
            reporting.warn(f"{path or 'the file'}: dropped your comments: kept, they would change a value")
            return text
        raise InputError(
            "cannot keep your comments without changing a value of the workflow (this is a bug in cigen: "
            "please report it with the file)", path=path,
            hint="rerun with --force to regenerate the file without your comments",
        ) from None
    if lost and not drop_lost:
        first = lost[0]
        more = f" ({len(lost) - 1} more comment{'s' if len(lost) > 2 else ''} too)" if len(lost) > 1 else ""
        raise InputError(
            f"cannot keep your comment {first.text!r}: it is on {first.node}, which cigen no longer writes{more}",
            path=path, line=first.line,
            hint="move it above a key that stays (jobs:, a job or trigger of yours) or to the end of the file, "
                 "or rerun with --force to drop it",
        )
    for gone in lost:
        reporting.warn(f"{path or 'the file'}:{gone.line}: dropped your comment {gone.text!r}: "
                       f"it was on {gone.node}, which cigen no longer writes")
    return merged


def _drop_comments(value: Any) -> None:
    """Take every comment off a loaded document (ruamel keeps them on the nodes, and in block scalars)."""
    if isinstance(value, (CommentedMap, CommentedSeq)):
        setattr(value, comment_attrib, Comment())
        for child in value.values() if isinstance(value, CommentedMap) else value:
            if isinstance(child, (LiteralScalarString, FoldedScalarString)):
                setattr(child, "comment", None)  # the comment after `|` or `>` (untyped in ruamel)
            else:
                _drop_comments(child)


def _warn_dangling_needs(jobs: CommentedMap) -> None:
    """A kept job that needs a job cigen no longer writes would make the workflow invalid: say so."""
    for job_id, job in jobs.items():
        needs = job.get("needs") if isinstance(job, dict) else None
        for needed in [needs] if isinstance(needs, str) else needs if isinstance(needs, list) else []:
            if needed not in jobs:
                reporting.warn(
                    f"your job {job_id} needs {needed}, which the workflow no longer has; update its needs"
                )


def _keep(target: CommentedMap, source: CommentedMap, owned: Any) -> int:
    """Copy ``source``'s keys that are not ``owned`` into ``target``, each after the key it followed; how many."""
    position = -1  # where the previous key of `source` sits in `target`
    kept = 0
    # Each key's place in `target`, built again only after an insert moved them: looking a place up
    # by scanning the keys would make thousands of stage jobs quadratic.
    places: dict[Any, int] | None = None
    for key in list(source):
        if owned(key) or key in target:  # a key cigen writes now is cigen's, whoever wrote it before
            if key in target:
                if places is None:
                    places = {k: i for i, k in enumerate(target)}
                position = places[key]
            continue
        position += 1
        target.insert(position, key, source[key])
        places = None
        kept += 1
    return kept


YAMLErrors = (YAMLError, yaml.YAMLError)  # ruamel's, reading the file; PyYAML's, placing its comments

__all__ = ["OWNED_JOB", "YAMLErrors", "dump", "keep_comments", "load", "regenerate"]
