"""npm's semver ranges, as node-semver 7 evaluates them in loose mode.

Every Node package manager decides "does this workspace member satisfy this
range?" with node-semver (npm, pnpm, yarn) or a reimplementation of it (bun),
so this module ports the parts of node-semver 7 that decide it: loose version
parsing, range desugaring (x-ranges, ``~``, ``^``, hyphen ranges, ``||``) and
the prerelease rule (a prerelease only satisfies a comparator set that names a
prerelease of the same ``major.minor.patch``). tests/discovery/test_semver.py
checks it case by case against the real node-semver.

Why not a library: PyPI's ``node-semver`` ports node-semver 5 (it misses 7's
``-0`` upper bounds and its ``*`` collapsing of ``||`` unions) and
``semantic_version``'s ``NpmSpec`` rejects the loose forms npm accepts
(``~*``, ``^*``, ``>= 1.2``), both measured against node-semver; and linking
20,000 members needs compiled ranges that compare plain tuples.

Parsed versions and ranges are cached by their string: a monorepo repeats a
handful of ranges (``*``, ``^1.0.0``) across thousands of manifests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

MAX_LENGTH = 256
MAX_SAFE_INTEGER = 2**53 - 1

# --- the regular expressions of node-semver's internal/re.js (loose variants) ---------------------

_NUM = r"\d+"
_NONNUM = r"\d*[a-zA-Z-][a-zA-Z0-9-]*"
_PRE_ID = rf"(?:{_NONNUM}|{_NUM})"
_PRE = rf"(?:-?({_PRE_ID}(?:\.{_PRE_ID})*))"
_BUILD = r"(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))"
_PLAIN = rf"[v=\s]*({_NUM})\.({_NUM})\.({_NUM}){_PRE}?{_BUILD}?"
_GTLT = r"((?:<|>)?=?)"
_XID = rf"{_NUM}|x|X|\*"
_XPLAIN = rf"[v=\s]*({_XID})(?:\.({_XID})(?:\.({_XID})(?:{_PRE})?{_BUILD}?)?)?"
# The same, without capture groups, for COMPARATORTRIM's alternation.
_PLAIN_NC = re.sub(r"\((?!\?)", "(?:", _PLAIN)
_XPLAIN_NC = re.sub(r"\((?!\?)", "(?:", _XPLAIN)

_A = re.ASCII
LOOSE = re.compile(rf"^{_PLAIN}$", _A)
_COMPARATOR = re.compile(rf"^{_GTLT}\s*({_PLAIN_NC})$|^$", _A)
_COMPARATOR_TRIM = re.compile(rf"(\s*){_GTLT}\s*({_PLAIN_NC}|{_XPLAIN_NC})", _A)
_TILDE_TRIM = re.compile(r"(\s*)(?:~>?)\s+", _A)
_CARET_TRIM = re.compile(r"(\s*)(?:\^)\s+", _A)
_TILDE = re.compile(rf"^(?:~>?){_XPLAIN}$", _A)
_CARET = re.compile(rf"^(?:\^){_XPLAIN}$", _A)
_XRANGE = re.compile(rf"^{_GTLT}\s*{_XPLAIN}$", _A)
_HYPHEN = re.compile(rf"^\s*({_XPLAIN})\s+-\s+({_XPLAIN})\s*$", _A)
_STAR = re.compile(r"(<|>)?=?\s*\*", _A)
_GTE0 = re.compile(r"^\s*>=\s*0\.0\.0\s*$", _A)
_SPACES = re.compile(r"\s+", _A)
_DIGITS = re.compile(r"^[0-9]+$", _A)


@dataclass(frozen=True, slots=True)
class Version:
    """A parsed version; ``key`` orders versions as node-semver's ``compare`` does."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...]
    key: tuple[object, ...]

    @property
    def text(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        return f"{base}-{'.'.join(map(str, self.prerelease))}" if self.prerelease else base


def _pre_key(identifier: int | str) -> tuple[int, int | str]:
    # Numeric identifiers sort before alphanumeric ones (semver 2.0.0, rule 11).
    return (0, identifier) if isinstance(identifier, int) else (1, identifier)


@lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """A loose version (``v1.2.3``, ``=1.2.3-beta.1``), or None when npm would reject it."""
    if len(text) > MAX_LENGTH:
        return None
    m = LOOSE.match(text.strip())
    if not m:
        return None
    major, minor, patch = int(m[1]), int(m[2]), int(m[3])
    if max(major, minor, patch) > MAX_SAFE_INTEGER:
        return None
    pre: tuple[int | str, ...] = ()
    if m[4]:
        pre = tuple(int(i) if _DIGITS.match(i) and int(i) < MAX_SAFE_INTEGER else i for i in m[4].split("."))
    # A release sorts after all of its prereleases: 1 after 0.
    key = (major, minor, patch, 0 if pre else 1, tuple(_pre_key(i) for i in pre))
    return Version(major, minor, patch, pre, key)


# --- comparators and ranges -----------------------------------------------------------------------

_TESTS = {
    "": lambda a, b: a == b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


@dataclass(frozen=True, slots=True)
class Comparator:
    operator: str  # "", ">", ">=", "<", "<="
    version: Version | None  # None: ANY (matches everything)

    @property
    def value(self) -> str:
        return "" if self.version is None else self.operator + self.version.text

    def test(self, version: Version) -> bool:
        return self.version is None or _TESTS[self.operator](version.key, self.version.key)


_NULL_SET = "<0.0.0-0"


@dataclass(frozen=True, slots=True)
class Range:
    """A union of comparator sets; ``test`` is node-semver's ``Range.test`` in loose mode."""

    raw: str
    sets: tuple[tuple[Comparator, ...], ...]

    @property
    def is_any(self) -> bool:
        """True for ``*``, ``x``, ``>=0.0.0``, ``""``: ranges with no bound at all."""
        return len(self.sets) == 1 and len(self.sets[0]) == 1 and self.sets[0][0].version is None

    def test(self, version: Version) -> bool:
        return any(_test_set(s, version) for s in self.sets)


def _test_set(comparators: tuple[Comparator, ...], version: Version) -> bool:
    if not all(c.test(version) for c in comparators):
        return False
    if not version.prerelease:
        return True
    # A prerelease passes only where a comparator of the set opted in to that very release line.
    return any(
        c.version is not None
        and c.version.prerelease
        and (c.version.major, c.version.minor, c.version.patch) == (version.major, version.minor, version.patch)
        for c in comparators
    )


def _is_x(part: str | None) -> bool:
    return not part or part.lower() == "x" or part == "*"


def _tilde(comp: str) -> str:
    def repl(m: re.Match[str]) -> str:
        M, mi, p, pr = m[1], m[2], m[3], m[4]
        if _is_x(M):
            return ""
        if _is_x(mi):
            return f">={M}.0.0 <{int(M) + 1}.0.0-0"
        if _is_x(p):
            return f">={M}.{mi}.0 <{M}.{int(mi) + 1}.0-0"
        if pr:
            return f">={M}.{mi}.{p}-{pr} <{M}.{int(mi) + 1}.0-0"
        return f">={M}.{mi}.{p} <{M}.{int(mi) + 1}.0-0"

    return _TILDE.sub(repl, comp, count=1)


def _caret(comp: str) -> str:
    def repl(m: re.Match[str]) -> str:
        M, mi, p, pr = m[1], m[2], m[3], m[4]
        if _is_x(M):
            return ""
        if _is_x(mi):
            return f">={M}.0.0 <{int(M) + 1}.0.0-0"
        if _is_x(p):
            if M == "0":
                return f">={M}.{mi}.0 <{M}.{int(mi) + 1}.0-0"
            return f">={M}.{mi}.0 <{int(M) + 1}.0.0-0"
        low = f">={M}.{mi}.{p}-{pr}" if pr else f">={M}.{mi}.{p}"
        if M == "0":
            if mi == "0":
                return f"{low} <{M}.{mi}.{int(p) + 1}-0"
            return f"{low} <{M}.{int(mi) + 1}.0-0"
        return f"{low} <{int(M) + 1}.0.0-0"

    return _CARET.sub(repl, comp, count=1)


def _xrange(comp: str) -> str:
    def repl(m: re.Match[str]) -> str:
        gtlt, M, mi, p = m[1], m[2], m[3], m[4]
        x_major = _is_x(M)
        x_minor = x_major or _is_x(mi)
        any_x = x_minor or _is_x(p)
        if gtlt == "=" and any_x:
            gtlt = ""
        if x_major:
            return "<0.0.0-0" if gtlt in (">", "<") else "*"
        if gtlt and any_x:
            major, minor = int(M), 0 if x_minor else int(mi)
            if gtlt == ">":
                gtlt = ">="
                major, minor = (major + 1, 0) if x_minor else (major, minor + 1)
            elif gtlt == "<=":
                gtlt = "<"
                major, minor = (major + 1, minor) if x_minor else (major, minor + 1)
            return f"{gtlt}{major}.{minor}.0{'-0' if gtlt == '<' else ''}"
        if x_minor:
            return f">={M}.0.0 <{int(M) + 1}.0.0-0"
        if any_x:
            return f">={M}.{mi}.0 <{M}.{int(mi) + 1}.0-0"
        return m[0]

    return _XRANGE.sub(repl, comp.strip(), count=1)


def _hyphen(m: re.Match[str]) -> str:
    # Groups: 1 from (2-4 major.minor.patch, 5 prerelease, 6 build), 7 to (8-10, 11 prerelease, 12 build).
    frm, fM, fm, fp = m[1], m[2], m[3], m[4]
    to, tM, tm, tp, tpr = m[7], m[8], m[9], m[10], m[11]
    if _is_x(fM):
        low = ""
    elif _is_x(fm):
        low = f">={fM}.0.0"
    elif _is_x(fp):
        low = f">={fM}.{fm}.0"
    else:
        low = f">={frm}"  # with its prerelease, if any, as written
    if _is_x(tM):
        high = ""
    elif _is_x(tm):
        high = f"<{int(tM) + 1}.0.0-0"
    elif _is_x(tp):
        high = f"<{tM}.{int(tm) + 1}.0-0"
    elif tpr:
        high = f"<={tM}.{tm}.{tp}-{tpr}"
    else:
        high = f"<={to}"
    return f"{low} {high}".strip()


def _each(transform: Callable[[str], str], comp: str) -> str:
    return " ".join(transform(c) for c in _SPACES.split(comp.strip()))


class _Invalid(ValueError):
    """node-semver throws: the whole range is invalid."""


def _parse_comparator(m: re.Match[str]) -> Comparator:
    if not m[2]:
        return Comparator("", None)
    version = parse_version(m[2])
    if version is None:  # e.g. a component beyond Number.MAX_SAFE_INTEGER
        raise _Invalid(m[2])
    return Comparator("" if m[1] in (None, "=") else m[1], version)


def _parse_set(text: str) -> tuple[Comparator, ...]:
    text = _HYPHEN.sub(_hyphen, text, count=1)
    text = _COMPARATOR_TRIM.sub(lambda m: (m[1] or "") + (m[2] or "") + (m[3] or ""), text)
    text = _TILDE_TRIM.sub(lambda m: (m[1] or "") + "~", text)
    text = _CARET_TRIM.sub(lambda m: (m[1] or "") + "^", text)
    parts = []
    for comp in text.split(" "):
        comp = _each(_caret, comp)
        comp = _each(_tilde, comp)
        comp = _each(_xrange, comp)
        comp = _STAR.sub("", comp.strip(), count=1)
        parts.append(comp)
    candidates = [_GTE0.sub("", c.strip()) for c in _SPACES.split(" ".join(parts))]
    # Loose mode drops what is not a comparator at all ("foo" in "foo ^1").
    comparators: dict[str, Comparator] = {}
    for c in candidates:
        m = _COMPARATOR.match(c)
        if m is None:
            continue
        comparator = _parse_comparator(m)
        if comparator.value == _NULL_SET:
            return (comparator,)
        comparators[comparator.value] = comparator
    if len(comparators) > 1:
        comparators.pop("", None)
    return tuple(comparators.values())


@lru_cache(maxsize=16384)
def parse_range(text: str) -> Range | None:
    """A loose range (``^1.2``, ``1.x || >=2.5.0``, ``1.2.3 - 2``), or None if npm finds it invalid."""
    if len(text) > MAX_LENGTH:
        return None
    raw = _SPACES.sub(" ", text.strip())
    try:
        sets = [s for s in (_parse_set(part.strip()) for part in raw.split("||")) if s]
    except _Invalid:
        return None
    if not sets:
        return None
    if len(sets) > 1:
        first = sets[0]
        sets = [s for s in sets if s[0].value != _NULL_SET] or [first]
        # node-semver 7: a union with an unbounded alternative is just "*".
        for s in sets:
            if len(s) == 1 and s[0].version is None:
                sets = [s]
                break
    return Range(raw, tuple(sets))


def satisfies(version: str | None, range_text: str) -> bool:
    """node-semver's ``satisfies(version, range, {loose: true})``."""
    parsed_range = parse_range(range_text)
    parsed = parse_version(version) if version is not None else None
    return parsed is not None and parsed_range is not None and parsed_range.test(parsed)


def max_satisfying(versions: list[str], range_text: str) -> str | None:
    """The highest of ``versions`` that satisfies the range (first of equals), as node-semver picks."""
    parsed_range = parse_range(range_text)
    if parsed_range is None:
        return None
    best: tuple[tuple[object, ...], str] | None = None
    for text in versions:
        v = parse_version(text)
        if v is not None and parsed_range.test(v) and (best is None or v.key > best[0]):
            best = (v.key, text)
    return best[1] if best else None
