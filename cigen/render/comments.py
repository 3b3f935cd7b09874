"""A person's comments in a generated YAML file, carried into the file's next generation, in place.

ruamel.yaml keeps comments on a round trip, but it hangs each one on the
node *before* it: a comment above ``jobs:`` belongs to the last value of the
key above, and when cigen replaces that value (``concurrency``, a stage job)
the comment goes with it. So comments here are carried by place instead, as
text:

- a full-line comment belongs to the node written right below it (with the
  blank lines around it: a run of lines that hold no value); the comments
  after the last value belong to the end of the file;
- an end-of-line comment belongs to the innermost node that starts on its line.

A node is named by its path of keys from the top, a list item by what names
it in GitHub's terms (``steps[name=Install]``, ``steps[uses=actions/checkout]``),
or by its index when nothing does, so a comment on a step stays on that step
when steps are added before it. Each comment is written back above (or at the
end of the line of) the same node in the new text, as it was written. A comment
whose node the new text no longer has cannot be kept in place: it is returned
as :class:`Lost`, for the caller to refuse with, rather than dropped.

Both texts are read with PyYAML's composer (C, fast on a 500 KB workflow): a
node's marks say where it starts and which lines a scalar covers, so a ``#``
inside a ``run: |`` script, a quoted string or a URL is never taken for a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

Anchor = tuple[str, ...]

# What names a list item, in order: a step's id, its name, the action it uses (its version aside).
_NAMING_KEYS = ("id", "name", "uses")
_BLOCK_INDICATOR = re.compile(r"[|>][-+0-9]*")
# A step's action pinned to a commit: cigen writes the release tag after it as a comment.
_PINNED = re.compile(r"\s*(?:-\s+)?uses:\s+\S+@[0-9a-f]{40}\s")


@dataclass(slots=True)
class Layout:
    """Where things are in one YAML text: each node's first line, the comments, the lines inside scalars."""

    lines: list[str]
    root: yaml.Node | None = None
    starts: dict[Anchor, int] = field(default_factory=dict)  # a node -> the line its key (or list item) is on
    outer: dict[int, Anchor] = field(default_factory=dict)  # a line -> the outermost node starting on it
    inner: dict[int, Anchor] = field(default_factory=dict)  # a line -> the innermost node starting on it
    inside: set[int] = field(default_factory=set)  # lines within a multi-line scalar: text, never comments
    kept_ends: set[int] = field(default_factory=set)  # last lines of `|+` scalars: a blank line after joins them
    block_ends: dict[int, int] = field(default_factory=dict)  # a block scalar's last line -> its text's indent
    eol: dict[int, int] = field(default_factory=dict)  # a line -> the column its end-of-line comment starts at
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # a line -> its scalars' columns

    def free(self, line: int) -> bool:
        """Whether ``line`` holds no value: blank, or a comment alone, and not inside a scalar."""
        text = self.lines[line].strip()
        return line not in self.inside and (not text or text.startswith("#"))


@dataclass(frozen=True, slots=True)
class Lost:
    """A comment the new text has no place for: its first line (1-based), its text, and the node it was on."""

    line: int
    text: str
    node: str


def layout(text: str) -> Layout:
    """The layout of ``text``, a YAML document that parses (its caller has loaded it already)."""
    found = Layout(text.split("\n"), _compose(text))
    if found.root is not None:
        _walk(found.root, (), found, set())
    for number, line in enumerate(found.lines):
        if "#" in line and number not in found.inside:
            column = _comment_column(line, found.spans.get(number, ()))
            if column is not None and line[:column].strip():
                found.eol[number] = column
    return found


def _compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _walk(node: yaml.Node, path: Anchor, found: Layout, seen: set[int]) -> None:
    if id(node) in seen:  # an alias: the values it stands for are written (and located) at the anchor
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        _scalar(node, found)
    elif isinstance(node, yaml.MappingNode):
        inner = not node.flow_style  # a comment after `[a, b]` or `{a: 1}` is on the key that holds it
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else f"?{key.start_mark.line + 1}"
            if isinstance(key, yaml.ScalarNode):
                _scalar(key, found)
            _start(path + (name,), key.start_mark.line, found, inner)
            _walk(value, path + (name,), found, seen)
    elif isinstance(node, yaml.SequenceNode):
        names: dict[str, int] = {}
        inner = not node.flow_style
        for index, item in enumerate(node.value):
            name = _item_name(item, index)
            names[name] = names.get(name, 0) + 1
            if names[name] > 1:  # two steps of one name: the second is told apart by its rank
                name = f"{name}#{names[name]}"
            _start(path + (name,), item.start_mark.line, found, inner)
            _walk(item, path + (name,), found, seen)


