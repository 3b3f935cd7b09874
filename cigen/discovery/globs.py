"""Workspace globs, matched the way each package manager matches them, and the walk.

Every package manager globs its workspace patterns with a different library,
and they disagree at the edges. What each one does (checked by running pnpm
10 and 12, npm 11's @npmcli/map-workspaces, yarn 1.22 and 4.18, uv 0.13 on
the same trees):

========================  =====  ======  ========  ===========  ======
                          pnpm   npm     yarn 1    yarn berry   uv
========================  =====  ======  ========  ===========  ======
``*`` matches ``.name``   no     no      no        no           yes
``a/**`` matches ``a``    yes    yes     yes       no           no
``!glob`` entries         drop   drop*   ignored   drop         ``exclude``
never entered             node_modules, bower_components (pnpm),
                          .git and .yarn (berry)
========================  =====  ======  ========  ===========  ======

A ``.``-led pattern segment (``examples/.*/*``) matches dot folders
everywhere. Negations match dot folders too (pnpm and npm match them with
``dot: true``), and ``!a/**`` drops ``a`` itself. (*) npm is order-sensitive:
a positive pattern that a preceding negation matches cancels that negation
(``['p/**', '!p/b/**', 'p/b/a']`` keeps ``p/b``). uv's ``exclude`` uses the
glob crate's ``matches_path``, whose ``*`` crosses ``/``.

The walk is the hot loop of ``cigen graph`` (20,000 members in well under a
second): :func:`walk` runs all patterns at once as a small automaton over the
directory tree with ``os.scandir``, lists a folder only when a wildcard needs
its entries, and descends only where some pattern can still match.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from cigen.errors import InputError

NegationMode = Literal["exclude", "npm", "ignored"]

#: never entered, whatever the patterns say (no package manager looks inside)
ALWAYS_SKIPPED = frozenset({"node_modules", ".git"})


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one package manager reads its member globs."""

    name: str
    dot: bool = False  # wildcards (``*``, ``?``, ``**``) match names that start with "."
    globstar_matches_base: bool = True  # "a/**" matches "a" itself
    negation: NegationMode = "exclude"
    skipped: frozenset[str] = field(default=ALWAYS_SKIPPED)
    exclude_star_crosses_slash: bool = False  # uv's exclude = glob::Pattern::matches_path


PNPM = Dialect("pnpm", skipped=ALWAYS_SKIPPED | {"bower_components"})
NPM = Dialect("npm", negation="npm")
BUN = Dialect("bun")
YARN_CLASSIC = Dialect("yarn", negation="ignored")
YARN_BERRY = Dialect("yarn-berry", globstar_matches_base=False, skipped=ALWAYS_SKIPPED | {".yarn"})
LERNA = Dialect("lerna")
UV = Dialect("uv", dot=True, globstar_matches_base=False, exclude_star_crosses_slash=True)
#: cigen.yaml ``workspaces`` and the default globs: pnpm's reading, the most common one
CIGEN = Dialect("cigen", skipped=PNPM.skipped)


def normalize(pattern: str) -> str:
    """``./a//b/`` -> ``a/b``; ``\\`` separators become ``/``; ``.`` stays ``.``."""
    text = pattern.replace("\\", "/").strip()
    parts: list[str] = []
    for part in text.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and parts and parts[-1] not in ("..", "**"):
            parts.pop()
        else:
            parts.append(part)
    if text.startswith("/"):
        return "/" + "/".join(parts)
    return "/".join(parts) or "."


def escapes_root(pattern: str) -> bool:
    """True for an absolute pattern or one that climbs above the root (after :func:`normalize`)."""
    norm = normalize(pattern)
    return norm.startswith("/") or bool(re.match(r"[A-Za-z]:", norm)) or norm == ".." or norm.startswith("../")


