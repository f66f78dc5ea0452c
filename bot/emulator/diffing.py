"""Unified diffs as GitHub shows them in a pull request's `files[].patch`.

GitHub's `patch` is git's unified diff of one file without the `---`/`+++` header lines: hunks with
three lines of context, a git-style function context after each `@@ ... @@` header, and
`\\ No newline at end of file` after a last line that has no newline. This module also works out, for
every hunk, which line numbers a review comment may anchor to on each side: RIGHT is the new file's
context and added lines, LEFT is the old file's context and deleted lines.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

CONTEXT_LINES = 3
NO_NEWLINE_MARKER = "\\ No newline at end of file"
BINARY_SNIFF_BYTES = 8000
FUNC_CONTEXT_WIDTH = 80

Side = Literal["LEFT", "RIGHT"]
Status = Literal["added", "modified", "removed", "renamed"]
_Line = tuple[str, bool]  # (text without "\n", whether a "\n" ended it)


def blob_sha(data: bytes) -> str:
    """Git's object id of a blob holding `data`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_binary(data: bytes) -> bool:
    """Git's heuristic: a NUL byte in the first 8000 bytes makes a file binary."""
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def split_lines(data: bytes) -> list[_Line]:
    """Split on "\\n" only, as git does, remembering whether the last line was terminated."""
    text = data.decode("utf-8", errors="replace")
    if not text:
        return []
    parts = text.split("\n")
    if parts[-1] == "":
        return [(part, True) for part in parts[:-1]]
    return [(part, True) for part in parts[:-1]] + [(parts[-1], False)]


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk: `kind` is " ", "+" or "-"; `position` counts from the file's first "@@" line."""

    kind: str
    text: str
    old_line: int | None
    new_line: int | None
    position: int
    newline: bool = True

    def render(self) -> list[str]:
        rendered = [self.kind + self.text]
        if not self.newline:
            rendered.append(NO_NEWLINE_MARKER)
        return rendered


@dataclass(frozen=True)
class Hunk:
    """One `@@ -a,b +c,d @@` block of a file's patch."""

    header: str
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[DiffLine, ...]

    @property
    def right_lines(self) -> frozenset[int]:
        return frozenset(line.new_line for line in self.lines if line.kind != "-" and line.new_line)

    @property
    def left_lines(self) -> frozenset[int]:
        return frozenset(line.old_line for line in self.lines if line.kind != "+" and line.old_line)

    def lines_on(self, side: Side) -> frozenset[int]:
        return self.right_lines if side == "RIGHT" else self.left_lines

    def find(self, side: Side, number: int) -> DiffLine | None:
        for line in self.lines:
            if side == "RIGHT" and line.kind != "-" and line.new_line == number:
                return line
            if side == "LEFT" and line.kind != "+" and line.old_line == number:
                return line
        return None

    def text(self) -> str:
        rendered = [self.header]
        for line in self.lines:
            rendered.extend(line.render())
        return "\n".join(rendered)

    def text_through(self, target: DiffLine) -> str:
        """The hunk from its header down to `target`: GitHub's `diff_hunk` of a review comment."""
        rendered = [self.header]
        for line in self.lines:
            rendered.extend(line.render())
            if line is target:
                break
        return "\n".join(rendered)


@dataclass(frozen=True)
class FileDiff:
    """How one path changed between two trees."""

    path: str
    status: Status
    old_content: bytes | None
    new_content: bytes | None
    hunks: tuple[Hunk, ...] = ()
    binary: bool = False
    previous_path: str | None = None
    additions: int = 0
    deletions: int = 0
    positions: Mapping[int, tuple[Hunk, DiffLine]] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        return self.additions + self.deletions

    @property
    def patch(self) -> str | None:
        if self.binary or not self.hunks:
            return None
        return "\n".join(hunk.text() for hunk in self.hunks)

    def hunk_containing(self, side: Side, number: int) -> Hunk | None:
        for hunk in self.hunks:
            if number in hunk.lines_on(side):
                return hunk
        return None

    def at_position(self, position: int) -> tuple[Hunk, DiffLine] | None:
        return self.positions.get(position)


def _format_range(start: int, stop: int) -> str:
    """`-a,b` range text exactly as git writes it (",1" omitted; an empty range starts one line earlier)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def _is_funcname(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] in "_$")


def _function_context(old: list[_Line], first_old_index: int) -> str:
    """Git's default funcname: the nearest line above the hunk starting with a letter, `_` or `$`."""
    for index in range(first_old_index - 1, -1, -1):
        text = old[index][0]
        if _is_funcname(text):
            return text[:FUNC_CONTEXT_WIDTH].rstrip()
    return ""


