"""What each stage of a run reads and writes: the files it saw, findings, candidates, verdicts, postings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from maze.analysis import Problem, Proposal, as_proposal
from maze.store.models import (
    FeedbackEvent,
    Finding,
    PostedComment,
    PostedReview,
    ReviewRun,
    RunFile,
    Suggestion,
    SuggestionStatus,
)
from maze.suggestions import Candidate
from maze.validation import Verdict

if TYPE_CHECKING:
    from maze.repair.engine import Outcome

NOT_CHOSEN = "another proven fix of this finding is smaller"
NOT_TRIED = "not tried: a cheaper source gave a proven fix"


@dataclass(frozen=True)
class FileRecord:
    path: str
    status: str
    blob_sha: str | None
    patch: str | None
    content: str | None
    skipped: str | None = None


def save_files(session: Session, run_id: int, files: Iterable[FileRecord]) -> None:
    for old in session.scalars(select(RunFile).where(RunFile.run_id == run_id)):
        session.delete(old)
    session.flush()
    session.add_all(
        RunFile(
            run_id=run_id,
            path=f.path,
            status=f.status,
            blob_sha=f.blob_sha,
            patch=f.patch,
            content=f.content,
            skipped=f.skipped,
        )
        for f in files
    )
    session.flush()


def files_of(session: Session, run_id: int) -> list[RunFile]:
    return list(session.scalars(select(RunFile).where(RunFile.run_id == run_id).order_by(RunFile.path)))


def save_findings(session: Session, run_id: int, problems: Iterable[Problem]) -> int:
    for old in session.scalars(select(Finding).where(Finding.run_id == run_id)):
        session.delete(old)
    session.flush()
    rows = [
        Finding(
            run_id=run_id,
            tool=p.tool,
            rule=p.rule,
            message=p.message,
            path=p.path,
            line=p.line,
            end_line=p.end_line,
            detail=p.detail(),
        )
        for p in problems
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def findings_of(session: Session, run_id: int) -> list[Finding]:
    return list(session.scalars(select(Finding).where(Finding.run_id == run_id).order_by(Finding.id)))


def as_problem(finding: Finding) -> Problem:
    return Problem(
        finding.tool,
        finding.rule,
        finding.message,
        finding.path,
        finding.line,
        finding.end_line,
        Problem.diagnostic_from(finding.detail),
        column=int(str(finding.detail.get("column") or 1)),
        end_column=int(str(finding.detail.get("end_column") or 1)),
        why=str(finding.detail.get("why") or ""),
    )


def as_candidate(suggestion: Suggestion) -> Candidate:
    return Candidate(
        suggestion.path,
        suggestion.start_line,
        suggestion.end_line,
        suggestion.replacement,
        suggestion.source,
        suggestion.finding.rule,
        suggestion.description,
    )


def save_proposals(session: Session, proposals: Sequence[tuple[Finding, Proposal]]) -> int:
    for finding, _ in proposals:
        for old in list(finding.suggestions):
            session.delete(old)
    session.flush()
    session.add_all(_suggestion(finding, proposal) for finding, proposal in proposals)
    session.flush()
    return len(proposals)


def _suggestion(finding: Finding, proposal: Proposal) -> Suggestion:
    candidate = proposal.candidate
    return Suggestion(
        finding=finding,
        source=candidate.source,
        path=candidate.path,
        start_line=candidate.start_line,
        end_line=candidate.end_line,
        replacement=candidate.replacement,
        original=proposal.original,
        description=candidate.description,
        fingerprint=proposal.fingerprint,
        status=SuggestionStatus.PROPOSED,
    )


def suggestions_of(session: Session, run_id: int, *statuses: SuggestionStatus) -> list[Suggestion]:
    query = (
        select(Suggestion).join(Finding, Finding.id == Suggestion.finding_id).where(Finding.run_id == run_id)
    )
    if statuses:
        query = query.where(Suggestion.status.in_(statuses))
    return list(session.scalars(query.order_by(Suggestion.id)))


def record_verdict(suggestion: Suggestion, verdict: Verdict) -> None:
    suggestion.status = SuggestionStatus.VALIDATED if verdict.valid else SuggestionStatus.REJECTED
    suggestion.checks = list(verdict.checks)
    suggestion.rejection = None if verdict.valid else verdict.reason


def _edit_key(path: str, start: int, end: int, replacement: str) -> tuple[str, int, int, str]:
    return (path, start, end, replacement)


def record_outcomes(session: Session, run_id: int, outcomes: Sequence[tuple[int, Outcome]]) -> None:
    """Store what the engine made of each finding (by finding id): every attempt's verdict, the chosen
    fix VALIDATED, other proven fixes and untried candidates NOT_POSTED, failed ones REJECTED.

    Attempts that were not stored candidates (the model's, or an earlier finding's fix shared with this
    one) become new suggestion rows.
    """
    findings = {finding.id: finding for finding in findings_of(session, run_id)}
    for finding_id, outcome in outcomes:
        finding = findings[finding_id]
        rows = {_edit_key(s.path, s.start_line, s.end_line, s.replacement): s for s in finding.suggestions}
        chosen = outcome.chosen
        tried: set[tuple[str, int, int, str]] = set()
        for attempt in outcome.attempts:
            candidate = attempt.candidate
            key = _edit_key(candidate.path, candidate.start_line, candidate.end_line, candidate.replacement)
            row = rows.get(key)
            if row is None:
                proposal = as_proposal(outcome.problem, candidate, _text_of(session, run_id, candidate.path))
                row = _suggestion(finding, proposal)
                session.add(row)
                rows[key] = row
            tried.add(key)
            record_verdict(row, attempt.verdict)
            if attempt.verdict.valid and attempt != chosen:
                row.status = SuggestionStatus.NOT_POSTED
                row.rejection = NOT_CHOSEN
        for key, row in rows.items():
            if key not in tried and row.status is SuggestionStatus.PROPOSED:
                row.status = SuggestionStatus.NOT_POSTED
                row.rejection = NOT_TRIED
    session.flush()


def _text_of(session: Session, run_id: int, path: str) -> str:
    return next((f.content or "" for f in files_of(session, run_id) if f.path == path), "")


def posted_on_earlier_heads(session: Session, run: ReviewRun) -> list[tuple[Suggestion, PostedComment]]:
    """Suggestions this PR already shows from earlier runs, with their comments, still standing."""
    rows = session.execute(
        select(Suggestion, PostedComment)
        .join(PostedComment, PostedComment.suggestion_id == Suggestion.id)
        .join(Finding, Finding.id == Suggestion.finding_id)
        .join(ReviewRun, ReviewRun.id == Finding.run_id)
        .where(
            ReviewRun.repository_id == run.repository_id,
            ReviewRun.pr_number == run.pr_number,
            ReviewRun.id != run.id,
            Suggestion.status == SuggestionStatus.POSTED,
        )
    ).all()
    return [(suggestion, comment) for suggestion, comment in rows]


def mark_fate(
    session: Session, suggestion: Suggestion, status: SuggestionStatus, detail: dict[str, object]
) -> None:
    """An earlier suggestion was applied or went out of date on the new head: keep the fact for learning."""
    suggestion.status = status
    session.add(FeedbackEvent(suggestion_id=suggestion.id, kind=str(status), detail=detail))


def record_posted_review(
    session: Session,
    run: ReviewRun,
    *,
    github_review_id: int,
    marker: str,
    comments: Sequence[tuple[Suggestion | None, int, str | None, str, int]],
) -> PostedReview:
    """Store the review GitHub created and its comments (suggestion, comment id, node id, path, line)."""
    posted = session.scalar(select(PostedReview).where(PostedReview.github_review_id == github_review_id))
    if posted is None:
        posted = PostedReview(run_id=run.id, github_review_id=github_review_id, marker=marker)
        session.add(posted)
        session.flush()
    known = {comment.github_comment_id for comment in posted.comments}
    for suggestion, comment_id, node_id, path, line in comments:
        if comment_id in known:
            continue
        posted.comments.append(
            PostedComment(
                suggestion_id=suggestion.id if suggestion else None,
                github_comment_id=comment_id,
                node_id=node_id,
                path=path,
                line=line,
            )
        )
        if suggestion is not None:
            suggestion.status = SuggestionStatus.POSTED
    session.flush()
    return posted
