"""How GitHub validates `POST pulls/{n}/reviews`: the request's schema, then every comment's anchor.

A review is all or nothing: one comment whose line is outside the diff, whose range leaves its hunk or whose
side is wrong fails the whole request with a 422 that does not say which comment was at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.emulator.diffing import DiffLine, FileDiff, Hunk, Side
from bot.emulator.errors import invalid_request, unprocessable

REVIEW_EVENTS: Mapping[str, str] = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}
_LINE_NOT_IN_DIFF = (
    "Pull request review thread line must be part of the diff and "
    "Pull request review thread diff hunk can't be blank"
)
_START_NOT_IN_HUNK = "Pull request review thread start line must be part of the same hunk as the line."
_START_NOT_BEFORE_LINE = "Pull request review thread start line must precede the end line."


@dataclass
class Anchor:
    """A validated review comment, ready to be stored."""

    path: str
    body: str
    line: int
    side: Side
    start_line: int | None
    start_side: Side | None
    hunk: Hunk
    target: DiffLine


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def review_fields(payload: Mapping[str, Any]) -> tuple[str | None, str, str | None, list[Any]]:
    """The review request's event, body, commit_id and comments, type-checked like GitHub's schema."""
    event = payload.get("event")
    if event is not None and event not in REVIEW_EVENTS:
        allowed = ", ".join(f'"{name}"' for name in REVIEW_EVENTS)
        raise invalid_request(f"For 'properties/event', {event!r} is not one of [{allowed}].")
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise invalid_request(f"For 'properties/body', {body!r} is not a string.")
    commit_id = payload.get("commit_id")
    if commit_id is not None and not isinstance(commit_id, str):
        raise invalid_request(f"For 'properties/commit_id', {commit_id!r} is not a string.")
    comments = payload.get("comments")
    if comments is None:
        comments = []
    if not isinstance(comments, list):
        raise invalid_request(f"For 'properties/comments', {comments!r} is not an array.")
    return event, body or "", commit_id, comments


def _comment_side(comment: Mapping[str, Any], key: str, default: Side) -> Side:
    value = comment.get(key)
    if value is None:
        return default
    if value == "LEFT":
        return "LEFT"
    if value == "RIGHT":
        return "RIGHT"
    raise unprocessable(f'Pull request review thread {key.replace("_", " ")} must be "LEFT" or "RIGHT"')


def _check_comment_schema(comment: Any) -> Mapping[str, Any]:
    if not isinstance(comment, Mapping):
        raise invalid_request(f"For 'items', {comment!r} is not an object.")
    for key in ("path", "body"):
        if key not in comment:
            raise invalid_request(f"For 'items', \"{key}\" wasn't supplied.")
        if not isinstance(comment[key], str):
            raise invalid_request(f"For 'properties/{key}', {comment[key]!r} is not a string.")
    for key in ("line", "start_line", "position"):
        if comment.get(key) is not None and not _is_int(comment[key]):
            raise invalid_request(f"For 'properties/{key}', {comment[key]!r} is not an integer.")
    return comment


def anchor(raw: Any, diffs: Mapping[str, FileDiff]) -> Anchor:
    """Validate one review comment against the PR's diff the way GitHub does (422 on any problem)."""
    comment = _check_comment_schema(raw)
    diff = diffs.get(comment["path"])
    if diff is None:
        raise unprocessable("Path could not be resolved")
    if comment.get("line") is None and comment.get("position") is not None:
        return _anchor_by_position(comment, diff)
    line = comment.get("line")
    if line is None:
        raise unprocessable("Line could not be resolved")
    side = _comment_side(comment, "side", "RIGHT")
    hunk = diff.hunk_containing(side, line)
    target = hunk.find(side, line) if hunk else None
    if hunk is None or target is None:
        raise unprocessable(_LINE_NOT_IN_DIFF)
    start_line = comment.get("start_line")
    if start_line is None:
        return Anchor(diff.path, comment["body"], line, side, None, None, hunk, target)
    start_side = _comment_side(comment, "start_side", side)
    if start_side == side and start_line >= line:
        raise unprocessable(_START_NOT_BEFORE_LINE)
    if not _range_in_hunk(hunk, start_side, side, start_line, line):
        raise unprocessable(_START_NOT_IN_HUNK)
    return Anchor(diff.path, comment["body"], line, side, start_line, start_side, hunk, target)


def _range_in_hunk(hunk: Hunk, start_side: Side, side: Side, start_line: int, line: int) -> bool:
    if start_side != side:
        return start_line in hunk.lines_on(start_side)
    return all(number in hunk.lines_on(side) for number in range(start_line, line + 1))


def _anchor_by_position(comment: Mapping[str, Any], diff: FileDiff) -> Anchor:
    located = diff.at_position(comment["position"])
    if located is None:
        raise unprocessable("Position could not be resolved")
    hunk, target = located
    if target.kind == "-" and target.old_line is not None:
        return Anchor(diff.path, comment["body"], target.old_line, "LEFT", None, None, hunk, target)
    if target.new_line is None:
        raise unprocessable("Position could not be resolved")
    return Anchor(diff.path, comment["body"], target.new_line, "RIGHT", None, None, hunk, target)