def _start(anchor: Anchor, line: int, found: Layout, inner: bool) -> None:
    found.starts.setdefault(anchor, line)
    found.outer.setdefault(line, anchor)
    if inner:
        found.inner[line] = anchor


def _item_name(item: yaml.Node, index: int) -> str:
    if isinstance(item, yaml.MappingNode):
        values = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        for key in _NAMING_KEYS:
            value = values.get(key)
            if isinstance(value, yaml.ScalarNode) and value.value:
                text = value.value.split("@", 1)[0] if key == "uses" else value.value
                return f"[{key}={text}]"
    return f"[{index}]"


def _scalar(node: yaml.ScalarNode, found: Layout) -> None:
    start, end = node.start_mark, node.end_mark
    if node.style in ("|", ">"):
        line = found.lines[start.line]
        indicator = _BLOCK_INDICATOR.match(line, start.column)
        header_end = indicator.end() if indicator else start.column + 1
        found.spans.setdefault(start.line, []).append((start.column, header_end))
        last = end.line if end.column else end.line - 1
        keep = indicator is not None and "+" in indicator.group()
        while not keep and last > start.line and not found.lines[last].strip():
            last -= 1  # blank lines after the text are not part of it (but for `|+`): they are the file's
        found.inside.update(range(start.line + 1, last + 1))
        if keep:
            found.kept_ends.add(last)
        text = next((t for t in found.lines[start.line + 1:last + 1] if t.strip()), None)
        if text is not None:
            found.block_ends[last] = _indent(text)
    elif start.line == end.line:
        found.spans.setdefault(start.line, []).append((start.column, end.column))
    else:  # a quoted or plain scalar over several lines
        found.spans.setdefault(start.line, []).append((start.column, len(found.lines[start.line])))
        found.inside.update(range(start.line + 1, end.line))
        found.spans.setdefault(end.line, []).append((0, end.column))


def _comment_column(line: str, spans: list[tuple[int, int]] | tuple[()]) -> int | None:
    """Where a comment starts on ``line``: a ``#`` at its start or after a blank, outside every scalar."""
    column = line.find("#")
    while column != -1:
        if (column == 0 or line[column - 1] in " \t") and not any(a <= column < b for a, b in spans):
            return column
        column = line.find("#", column + 1)
    return None


@dataclass(slots=True)
class _Placed:
    """What goes into the new text: lines above a line, a comment at the end of a line, lines at the end."""

    above: dict[int, list[str]] = field(default_factory=dict)
    after: dict[int, str] = field(default_factory=dict)
    end: list[str] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)
    ours: set[str] = field(default_factory=set)  # the comment lines cigen writes in the new text


def carry(old: Layout, new: Layout) -> tuple[str, list[Lost]]:
    """The new text with the old text's comments at the same nodes, and the comments that have no place.

    The new text's own comments are cigen's, and are not copied again from the
    old text: the header (the comment lines at the top), the version after a
    pinned action (an end-of-line comment on a line where the new text has
    one), and any comment line cigen writes. A comment of cigen's whose node is
    gone (a step cigen no longer writes) is not a person's, and is not lost.
    """
    placed = _Placed(ours={line.strip() for n, line in enumerate(new.lines) if new.free(n) and line.strip()})
    first_value = next((n for n in range(len(old.lines)) if not old.free(n)), len(old.lines))
    for run_start, run_end in _runs(old, _user_header(old, new, first_value)):
        _place_run(old, new, run_start, run_end, placed)
    for number, column in old.eol.items():
        _place_eol(old, new, number, column, placed)
    text = _write(new, placed)
    if not _same(new.root, _compose(text), set()):
        raise CommentsChangeValues
    return text, sorted(placed.lost, key=lambda lost: lost.line)


class CommentsChangeValues(Exception):
    """Written where they were, the comments would change a value (a line joining a script): a bug to report.

    The placement rules keep every comment outside the values around it;
    this is the check that they did, so that a comment can never change
    what a workflow runs.
    """


def _same(a: yaml.Node | None, b: yaml.Node | None, seen: set[tuple[int, int]]) -> bool:
    """Whether two composed documents hold the same values (their places and comments aside)."""
    if a is None or b is None:
        return a is b
    if (id(a), id(b)) in seen:  # an alias met again
        return True
    seen.add((id(a), id(b)))
    if type(a) is not type(b) or a.tag != b.tag or len(a.value) != len(b.value):
        return False
    if isinstance(a, yaml.ScalarNode):
        return bool(a.value == b.value)
    if isinstance(a, yaml.MappingNode):
        return all(_same(ka, kb, seen) and _same(va, vb, seen) for (ka, va), (kb, vb) in zip(a.value, b.value))
    return all(_same(x, y, seen) for x, y in zip(a.value, b.value))