def split_negations(patterns: Iterable[str], dialect: Dialect) -> tuple[list[str], list[str]]:
    """(includes, excludes) from a list where ``!glob`` entries negate."""
    includes: list[str] = []
    excludes: list[str] = []
    for raw in patterns:
        bangs = len(raw) - len(raw.lstrip("!"))
        body = raw[bangs:]
        if bangs % 2 == 0:
            if dialect.negation == "npm":
                # A later positive pattern cancels the negations it matches (as a string).
                excludes = [ex for ex in excludes if not match_path(ex, normalize(body), dot=False)]
            includes.append(body)
        elif dialect.negation != "ignored":
            excludes.append(body)
    return includes, excludes


# --- compiling --------------------------------------------------------------------------------

GLOBSTAR = object()  # the "**" segment
Segment = object  # str (a literal name), GLOBSTAR, or a compiled regex


def expand_braces(pattern: str) -> list[str]:
    """``a/{b,c}/*`` -> ``a/b/*``, ``a/c/*`` (nested braces too; ``{x}`` stays literal)."""
    depth, start = 0, -1
    for i, c in enumerate(pattern):
        if c == "\\":
            continue
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}" and depth:
            depth -= 1
            if depth == 0:
                options = _split_top_level(pattern[start + 1 : i])
                if len(options) < 2:
                    continue
                out: list[str] = []
                for option in options:
                    out.extend(expand_braces(pattern[:start] + option + pattern[i + 1 :]))
                return out
    return [pattern]


