"""File matching as @actions/glob does it, for upload-artifact and hashFiles.

- One pattern per line; blank lines and ``#`` comments are ignored; ``!``
  negates; the last pattern that matches a path decides.
- ``*`` and ``?`` stay within one path segment, ``**`` spans segments,
  ``[...]`` is a character class; hidden files match like any other.
- Relative patterns are rooted at the working directory, ``~`` at HOME.
- A pattern that matches a directory matches everything under it.
- The search path of a pattern is its literal leading segments: upload-artifact
  roots the stored paths at it (or at the common ancestor of several).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_MAGIC = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Pattern:
    negate: bool
    absolute: str  # the pattern, absolute and normalised
    search_path: str
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        """Whether ``path`` or one of its ancestors (implicit descendants) matches."""
        while True:
            if self.regex.fullmatch(path):
                return True
            parent = os.path.dirname(path)
            if parent == path:
                return False
            path = parent


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            close = segment.find("]", i + 1)
            if close == -1:
                out.append(re.escape(c))
            else:
                body = segment[i + 1 : close]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = close
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _compile(absolute: str) -> re.Pattern[str]:
    segments = absolute.strip("/").split("/")
    parts: list[str] = []
    for segment in segments:
        if segment == "**":
            parts.append("(?:/[^/]+)*")
        else:
            parts.append("/" + _segment_regex(segment))
    return re.compile("".join(parts) or "/")


def parse_patterns(text: str, cwd: Path, home: Path | None = None) -> list[Pattern]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = False
        while line.startswith("!"):
            negate = not negate
            line = line[1:].strip()
        if line.startswith("~"):
            line = str(home or Path.home()) + line[1:]
        absolute = os.path.normpath(os.path.join(cwd, line))
        segments = absolute.split("/")
        literal: list[str] = []
        for segment in segments:
            if _MAGIC.search(segment):
                break
            literal.append(segment)
        search_path = "/".join(literal) or "/"
        patterns.append(Pattern(negate, absolute, search_path, _compile(absolute)))
    return patterns


def search_paths(patterns: list[Pattern]) -> list[str]:
    """Search paths of the include patterns, dropping any inside another one's."""
    includes = [p.search_path for p in patterns if not p.negate]
    result: list[str] = []
    for path in includes:
        if path in result:
            continue
        ancestors = {str(parent) for parent in Path(path).parents}
        if ancestors & set(includes):
            continue
        result.append(path)
    return result


def _hidden_below(path: str, root: str) -> bool:
    """Whether a segment from ``root``'s own name down to ``path`` starts with a dot."""
    relative = os.path.relpath(path, os.path.dirname(root.rstrip("/")) or "/")
    return any(part.startswith(".") and part not in (".", "..") for part in relative.split("/"))


def match_files(patterns: list[Pattern], *, exclude_hidden: bool = False) -> list[Path]:
    """The files (never directories) the patterns select, sorted, symlinks followed."""
    found: set[str] = set()
    for root in search_paths(patterns):
        if not os.path.exists(root):
            continue
        candidates = [root] if os.path.isfile(root) else []
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames.sort()
            candidates.extend(os.path.join(dirpath, name) for name in filenames)
        for path in candidates:
            if exclude_hidden and _hidden_below(path, root):
                continue
            selected = False
            for pattern in patterns:
                if pattern.matches(path):
                    selected = not pattern.negate
            if selected and os.path.isfile(path):
                found.add(path)
    return [Path(p) for p in sorted(found)]


def least_common_ancestor(paths: list[str]) -> str:
    """upload-artifact's getMultiPathLCA: the longest common run of leading segments."""
    split = [os.path.normpath(p).split("/") for p in paths]
    common: list[str] = []
    for parts in zip(*split):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    joined = "/".join(common)
    return joined if joined else "/"
