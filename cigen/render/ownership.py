"""What cigen owns in the workflow file, and keeping everything else a person adds.

cigen owns:

- the header comment at the top of the file (it carries the ownership marker);
- the top-level keys ``name``, ``permissions`` and ``concurrency``;
- the triggers it writes under ``on:`` (``pull_request``, ``push``,
  ``workflow_dispatch``);
- the jobs it writes: ``plan``, ``integration``, ``cigen`` and every
  ``stage-N`` / ``stage-N-part-M`` (including ones an earlier generation wrote
  that the current plan no longer has: these ids are reserved);
- everything inside those, comments included.

Everything else is yours and survives ``cigen generate``: other triggers
(``schedule``, ``merge_group``, ...), top-level ``env``, ``defaults`` or
``run-name``, other jobs, and the comments around them. A key you add keeps
its place: it follows the key it followed before. To change something cigen
owns, change cigen.yaml (``workflow.setup`` adds steps to every leg).
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from cigen import reporting
from cigen.adapters.write import owns

OWNED_TOP = frozenset({"name", "on", "permissions", "concurrency", "jobs"})
OWNED_TRIGGERS = frozenset({"pull_request", "push", "workflow_dispatch"})
OWNED_JOB = re.compile(r"plan|integration|cigen|stage-\d+(?:-part-\d+)?")


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
) -> str:
    """The text of ``fresh`` with what a person added to ``existing_text``, when cigen generated that file.

    A file that does not open with the header line ``fresh`` opens with
    (:func:`cigen.adapters.write.owns`) contributes nothing: it is a person's,
    and writing over it is the caller's decision. ``owned_jobs`` and
    ``owned_triggers`` are what cigen writes in this file (by default the main
    workflow's; the impact workflow owns its own).
    """
    text = dump(fresh)
    # The usual case, a file nobody edited: no need to read it as YAML (slow for large ones).
    if existing_text is None or not owns(existing_text, text) or existing_text.replace("\r\n", "\n") == text:
        return text
    existing = load(existing_text)
    if not isinstance(existing, CommentedMap):
        return text
    lines = existing_text.splitlines()
    # Lines above the first key are the header: cigen's, never a kept comment.
    floor = existing.lc.key(next(iter(existing)))[0] if existing else 0
    kept = _keep(fresh, existing, lambda key: key in OWNED_TOP, lines, floor)
    on, old_on = fresh.get("on"), existing.get("on")
    if isinstance(on, CommentedMap) and isinstance(old_on, CommentedMap):
        kept += _keep(on, old_on, lambda key: key in owned_triggers, lines, floor)
    jobs, old_jobs = fresh.get("jobs"), existing.get("jobs")
    if isinstance(jobs, CommentedMap) and isinstance(old_jobs, CommentedMap):
        kept += _keep(
            jobs, old_jobs, lambda key: isinstance(key, str) and owned_jobs.fullmatch(key) is not None, lines, floor
        )
        _warn_dangling_needs(jobs)
    if kept:  # else fresh is as it was dumped above
        text = dump(fresh)
    # Comments at the end of the file: ruamel hangs them on the last value, which
    # may be cigen's and replaced; put them back when they went with it.
    trailing = _comments_before(lines, len(lines), floor)
    if trailing and not text.endswith("\n".join(trailing) + "\n"):
        text += "\n".join(trailing) + "\n"
    return text


def _warn_dangling_needs(jobs: CommentedMap) -> None:
    """A kept job that needs a job cigen no longer writes would make the workflow invalid: say so."""
    for job_id, job in jobs.items():
        needs = job.get("needs") if isinstance(job, dict) else None
        for needed in [needs] if isinstance(needs, str) else needs if isinstance(needs, list) else []:
            if needed not in jobs:
                reporting.warn(
                    f"your job {job_id} needs {needed}, which the workflow no longer has; update its needs"
                )


def _comments_before(lines: list[str], index: int, floor: int) -> list[str]:
    """The comment lines right above line ``index`` (0-based, not above ``floor``), blanks dropped."""
    found: list[str] = []
    i = index - 1
    while i >= floor and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        if lines[i].strip():
            found.append(lines[i])
        i -= 1
    return found[::-1]


def _keep(target: CommentedMap, source: CommentedMap, owned: Any, lines: list[str], floor: int) -> int:
    """Copy ``source``'s keys that are not ``owned`` into ``target``, each after the key it followed; how many.

    A comment above a kept key goes with it. ruamel stores such a comment on
    the last value before it; when that value is cigen's (replaced), the
    comment is put back above the key here.
    """
    position = -1  # where the previous key of `source` sits in `target`
    previous_owned = True
    kept = 0
    # Each key's place in `target`, built again only after an insert moved them: looking a place up
    # by scanning the keys would make thousands of stage jobs quadratic.
    places: dict[Any, int] | None = None
    for key in list(source):
        if owned(key):
            if key in target:
                if places is None:
                    places = {k: i for i, k in enumerate(target)}
                position = places[key]
            previous_owned = True
            continue
        position += 1
        target.insert(position, key, source[key])
        places = None
        kept += 1
        comment = source.ca.items.get(key)
        if comment is not None:
            target.ca.items[key] = comment
        # After a flow value ([main], {}) ruamel keeps the comment on the key itself.
        if previous_owned and not (comment is not None and comment[1]):
            line, column = source.lc.key(key)
            above = _comments_before(lines, line, floor)
            if above:
                text = "\n".join(c.strip()[1:].removeprefix(" ") for c in above)
                target.yaml_set_comment_before_after_key(key, before=text, indent=column)
        previous_owned = False
    return kept


__all__ = ["OWNED_JOB", "YAMLError", "dump", "load", "regenerate"]
