"""Posting for a `/maze fix` written in a line thread: one reply in that thread instead of a review.

The reply carries a suggestion that replaces exactly the thread's lines (`start_line..line`) when a proven
fix lies inside them (the unchanged lines around the fix are included again); a proven fix that reaches
outside the thread's lines is shown as a diff, which GitHub cannot apply; without a proven fix the reply
lists what was found there. Each fix says what was checked. A committable suggestion is recorded as
posted (the reply is filed by GitHub in a review of its own, whose id `PostedReview` keeps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from maze.commands import reply_marker
from maze.review import fix_as_diff, suggestion_fence
from maze.run_data import files_of, findings_of, record_posted_review, suggestions_of
from maze.store.models import ReviewRun, RunStage, SuggestionStatus
from tasks.command_replies import command_of, reply_once, target_of
from tasks.stages import RunInfo, commit_stage, github_client, in_db

WHOLE_FILE = 2**31 - 1


@dataclass(frozen=True)
class Focus:
    path: str
    start_line: int
    end_line: int

    @classmethod
    def of(cls, summary: dict[str, Any]) -> Focus | None:
        focus = summary.get("focus")
        if not isinstance(focus, dict) or not isinstance(focus.get("path"), str):
            return None
        end = focus.get("end_line")
        end_line = end if isinstance(end, int) else WHOLE_FILE
        start = focus.get("start_line")
        return cls(str(focus["path"]), start if isinstance(start, int) else min(end_line, 1), end_line)

    def covers(self, path: str, start: int, end: int) -> bool:
        return path == self.path and start <= self.end_line and end >= self.start_line

    def contains(self, path: str, start: int, end: int) -> bool:
        return path == self.path and self.start_line <= start and end <= self.end_line

    @property
    def lines(self) -> str:
        if self.end_line == WHOLE_FILE:
            return f"`{self.path}`"
        if self.start_line == self.end_line:
            return f"`{self.path}:{self.start_line}`"
        return f"`{self.path}:{self.start_line}-{self.end_line}`"


@dataclass(frozen=True)
class FoundThere:
    tool: str
    rule: str
    message: str
    line: int


@dataclass(frozen=True)
class ProvenThere:
    suggestion_id: int
    start_line: int
    end_line: int
    replacement: str
    original: str
    description: str
    checks: tuple[str, ...]
    fingerprint: str
    finding: FoundThere


@dataclass(frozen=True)
class ThreadReply:
    body: str
    committed: ProvenThere | None  # the fix posted as a suggestion, if one was


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def expanded(fix: ProvenThere, focus: Focus, content: str) -> str:
    """The fix rewritten to replace exactly the focus lines: the unchanged lines around it re-included."""
    lines = content.splitlines(keepends=True)
    before = "".join(lines[focus.start_line - 1 : fix.start_line - 1])
    after = "".join(lines[fix.end_line : focus.end_line])
    return _with_newline(before) + _with_newline(fix.replacement) + after


def _checked(fix: ProvenThere) -> str:
    return (
        f"<sub>Proven before posting: {', '.join(fix.checks) or 'the checks'} on the patched tree; the "
        "finding is gone and nothing new appeared.</sub>"
    )


def _title(found: FoundThere) -> str:
    return f"**{found.tool} {found.rule}**: {found.message}"


def compose_thread_reply(
    focus: Focus, content: str | None, found: Sequence[FoundThere], proven: Sequence[ProvenThere]
) -> ThreadReply:
    """The reply to a `/maze fix` in a thread over `focus`, from what the run found and proved there."""
    committable = (
        next((fix for fix in proven if focus.contains(focus.path, fix.start_line, fix.end_line)), None)
        if content is not None and focus.end_line != WHOLE_FILE
        else None
    )
    parts: list[str] = []
    if committable is not None and content is not None:
        code = expanded(committable, focus, content)
        fence = suggestion_fence(code)
        parts.append(
            f"{_title(committable.finding)}\n\n{committable.description}:\n\n"
            f"{fence}suggestion\n{code}{fence}\n\n{_checked(committable)}\n"
            f"<!-- maze:fingerprint={committable.fingerprint} -->"
        )
    for fix in proven:
        if fix is committable:
            continue
        original = fix.original
        parts.append(
            f"{_title(fix.finding)}\n\n{fix.description} (this fix reaches beyond the lines of this thread, "
            "so it is shown as a diff to apply by hand):\n\n"
            f"{fix_as_diff(focus.path, fix.start_line, original, fix.replacement)}\n\n{_checked(fix)}"
        )
    fixed = {fix.finding for fix in proven}
    unfixed = [f for f in found if f not in fixed]
    if unfixed:
        listing = "\n".join(f"- line {f.line}: {f.tool} {f.rule}: {f.message}" for f in unfixed)
        lead = "Also found here" if proven else f"No proven fix for {focus.lines}"
        parts.append(f"{lead}, without a proven fix:\n\n{listing}")
    if not found:
        parts.append(f"Maze found nothing to fix at {focus.lines}.")
    return ThreadReply("\n\n---\n\n".join(parts), committable)


def _gather(
    session: Session, run_id: int, focus: Focus
) -> tuple[str | None, list[FoundThere], list[ProvenThere]]:
    content = next((f.content for f in files_of(session, run_id) if f.path == focus.path), None)
    found: dict[int, FoundThere] = {}
    for finding in findings_of(session, run_id):
        if focus.covers(finding.path, finding.line, finding.end_line):
            found[finding.id] = FoundThere(finding.tool, finding.rule, finding.message, finding.line)
    proven: list[ProvenThere] = []
    seen: set[str] = set()
    for suggestion in suggestions_of(session, run_id, SuggestionStatus.VALIDATED, SuggestionStatus.POSTED):
        there = found.get(suggestion.finding_id)
        if there is None or suggestion.fingerprint in seen:
            continue
        seen.add(suggestion.fingerprint)
        proven.append(
            ProvenThere(
                suggestion.id,
                suggestion.start_line,
                suggestion.end_line,
                suggestion.replacement,
                suggestion.original,
                suggestion.description,
                tuple(suggestion.checks),
                suggestion.fingerprint,
                there,
            )
        )
    proven.sort(key=lambda fix: (fix.end_line - fix.start_line, fix.start_line))
    return content, list(found.values()), proven


async def post_thread_reply(run: RunInfo) -> None:
    """The posting stage of a run whose command was written in a line thread."""
    command = command_of(run.summary)
    focus = Focus.of(run.summary)
    assert command is not None and focus is not None, f"run {run.id} is not a thread command"
    content, found, proven = await in_db(lambda session: _gather(session, run.id, focus))
    reply = compose_thread_reply(focus, content, found, proven)
    target = target_of(run, command)
    client = await github_client(run)
    posted = await reply_once(client, target, reply.body)

    def store(session: Session) -> None:
        stored = session.get(ReviewRun, run.id)
        assert stored is not None
        committed = None
        if reply.committed is not None:
            committed = next(
                (s for s in suggestions_of(session, run.id) if s.id == reply.committed.suggestion_id), None
            )
        review_id = posted.get("pull_request_review_id")
        if isinstance(review_id, int):
            record_posted_review(
                session,
                stored,
                github_review_id=review_id,
                marker=reply_marker(target.comment_id),
                comments=[
                    (
                        committed,
                        int(posted["id"]),
                        posted.get("node_id"),
                        str(posted.get("path") or focus.path),
                        int(posted.get("line") or posted.get("original_line") or 0),
                    )
                ],
            )

    await commit_stage(
        run,
        RunStage.POSTING,
        store,
        posted=1 if reply.committed is not None else 0,
        reply_id=posted.get("id"),
        review_id=None,
    )