def _hunk_header(
    old: list[_Line], group: list[tuple[str, int, int, int, int]]
) -> tuple[str, int, int, int, int]:
    first, last = group[0], group[-1]
    old_range = _format_range(first[1], last[2])
    new_range = _format_range(first[3], last[4])
    header = f"@@ -{old_range} +{new_range} @@"
    context = _function_context(old, first[1])
    if context:
        header += " " + context
    old_count, new_count = last[2] - first[1], last[4] - first[3]
    old_start = first[1] + 1 if old_count else first[1]
    new_start = first[3] + 1 if new_count else first[3]
    return header, old_start, old_count, new_start, new_count


class _PositionCounter:
    """Hands out GitHub diff positions: the first "@@" is 0, every later patch line (headers too) adds one."""

    def __init__(self) -> None:
        self.value = -1

    def next_header(self) -> None:
        self.value += 1

    def next_line(self, newline: bool) -> int:
        self.value += 1
        line_position = self.value
        if not newline:
            self.value += 1
        return line_position


def _hunk_lines(
    old: list[_Line], new: list[_Line], group: list[tuple[str, int, int, int, int]], counter: _PositionCounter
) -> list[DiffLine]:
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            for offset in range(i2 - i1):
                text, newline = new[j1 + offset]
                position = counter.next_line(newline)
                lines.append(DiffLine(" ", text, i1 + offset + 1, j1 + offset + 1, position, newline))
            continue
        for index in range(i1, i2):
            text, newline = old[index]
            lines.append(DiffLine("-", text, index + 1, None, counter.next_line(newline), newline))
        for index in range(j1, j2):
            text, newline = new[index]
            lines.append(DiffLine("+", text, None, index + 1, counter.next_line(newline), newline))
    return lines


def build_hunks(old_data: bytes, new_data: bytes, context: int = CONTEXT_LINES) -> tuple[Hunk, ...]:
    """The hunks of a text file's change, with `context` lines around each change."""
    old, new = split_lines(old_data), split_lines(new_data)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    counter = _PositionCounter()
    hunks: list[Hunk] = []
    for group in matcher.get_grouped_opcodes(context):
        header, old_start, old_count, new_start, new_count = _hunk_header(old, group)
        counter.next_header()
        lines = _hunk_lines(old, new, group, counter)
        hunks.append(Hunk(header, old_start, old_count, new_start, new_count, tuple(lines)))
    return tuple(hunks)


def _position_index(hunks: Iterable[Hunk]) -> dict[int, tuple[Hunk, DiffLine]]:
    return {line.position: (hunk, line) for hunk in hunks for line in hunk.lines}


def _status(old: bytes | None, new: bytes | None) -> Status:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return "modified"


def diff_file(path: str, old: bytes | None, new: bytes | None) -> FileDiff:
    """The change of one path; `None` on a side means the path does not exist there."""
    status = _status(old, new)
    old_data, new_data = old or b"", new or b""
    if is_binary(old_data) or is_binary(new_data):
        return FileDiff(path, status, old, new, binary=True)
    hunks = build_hunks(old_data, new_data)
    additions = sum(1 for hunk in hunks for line in hunk.lines if line.kind == "+")
    deletions = sum(1 for hunk in hunks for line in hunk.lines if line.kind == "-")
    return FileDiff(path, status, old, new, hunks, False, None, additions, deletions, _position_index(hunks))


def _renames(removed: dict[str, bytes], added: dict[str, bytes]) -> dict[str, str]:
    """Exact renames only (identical content): new path -> old path."""
    by_content: dict[bytes, list[str]] = {}
    for old_path, content in sorted(removed.items()):
        by_content.setdefault(content, []).append(old_path)
    pairs: dict[str, str] = {}
    for new_path, content in sorted(added.items()):
        candidates = by_content.get(content)
        if candidates:
            pairs[new_path] = candidates.pop(0)
    return pairs


def diff_trees(old_tree: Mapping[str, bytes], new_tree: Mapping[str, bytes]) -> list[FileDiff]:
    """Every changed path between two trees, sorted by path, with exact renames folded together."""
    removed = {path: data for path, data in old_tree.items() if path not in new_tree}
    added = {path: data for path, data in new_tree.items() if path not in old_tree}
    renames = _renames(removed, added)
    renamed_from = set(renames.values())
    diffs: list[FileDiff] = []
    for path in sorted(set(old_tree) | set(new_tree)):
        if path in renamed_from:
            continue
        old, new = old_tree.get(path), new_tree.get(path)
        if path in renames:
            diffs.append(FileDiff(path, "renamed", new, new, previous_path=renames[path]))
        elif old != new:
            diffs.append(diff_file(path, old, new))
    return diffs
