"""Review runs in the database: claim a run per head SHA, move it through stages, keep what it found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maze.analysis import FindingResult
from maze.store.models import (
    Finding,
    Installation,
    PostedComment,
    PostedReview,
    Repository,
    ReviewRun,
    RunStage,
    Suggestion,
    SuggestionStatus,
    WebhookDelivery,
    utcnow,
)


@dataclass(frozen=True)
class ReviewRequest:
    """What a webhook hands to the queue: ids only, never payloads or secrets."""

    installation_id: int
    repository_id: int
    repository: str
    pr_number: int
    head_sha: str
    delivery_id: str
    event: str = "pull_request"
    action: str = "opened"


def record_delivery(session: Session, request: ReviewRequest) -> bool:
    """Remember the delivery; False when a worker already took this delivery id."""
    if session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.delivery_id == request.delivery_id)):
        return False
    try:
        with session.begin_nested():
            session.add(
                WebhookDelivery(
                    delivery_id=request.delivery_id,
                    event=request.event,
                    action=request.action,
                    installation_id=request.installation_id,
                )
            )
    except IntegrityError:
        return False
    return True


def ensure_repository(
    session: Session, request: ReviewRequest, *, account_login: str, default_branch: str
) -> Repository:
    installation = session.get(Installation, request.installation_id)
    if installation is None:
        installation = Installation(id=request.installation_id, account_login=account_login)
        session.add(installation)
    repository = session.get(Repository, request.repository_id)
    if repository is None:
        repository = Repository(id=request.repository_id, installation_id=installation.id)
        session.add(repository)
    repository.full_name = request.repository
    repository.default_branch = default_branch
    session.flush()
    return repository


def find_run(session: Session, repository_id: int, pr_number: int, head_sha: str) -> ReviewRun | None:
    return session.scalar(
        select(ReviewRun).where(
            ReviewRun.repository_id == repository_id,
            ReviewRun.pr_number == pr_number,
            ReviewRun.head_sha == head_sha,
        )
    )


def get_or_create_run(session: Session, request: ReviewRequest) -> ReviewRun:
    """The one run for (repository, PR, head SHA); concurrent callers get the same row."""
    existing = find_run(session, request.repository_id, request.pr_number, request.head_sha)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            run = ReviewRun(
                repository_id=request.repository_id,
                pr_number=request.pr_number,
                head_sha=request.head_sha,
                delivery_id=request.delivery_id,
                stage=RunStage.QUEUED,
            )
            session.add(run)
    except IntegrityError:
        found = find_run(session, request.repository_id, request.pr_number, request.head_sha)
        assert found is not None
        return found
    return run


def set_stage(session: Session, run: ReviewRun, stage: RunStage, *, error: str | None = None) -> None:
    run.stage = stage
    run.error = error
    if stage.is_final:
        run.finished_at = utcnow()
    session.flush()


def store_results(
    session: Session, run: ReviewRun, results: Iterable[FindingResult]
) -> dict[str, Suggestion]:
    """Persist findings and candidates; returns the proven suggestions by fingerprint."""
    run.findings.clear()
    session.flush()
    proven: dict[str, Suggestion] = {}
    for result in results:
        finding = Finding(
            tool=result.tool,
            rule=result.rule,
            message=result.message,
            path=result.path,
            line=result.line,
            end_line=result.end_line,
        )
        run.findings.append(finding)
        candidate, verdict = result.candidate, result.verdict
        if candidate is None or verdict is None or result.fingerprint is None:
            continue
        suggestion = Suggestion(
            source=candidate.source,
            path=candidate.path,
            start_line=candidate.start_line,
            end_line=candidate.end_line,
            replacement=candidate.replacement,
            fingerprint=result.fingerprint,
            status=SuggestionStatus.VALIDATED if verdict.valid else SuggestionStatus.REJECTED,
            checks=list(verdict.checks),
            rejection=None if verdict.valid else verdict.reason,
        )
        finding.suggestions.append(suggestion)
        if verdict.valid:
            proven.setdefault(result.fingerprint, suggestion)
    session.flush()
    return proven


def posted_fingerprints(
    session: Session, repository_id: int, pr_number: int, *, excluding_run: int
) -> set[str]:
    """Fingerprints of suggestions already posted on this PR by earlier runs."""
    rows = session.scalars(
        select(Suggestion.fingerprint)
        .join(PostedComment, PostedComment.suggestion_id == Suggestion.id)
        .join(Finding, Finding.id == Suggestion.finding_id)
        .join(ReviewRun, ReviewRun.id == Finding.run_id)
        .where(
            ReviewRun.repository_id == repository_id,
            ReviewRun.pr_number == pr_number,
            ReviewRun.id != excluding_run,
        )
    )
    return set(rows)


def record_posted_review(
    session: Session,
    run: ReviewRun,
    *,
    github_review_id: int,
    marker: str,
    comments: Sequence[tuple[Suggestion | None, int, str, int]],
) -> PostedReview:
    """Store the review GitHub created and its comments (suggestion, comment id, path, line)."""
    posted = session.scalar(select(PostedReview).where(PostedReview.github_review_id == github_review_id))
    if posted is None:
        posted = PostedReview(github_review_id=github_review_id, marker=marker)
        run.posted_reviews.append(posted)
    known = {comment.github_comment_id for comment in posted.comments}
    for suggestion, comment_id, path, line in comments:
        if comment_id in known:
            continue
        posted.comments.append(
            PostedComment(
                suggestion_id=suggestion.id if suggestion else None,
                github_comment_id=comment_id,
                path=path,
                line=line,
            )
        )
        if suggestion is not None:
            suggestion.status = SuggestionStatus.POSTED
    session.flush()
    return posted
