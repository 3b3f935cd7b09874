"""Selecting members with Turborepo's filter syntax.

=====================  ======================================================
pattern                selects
=====================  ======================================================
``web``                the member named ``web``
``@acme/*``            members whose name matches the glob (``*``: anything)
``./apps/*``           members whose path matches the glob (``*`` stays inside
                       one folder, ``**`` crosses folders); any pattern that
                       starts with ``./`` or holds a ``/`` outside a scope is
                       a path, and ``{./apps/*}`` says so explicitly
``...web``             ``web`` and every member that depends on it
``web...``             ``web`` and every member it depends on
``...web...``          ``web``, its dependents, and everything they depend on
``...^web``            the dependents without ``web`` itself
``web^...``            the dependencies without ``web`` itself
``!pattern``           remove what ``pattern`` selects
=====================  ======================================================

Path globs are :mod:`cigen.pathglob`'s, the syntax of cigen.yaml's
``affected:`` globs (``[abc]`` classes included), matched against member
paths; name globs are :func:`cigen.pathglob.name_regex`'s.

Patterns without ``!`` add up; ``!`` patterns are removed afterwards, from
every member when no pattern adds any. Dependents and dependencies are
transitive, as in ``turbo run --filter``. Turborepo's git ranges
(``[main]``, ``api...[HEAD^1]``: a bracket in a name, or a bracketed part
ending the pattern after nothing, ``}`` or ``...``) are ``cigen affected``'s
job. A pattern that selects nothing is
an error: a typo must not turn into an empty (green) CI run. So is a
pattern that matches members but selects none (``a^...`` when ``a`` depends
on nothing), and ``!`` patterns that leave nothing: turbo runs nothing there
and exits 0 with a warning, which in CI reads as a pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cigen.errors import InputError
from cigen.suggest import did_you_mean
from cigen.graph.graph import Graph
from cigen.pathglob import glob_regex, name_regex

_BRACES = re.compile(r"^(?P<name>[^{}]*)\{(?P<dir>[^{}]*)\}$")
_GIT_RANGE = re.compile(r"(?:^|\}|\.\.\.)\[[^\[\]]*\]$")


@dataclass(frozen=True, slots=True)
class Selector:
    raw: str
    name: str | None  # a name glob
    directory: str | None  # a path glob, relative to the root, without "./"
    exclude: bool = False
    dependents: bool = False
    dependencies: bool = False
    exclude_self: bool = False


def select(g: Graph, patterns: Sequence[str]) -> set[str]:
    """The member paths of ``g`` that ``patterns`` select; a selection of nothing is an error."""
    selectors = [parse_selector(p) for p in patterns]
    includes = [s for s in selectors if not s.exclude]
    chosen: set[str] = set()
    for selector in includes:
        chosen |= _resolve(g, selector)
    if not includes:
        chosen = set(g)
    for selector in selectors:
        if selector.exclude:
            chosen -= _resolve(g, selector)
    if not chosen and g.members:
        shown = " ".join(repr(p) for p in patterns)
        raise InputError(f"the selection {shown} selects nothing: its ! patterns exclude every member it selects",
                         hint="drop or narrow a ! pattern")
    return chosen


def parse_selector(raw: str) -> Selector:
    body = raw.strip()
    exclude = body.startswith("!")
    body = body.removeprefix("!")
    exclude_self = False
    dependencies = body.endswith("...")
    if dependencies:
        body = body[:-3]
        if body.endswith("^"):
            body, exclude_self = body[:-1], True
    dependents = body.startswith("...")
    if dependents:
        body = body[3:]
        if body.startswith("^"):
            body, exclude_self = body[1:], True

    def bad(why: str, hint: str) -> InputError:
        return InputError(f"selection {raw!r}: {why}", hint=hint)

    git_range = bad("git ranges are not supported here", "use `cigen affected --base REF` for what a change affects")
    if _GIT_RANGE.search(body):
        raise git_range
    if body.startswith("^") or body.endswith("^"):
        raise bad("^ goes with ...", "write ...^name (dependents only) or name^... (dependencies only)")
    name: str | None = body
    directory: str | None = None
    braced = _BRACES.match(body)
    if braced:
        name = braced["name"] or None
        directory = braced["dir"]
        if not directory:
            raise bad("empty {}", "put a path inside the braces, e.g. {./apps/*}")
    elif body in (".", "..") or body.startswith(("./", "../")) or ("/" in body and not body.startswith("@")):
        name, directory = None, body
    if name and ("[" in name or "]" in name):
        raise git_range
    if not name and directory is None:
        raise bad("nothing to match", "give a name, a glob or a path, e.g. web, @acme/*, ./apps/*")
    if directory is not None:
        directory = _normalise_path(raw, directory)
    return Selector(raw, name, directory, exclude, dependents, dependencies, exclude_self)


def _normalise_path(raw: str, path: str) -> str:
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InputError(
            f"selection {raw!r}: the path leaves the workspace root", hint="write paths relative to the root"
        )
    return "/".join(parts) or "."


def _resolve(g: Graph, selector: Selector) -> set[str]:
    matched = _match(g, selector)
    result = set(matched)
    if selector.dependents:
        result |= g.dependents(matched)
    if selector.dependencies:
        result |= g.dependencies(result)
    if selector.exclude_self:
        result -= matched
        if not result:
            raise _nothing_around(g, selector, matched)
    return result


def _nothing_around(g: Graph, selector: Selector, matched: set[str]) -> InputError:
    """``a^...`` when ``a`` depends on nothing (or ``...^a`` when nothing depends on it): 0 services, said so."""
    names = sorted(g.members[p].name or p for p in matched)
    who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    one = len(names) == 1
    core = selector.raw.strip().removeprefix("!").removeprefix("...").removesuffix("...").replace("^", "")
    if selector.dependents and selector.dependencies:
        why = f"nothing depends on {who} and {'it depends' if one else 'they depend'} on nothing"
        hint = f"did you mean {core}?"
    elif selector.dependencies:
        why = f"{who} {'depends on no other member' if one else 'depend on no member besides themselves'}"
        hint = f"did you mean ...^{core}, what depends on {'it' if one else 'them'}?" if g.dependents(matched) \
            else f"did you mean {core}?"
    else:
        why = f"no {'other ' if one else ''}member depends on {who}"
        hint = f"did you mean {core}^..., what {'it depends' if one else 'they depend'} on?" \
            if g.dependencies(matched) else f"did you mean {core}?"
    return InputError(f"selection {selector.raw!r} selects nothing: {why}", hint=hint)


def _match(g: Graph, selector: Selector) -> set[str]:
    members = g.members
    candidates = set(members)
    if selector.directory is not None:
        pattern = re.compile(glob_regex(selector.directory))
        candidates = {p for p in candidates if pattern.fullmatch(p)}
    if selector.name is not None:
        pattern = re.compile(name_regex(selector.name))
        candidates = {p for p in candidates if (name := members[p].name) and pattern.fullmatch(name)}
    if not candidates:
        if selector.name is not None:
            wanted, known = selector.name, sorted({m.name for m in members.values() if m.name})
        else:
            wanted, known = selector.directory or "", sorted(members)
        hint = did_you_mean(wanted, known) or "`cigen graph --format text` lists the members"
        raise InputError(f"selection {selector.raw!r} matches no member", hint=hint)
    return candidates