def _split_top_level(body: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for c in body:
        if c == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += c == "{"
        depth -= c == "}"
        current.append(c)
    parts.append("".join(current))
    return parts


def _segment(text: str, dot: bool) -> Segment:
    if text == "**":
        return GLOBSTAR
    if not any(c in text for c in "*?[\\"):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = text.find("]", i + 2 if i + 1 < n and text[i + 1] in "!^" else i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = text[i + 1 : end]
                negated = body[:1] in ("!", "^")
                body = body[1:] if negated else body
                out.append("[" + ("^" if negated else "") + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    if not dot and not text.startswith("."):
        body = r"(?!\.)" + body  # a wildcard never matches a leading dot unless the pattern has one
    return re.compile(body + r"\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str
    segments: tuple[Segment, ...]


def compile_patterns(patterns: Iterable[str], dialect: Dialect) -> list[Pattern]:
    """Compile (normalized, brace-expanded) include patterns for :func:`walk`."""
    out: list[Pattern] = []
    for pattern in patterns:
        for expanded in expand_braces(normalize(pattern)):
            parts = [] if expanded == "." else expanded.split("/")
            segments: list[Segment] = [_segment(p, dialect.dot) for p in parts]
            # Collapse "**/**" and make a trailing "**" mean "one or more" where "a/**" skips "a".
            collapsed: list[Segment] = []
            for seg in segments:
                if not (seg is GLOBSTAR and collapsed and collapsed[-1] is GLOBSTAR):
                    collapsed.append(seg)
            if collapsed and collapsed[-1] is GLOBSTAR and not dialect.globstar_matches_base:
                collapsed.insert(len(collapsed) - 1, _segment("*", dialect.dot))
            out.append(Pattern(expanded, tuple(collapsed)))
    return out


# --- matching a path ----------------------------------------------------------------------------


def match_path(pattern: str, path: str, *, dot: bool = True, star_crosses_slash: bool = False) -> bool:
    """Whether ``path`` ("a/b", relative, normalized) matches ``pattern``.

    With the defaults this is how pnpm and npm match a negation: dot folders
    match, and ``a/**`` covers ``a`` itself.
    """
    return _matcher(pattern, dot, star_crosses_slash)(path)


@lru_cache(maxsize=1024)
def _matcher(pattern: str, dot: bool, star_crosses_slash: bool) -> Callable[[str], bool]:
    expanded = expand_braces(normalize(pattern))
    if star_crosses_slash:
        regexes = [_crossing_regex(p) for p in expanded]
        return lambda path: any(r.match(path) for r in regexes)
    compiled = [[_segment(p, dot) for p in ([] if e == "." else e.split("/"))] for e in expanded]

    def matches(path: str) -> bool:
        parts = [] if path == "." else path.split("/")
        return any(_match_segments(segs, 0, parts, 0, dot) for segs in compiled)

    return matches


def _crossing_regex(pattern: str) -> re.Pattern[str]:
    """glob-crate ``matches_path`` with default options: ``*`` and ``**`` cross ``/``."""
    out: list[str] = []
    for token in re.split(r"(\*\*|\*|\?)", pattern):
        if token in ("**", "*"):
            out.append(".*")
        elif token == "?":
            out.append(".")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _match_segments(segments: list[Segment], si: int, parts: list[str], pi: int, dot: bool) -> bool:
    while si < len(segments):
        seg = segments[si]
        if seg is GLOBSTAR:
            for k in range(pi, len(parts) + 1):
                if _match_segments(segments, si + 1, parts, k, dot):
                    return True
                if k < len(parts) and not dot and parts[k].startswith("."):
                    return False
            return False
        if pi >= len(parts):
            return False
        if isinstance(seg, str):
            if seg != parts[pi]:
                return False
        elif not seg.match(parts[pi]):  # type: ignore[attr-defined]
            return False
        si += 1
        pi += 1
    return pi == len(parts)


class Exclusions:
    """Negated globs (pnpm, npm, yarn berry) or uv's ``exclude`` list, compiled once."""

    def __init__(self, patterns: Iterable[str], dialect: Dialect) -> None:
        self.patterns = tuple(patterns)
        crossing = dialect.exclude_star_crosses_slash
        self._matchers = [_matcher(p, True, crossing) for p in self.patterns]
        # "!a/**" drops "a" and everything below it: the walk need not go in.
        self._subtrees = [] if crossing else [
            _matcher("**" if n == "**" else n[:-3], True, False)
            for n in map(normalize, self.patterns) if n == "**" or n.endswith("/**")
        ]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def excludes(self, path: str) -> bool:
        return any(m(path) for m in self._matchers)

    def prunes(self, path: str) -> bool:
        return any(m(path) for m in self._subtrees)


# --- walking ------------------------------------------------------------------------------------


def unreadable_folder(folder: str, exc: OSError) -> InputError:
    """A folder the workspace globs reach that cannot be listed (npm refuses an unreadable member too)."""
    return InputError(f"cannot read this folder: {exc.strerror or exc}", path=folder,
                      hint="make it readable, or leave it out of the workspace globs with a !pattern")


@dataclass(frozen=True, slots=True)
class Match:
    """A folder the patterns matched: its path (relative, "/"), its real path, its entries if known."""

    path: str
    real: str
    names: tuple[str, ...] | None  # the folder's entry names when the walk already listed it


def walk(
    root: str,
    patterns: list[Pattern],
    dialect: Dialect,
    *,
    exclusions: Exclusions | None = None,
) -> Iterator[Match]:
    """Every folder under ``root`` that a pattern matches and no exclusion drops, parents first.

    The root itself is never yielded (the caller lists the root package).
    Follows symbolic links to folders, but never into a folder it is already
    inside (a link loop); never enters ``dialect.skipped`` folders, nor
    subtrees an exclusion drops wholesale.
    """
    if not patterns:
        return
    real = os.path.realpath(root)
    walker = _Walker(patterns, dialect, exclusions)
    initial, _ = walker.step(frozenset((i, 0) for i in range(len(patterns))))
    for match in walker.walk(root, "", real, initial, {real}):
        if match.path != "." and not (exclusions and exclusions.excludes(match.path)):
            yield match


State = tuple[int, int]  # (pattern index, index of the segment it must match next)


class _Walker:
    """All patterns run at once as an automaton whose states are (pattern, segment) pairs."""

    def __init__(self, patterns: list[Pattern], dialect: Dialect, exclusions: Exclusions | None) -> None:
        self.patterns = patterns
        self.dialect = dialect
        self.exclusions = exclusions
        # A folder's state set depends only on its parent's set and its name, so there are few
        # distinct sets: the closure (and whether nothing below can match) is computed once each.
        self._steps: dict[frozenset[State], tuple[frozenset[State], bool]] = {}

    def step(self, states: frozenset[State]) -> tuple[frozenset[State], bool]:
        """The states with every "**" also matching nothing, and whether all of them are complete."""
        known = self._steps.get(states)
        if known is None:
            out = set(states)
            stack = list(out)
            while stack:
                pi, si = stack.pop()
                segs = self.patterns[pi].segments
                if si < len(segs) and segs[si] is GLOBSTAR and (pi, si + 1) not in out:
                    out.add((pi, si + 1))
                    stack.append((pi, si + 1))
            leaf = all(si == len(self.patterns[pi].segments) for pi, si in out)
            known = self._steps[states] = (frozenset(out), leaf)
        return known

    def walk(
        self, dir_path: str, prefix: str, real: str, states: frozenset[State], ancestors: set[str]
    ) -> Iterator[Match]:
        # What each live state needs from this folder's children.
        literal_needs: dict[str, set[State]] = {}
        wildcard_states: list[tuple[int, int, Segment]] = []
        matched_here = False
        for pi, si in states:
            segs = self.patterns[pi].segments
            if si == len(segs):
                matched_here = True
                continue
            seg = segs[si]
            if isinstance(seg, str):
                literal_needs.setdefault(seg, set()).add((pi, si + 1))
            else:
                wildcard_states.append((pi, si, seg))

        names: tuple[str, ...] | None = None
        children: list[tuple[str, bool]] = []  # (name, is_symlink)
        if wildcard_states:
            try:
                with os.scandir(dir_path) as it:
                    entries = list(it)
            except (FileNotFoundError, NotADirectoryError):
                entries = []  # gone since its parent was listed
            except OSError as exc:
                raise unreadable_folder(dir_path, exc) from None  # its members would drop out without a word
            names = tuple(e.name for e in entries)
            for e in entries:
                try:
                    if e.is_dir():
                        children.append((e.name, e.is_symlink()))
                except OSError:
                    continue
        else:
            # Only literal names can match below: look them up instead of listing the folder.
            for name in literal_needs:
                child = f"{dir_path}/{name}"
                if os.path.isdir(child):
                    children.append((name, os.path.islink(child)))

        if matched_here:
            yield Match(prefix.rstrip("/") or ".", real, names)

        skipped, exclusions, dot = self.dialect.skipped, self.exclusions, self.dialect.dot
        for name, is_link in sorted(children):
            if name in skipped:
                continue
            rel = prefix + name
            if exclusions and exclusions.prunes(rel):
                continue
            next_states: set[State] = set(literal_needs.get(name, ()))
            hidden = name.startswith(".")
            for pi, si, seg in wildcard_states:
                if seg is GLOBSTAR:
                    if hidden and not dot:
                        continue
                    next_states.add((pi, si))  # "**" eats this folder and may eat more
                elif seg.match(name):  # type: ignore[attr-defined]
                    next_states.add((pi, si + 1))
            if not next_states:
                continue
            child_path = f"{dir_path}/{name}"
            child_real = os.path.realpath(child_path) if is_link else f"{real}/{name}"
            if child_real in ancestors:
                continue  # a link back to a folder we are inside: a loop
            child_states, leaf = self.step(frozenset(next_states))
            if leaf:
                yield Match(rel, child_real, None)  # nothing below can match: no need to look
                continue
            ancestors.add(child_real)
            try:
                yield from self.walk(child_path, rel + "/", child_real, child_states, ancestors)
            finally:
                ancestors.discard(child_real)
