"""Candidate fixes as line-range replacements, built from tool edits, with prose-free fingerprints."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from maze.lint.ruff import Diagnostic, Edit


@dataclass(frozen=True)
class Candidate:
    """Replace lines `start_line..end_line` (1-based, inclusive) of `path` with `replacement`.

    `replacement` holds whole lines, each ending in a newline except possibly the file's last;
    an empty replacement deletes the lines.
    """

    path: str
    start_line: int
    end_line: int
    replacement: str
    source: str
    rule: str
    description: str

    def apply(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        return "".join(lines[: self.start_line - 1]) + self.replacement + "".join(lines[self.end_line :])


def _offset(line_starts: list[int], text_length: int, row: int, column: int) -> int:
    if row - 1 >= len(line_starts):
        return text_length
    return line_starts[row - 1] + column - 1


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply ruff-style edits (1-based rows and character columns, end exclusive) to `text`."""
    line_starts = [0]
    for match in re.finditer("\n", text):
        line_starts.append(match.end())
    spans = sorted(
        (
            (_offset(line_starts, len(text), *edit.start), _offset(line_starts, len(text), *edit.end), edit)
            for edit in edits
        ),
        key=lambda span: span[0],
        reverse=True,
    )
    for start, end, edit in spans:
        text = text[:start] + edit.content + text[end:]
    return text


def line_replacement(
    path: str, before: str, after: str, *, source: str, rule: str, description: str
) -> Candidate | None:
    """The smallest whole-line replacement turning `before` into `after`; None when they are equal."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    changes = [
        op for op in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes() if op[0] != "equal"
    ]
    if not changes:
        return None
    i1, j1 = changes[0][1], changes[0][3]
    i2, j2 = changes[-1][2], changes[-1][4]
    if i1 == i2:
        # A pure insertion: a suggestion must replace at least one existing line, so take a neighbour.
        if i2 < len(old):
            i2, j2 = i2 + 1, j2 + 1
        elif i1 > 0:
            i1, j1 = i1 - 1, j1 - 1
        else:
            return None
    return Candidate(path, i1 + 1, i2, "".join(new[j1:j2]), source, rule, description)


def from_ruff_fix(path: str, text: str, diagnostic: Diagnostic) -> Candidate | None:
    """A candidate from ruff's own safe fix for `diagnostic`, if it offers one."""
    fix = diagnostic.fix
    if fix is None or fix.applicability != "safe" or not fix.edits:
        return None
    fixed = apply_edits(text, fix.edits)
    return line_replacement(
        path,
        text,
        fixed,
        source="ruff-fix",
        rule=diagnostic.code,
        description=fix.message or diagnostic.message,
    )


def _normalise(code: str) -> str:
    return " ".join(code.split())


def fingerprint(path: str, symbol: str, rule: str, original: str, replacement: str) -> str:
    """Identity of a fix, stable across pushes, line moves and wording: (path, enclosing symbol, rule, and the
    normalised change from `original` to `replacement`)."""
    material = "\x00".join((path, symbol, rule, _normalise(original), _normalise(replacement)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()
