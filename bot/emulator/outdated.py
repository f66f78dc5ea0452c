"""Where a review comment's lines went after the pull request moved on, or that they are outdated.

GitHub keeps a comment on its line while the pushes that follow leave that line alone (the line number may
shift) and the line still shows in the pull request's diff; once a push changes or removes a commented
line, or the line drops out of the diff, the comment is outdated: GraphQL says `isOutdated` and `line` is
null, while `originalLine` stays. Lines are followed with a line diff of the file before and after.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.emulator.diffing import FileDiff, Side, split_lines


@dataclass(frozen=True)
class Placement:
    """Where a comment is now: its current lines, or outdated (both None)."""

    outdated: bool
    line: int | None
    start_line: int | None

    @classmethod
    def gone(cls) -> Placement:
        return cls(True, None, None)


def follow_lines(old: bytes | None, new: bytes | None, first: int, last: int) -> dict[int, int] | None:
    """Line numbers of `new` for lines `first..last` of `old`; None when any of them changed or is gone."""
    if old is None or new is None:
        return None
    if old == new:
        return {number: number for number in range(first, last + 1)}
    old_lines, new_lines = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    moved: dict[int, int] = {}
    for tag, old_start, old_stop, new_start, _ in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(old_stop - old_start):
                moved[old_start + offset + 1] = new_start + offset + 1
    wanted = range(first, last + 1)
    if not all(number in moved for number in wanted):
        return None
    return {number: moved[number] for number in wanted}


def in_diff(diff: FileDiff | None, side: Side, first: int, last: int) -> bool:
    """Whether lines `first..last` on `side` all show in one hunk of `diff`."""
    if diff is None:
        return False
    hunk = diff.hunk_containing(side, last)
    return hunk is not None and all(number in hunk.lines_on(side) for number in range(first, last + 1))
