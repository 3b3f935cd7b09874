""""Did you mean ...?": the one place a misspelt name is matched against the names that exist."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 2, quote: bool = False) -> str | None:
    """The hint for ``word`` given the names that exist, or None when none is close.

    Service names are quoted (they are keys the user types in cigen.yaml);
    member names and paths are shown bare, as ``cigen graph`` prints them.
    """
    close = difflib.get_close_matches(word, sorted(set(choices) - {word}), n=n, cutoff=0.6)
    if not close:
        return None
    shown = [repr(c) if quote else c for c in close]
    return f"did you mean {' or '.join(shown)}?"
