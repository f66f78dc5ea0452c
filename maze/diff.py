"""The hunks of a GitHub `patch` field: which RIGHT-side lines a review comment may anchor on."""

from __future__ import annotations

from dataclasses import dataclass

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet


class PatchError(ValueError):
    """The `patch` text of a changed file could not be parsed as unified-diff hunks."""


@dataclass(frozen=True)
class Hunk:
    right_lines: frozenset[int]
    added_lines: frozenset[int]

    def covers(self, start: int, end: int) -> bool:
        return all(line in self.right_lines for line in range(start, end + 1))


@dataclass(frozen=True)
class FilePatch:
    """The hunks of one file; an empty tuple when GitHub sent no patch (binary, too large, rename only)."""

    path: str
    hunks: tuple[Hunk, ...]

    @property
    def added_lines(self) -> frozenset[int]:
        return frozenset().union(*(hunk.added_lines for hunk in self.hunks))

    def hunk_for(self, start: int, end: int) -> Hunk | None:
        """The one hunk whose RIGHT side holds every line of `start..end`, if any."""
        return next((hunk for hunk in self.hunks if hunk.covers(start, end)), None)


def parse_patch(path: str, patch: str | None) -> FilePatch:
    if not patch:
        return FilePatch(path, ())
    text = f"--- a/{path}\n+++ b/{path}\n{patch}"
    if not text.endswith("\n"):
        text += "\n"
    try:
        patch_set = PatchSet(text)
    except UnidiffParseError as error:
        raise PatchError(f"{path}: cannot parse the patch GitHub sent: {error}") from error
    hunks = []
    for patched_file in patch_set:
        for hunk in patched_file:
            right = {line.target_line_no for line in hunk if not line.is_removed and line.target_line_no}
            added = {line.target_line_no for line in hunk if line.is_added and line.target_line_no}
            hunks.append(Hunk(frozenset(right), frozenset(added)))
    return FilePatch(path, tuple(hunks))