def _user_header(old: Layout, new: Layout, first_value: int) -> int:
    """The first line of the old text after cigen's header: comments a person added right below it are theirs.

    The header is the comment lines at the top. When it starts with the new
    header's lines, a line past those is a person's; when it does not, it is
    an older cigen's header and all of it is cigen's.
    """
    top = _comment_lines_at_top(old.lines, first_value)
    header = _comment_lines_at_top(new.lines, len(new.lines))
    ours = [line.strip() for line in new.lines[1:header]]
    if top > header and [line.strip() for line in old.lines[1:header]] == ours:
        return header
    return top


def _comment_lines_at_top(lines: list[str], limit: int) -> int:
    count = 0
    while count < limit and lines[count].lstrip().startswith("#"):
        count += 1
    return count


def _runs(old: Layout, begin: int) -> list[tuple[int, int]]:
    """The runs of lines from ``begin`` on that hold no value: (first, last + 1)."""
    runs: list[tuple[int, int]] = []
    number, count = begin, len(old.lines)
    while number < count:
        if not old.free(number):
            number += 1
            continue
        start = number
        while number < count and old.free(number):
            number += 1
        runs.append((start, number))
    return runs


def _place_run(old: Layout, new: Layout, start: int, end: int, placed: _Placed) -> None:
    lines = old.lines[start:end]
    if end == len(old.lines):  # the split's last element, after the final newline, is no line of the file
        lines = lines[:-1]
    if not any(line.strip() for line in lines) and start > 0 and end == len(old.lines):
        return  # blank lines at the end of the file: none are written
    anchor = _anchor_below(old, end)
    if anchor is None:
        placed.end.extend(lines)
        return
    target = new.starts.get(anchor)
    if target is None:
        comment = next((n for n in range(start, end) if old.lines[n].strip() not in placed.ours | {""}), None)
        if comment is not None:
            placed.lost.append(Lost(comment + 1, old.lines[comment].strip(), shown(anchor)))
        return
    ours = {line.strip() for line in _above(new, target)}
    lines = [line for line in lines if not line.strip() or line.strip() not in ours]
    if target - 1 in new.kept_ends:  # a blank line right below a `|+` scalar would join its text
        while lines and not lines[0].strip():
            lines.pop(0)
    script = new.block_ends.get(target - 1)
    if script is not None:  # indented as deep as the script above it, a comment would be a line of the script
        indent = _indent(new.lines[target])
        lines = [" " * indent + line.lstrip() if line.strip() and _indent(line) >= script else line for line in lines]
    placed.above.setdefault(target, []).extend(lines)


def _place_eol(old: Layout, new: Layout, number: int, column: int, placed: _Placed) -> None:
    anchor = _anchor_on(old, number)
    text = old.lines[number][column:]
    gap = column - len(old.lines[number][:column].rstrip())
    target = new.starts.get(anchor) if anchor is not None else None
    if target is None:
        if not _PINNED.match(old.lines[number]) and text.strip() not in placed.ours:
            placed.lost.append(Lost(number + 1, text.strip(), shown(anchor) if anchor else "a value"))
    elif target not in new.eol:  # a line cigen writes a comment on is cigen's, comment included
        # Two comments of a list written over several lines go after the one line it is written on now.
        placed.after[target] = placed.after.get(target, "") + " " * max(gap, 1) + text


def _anchor_below(old: Layout, end: int) -> Anchor | None:
    """The node a run of comment lines ending before line ``end`` is above; None: the end of the file."""
    for number in range(end, len(old.lines)):
        if number in old.outer:
            return old.outer[number]
    return None


def _anchor_on(old: Layout, number: int) -> Anchor | None:
    """The node an end-of-line comment on line ``number`` follows: the innermost one starting there, or before."""
    for line in range(number, -1, -1):
        if line in old.inner:
            return old.inner[line]
    return None


def _above(new: Layout, target: int) -> list[str]:
    """The comment lines the new text already has right above line ``target`` (cigen's own)."""
    lines: list[str] = []
    number = target - 1
    while number >= 0 and new.free(number) and new.lines[number].strip():
        lines.append(new.lines[number])
        number -= 1
    return lines


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _write(new: Layout, placed: _Placed) -> str:
    out: list[str] = []
    lines = new.lines[:-1] if new.lines and new.lines[-1] == "" else new.lines
    for number, line in enumerate(lines):
        out.extend(placed.above.get(number, ()))
        out.append(line + placed.after.get(number, ""))
    out.extend(placed.end)
    return "\n".join(out) + "\n"


def shown(anchor: Anchor) -> str:
    """``("jobs", "build", "steps", "[name=Test]")`` -> ``jobs.build.steps[name=Test]``."""
    return "".join(part if part.startswith("[") or not index else "." + part for index, part in enumerate(anchor))


__all__ = ["Anchor", "CommentsChangeValues", "Layout", "Lost", "carry", "layout", "shown"]
