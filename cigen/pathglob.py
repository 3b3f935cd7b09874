"""The one glob syntax cigen reads paths with: ``--select`` path patterns and cigen.yaml ``affected:`` globs.

A glob is matched against a whole ``/``-separated path relative to the
monorepo root (``fullmatch``):

==========  ===============================================================
``*``       any run of characters within one folder name
``?``       one character, not ``/``
``**``      anything, across folders; ``**/`` also matches no folder at all
``[abc]``   one of the characters (ranges such as ``[a-z]`` too); ``[!abc]``
            or ``[^abc]`` one character that is none of them (and not ``/``)
a final /   everything below the folder (``docs/`` is ``docs/**``)
==========  ===============================================================

Anything else matches itself. A ``[`` without a closing ``]`` after at least
one character is a literal ``[``. So ``*.md`` is the root's Markdown files
only and ``**/*.md`` every Markdown file.

Names (``--select '@acme/*'``) use :func:`name_regex`: there ``*`` matches
anything, ``/`` included, since a scope's slash is no folder, and every other
character is literal.
"""

from __future__ import annotations

import re


def glob_regex(glob: str) -> str:
    """A regular expression (for ``fullmatch``) equivalent to a root-relative path glob."""
    if glob.endswith("/"):
        glob += "**"
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and "]" in glob[i + 2 :]:
            end = glob.index("]", i + 2)
            body = glob[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^/" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def name_regex(glob: str) -> str:
    """A regular expression (for ``fullmatch``) for a package-name glob: ``*`` matches anything."""
    return ".*".join(re.escape(part) for part in glob.split("*"))
