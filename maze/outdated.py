"""What became of a suggestion posted on an earlier head, judged from the file at the new head.

The lines a suggestion replaced are compared together with a little context on each side, both as they
were and as the suggestion would have left them, so that a deletion can be told apart from other edits.
"""

from __future__ import annotations

import enum

CONTEXT_LINES = 2


class Fate(enum.StrEnum):
    STANDING = "standing"
    APPLIED = "applied"
    OUTDATED = "outdated"


def _contains(lines: list[str], block: list[str]) -> bool:
    width = len(block)
    return width > 0 and any(lines[i : i + width] == block for i in range(len(lines) - width + 1))


def fate(old_text: str, start_line: int, end_line: int, replacement: str, new_text: str | None) -> Fate:
    """STANDING while the targeted lines (with context) are unchanged; APPLIED when the suggested text
    stands in their place; OUTDATED when they changed some other way or the file is gone."""
    if new_text is None:
        return Fate.OUTDATED
    old = old_text.splitlines()
    new = new_text.splitlines()
    first = max(0, start_line - 1 - CONTEXT_LINES)
    before, after = old[first : start_line - 1], old[end_line : end_line + CONTEXT_LINES]
    if _contains(new, before + old[start_line - 1 : end_line] + after):
        return Fate.STANDING
    if _contains(new, before + replacement.splitlines() + after):
        return Fate.APPLIED
    return Fate.OUTDATED
