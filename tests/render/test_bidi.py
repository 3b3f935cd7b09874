"""The impact report shows invisible characters in names and paths, as it escapes HTML: a bidi override in a
package name must not reorder what a reviewer reads in the pull request (the "Trojan Source" trick)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from cigen.render.impact import cell
from tests.impact.test_affected import member, workspace
from tests.render.test_impact import Job, mermaid_block, report

INVISIBLE = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
    "\u200e": "LRM", "\u200f": "RLM", "\u061c": "ALM",
    "\u200b": "zero-width space", "\u200d": "zero-width joiner", "\u2060": "word joiner", "\ufeff": "BOM",
    "\u00ad": "soft hyphen", "\x1b": "escape", "\x00": "NUL",
}


def hidden(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cf", "Cc") and c != "\n"]


@pytest.mark.parametrize("char", INVISIBLE, ids=INVISIBLE.values())
def test_an_invisible_character_in_a_cell_is_shown_as_its_code_point(char: str) -> None:
    shown = cell(f"admin{char}txt.js")
    assert hidden(shown) == []
    assert shown == f"admin&lt;U+{ord(char):04X}&gt;txt.js"


def test_a_name_and_a_path_with_bidi_controls_reach_the_report_only_visibly() -> None:
    name = "pay\u202emoc.lanretni\u202c-ui"  # shows as "pay" + "-ui" around a reversed "internal.com"
    ws = workspace([member("packages/x\u2067y", name)], [])
    text = report(["packages/x\u2067y/\u200fsrc.js"], ws=ws, jobs=[Job("stage-\u202e1", ("packages/x\u2067y",))])

    assert hidden(text) == []
    row = next(line for line in text.splitlines() if "x&lt;U+2067&gt;y</code>" in line)
    assert "<code>pay&lt;U+202E&gt;moc.lanretni&lt;U+202C&gt;-ui</code>" in row
    assert "&lt;U+200F&gt;src.js" in row
    assert "<code>stage-&lt;U+202E&gt;1</code>" in text
    assert re.search(r'n\d+\["pay#lt;U\+202E#gt;moc\.lanretni#lt;U\+202C#gt;-ui"\]', mermaid_block(text))


def test_visible_text_outside_ascii_stays_as_it_is() -> None:
    assert cell("café → 日本 ü") == "café → 日本 ü"
