"""Review runs as a persisted state machine: one run per head SHA and trigger, moved on by compare-and-set.

The trigger is "push" for the review every new head gets, and `comment:<id>` for a run a `/maze` command
asked for: such a run reviews a head again even when its push run exists, and the two never supersede
each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maze.store.models import Installation, Repository, ReviewRun, RunEvent, RunStage, WebhookDelivery, utcnow

_Row = TypeVar("_Row", Installation, Repository)

PIPELINE: tuple[RunStage, ...] = (
    RunStage.QUEUED,
    RunStage.INDEXING,
    RunStage.FINDING,
    RunStage.GENERATING,
    RunStage.VALIDATING,
    RunStage.POSTING,
    RunStage.DONE,
)


PUSH_TRIGGER = "push"


def next_stage(stage: RunStage) -> RunStage:
    return PIPELINE[PIPELINE.index(stage) + 1]


def is_after(stage: RunStage, other: RunStage) -> bool:
    """True when `stage` comes later in the pipeline than `other` (final stages come after everything)."""
    if stage.is_final:
        return not other.is_final
    return other in PIPELINE and PIPELINE.index(stage) > PIPELINE.index(other)


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
    trigger: str = PUSH_TRIGGER
    summary: dict[str, Any] | None = field(default=None, hash=False)


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


def _get_or_insert(session: Session, model: type[_Row], key: int, make: Callable[[], _Row]) -> _Row:
    """The row with primary key `key`, inserted if missing; a concurrent insert by another worker is fine."""
    row = session.get(model, key)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = make()
            session.add(row)
    except IntegrityError:
        row = session.get(model, key)
        assert row is not None
    return row


def ensure_repository(
    session: Session, request: ReviewRequest, *, account_login: str, default_branch: str
) -> Repository:
    installation = _get_or_insert(
        session,
        Installation,
        request.installation_id,
        lambda: Installation(id=request.installation_id, account_login=account_login),
    )
    repository = _get_or_insert(
        session,
        Repository,
        request.repository_id,
        lambda: Repository(
            id=request.repository_id,
            installation_id=installation.id,
            full_name=request.repository,
            default_branch=default_branch,
        ),
    )
    repository.full_name = request.repository
    repository.default_branch = default_branch
    session.flush()
    return repository


def find_run(
    session: Session, repository_id: int, pr_number: int, head_sha: str, trigger: str = PUSH_TRIGGER
) -> ReviewRun | None:
    return session.scalar(
        select(ReviewRun).where(
            ReviewRun.repository_id == repository_id,
            ReviewRun.pr_number == pr_number,
            ReviewRun.head_sha == head_sha,
            ReviewRun.trigger == trigger,
        )
    )


def find_triggered_run(
    session: Session, repository_id: int, pr_number: int, trigger: str
) -> ReviewRun | None:
    """The run a command started (whatever head it reviewed), or None."""
    return session.scalar(
        select(ReviewRun)
        .where(
            ReviewRun.repository_id == repository_id,
            ReviewRun.pr_number == pr_number,
            ReviewRun.trigger == trigger,
        )
        .order_by(ReviewRun.id)
        .limit(1)
    )


def get_or_create_run(session: Session, request: ReviewRequest, head_sha: str | None = None) -> ReviewRun:
    """The one run for (repository, PR, head SHA, trigger); concurrent callers get the same row.

    A new run starts with `request.summary` (a command's parameters) as its summary.
    """
    head = head_sha or request.head_sha
    existing = find_run(session, request.repository_id, request.pr_number, head, request.trigger)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            run = ReviewRun(
                repository_id=request.repository_id,
                pr_number=request.pr_number,
                head_sha=head,
                trigger=request.trigger,
                delivery_id=request.delivery_id,
                stage=RunStage.QUEUED,
                summary=dict(request.summary or {}),
            )
            session.add(run)
            session.flush()
            session.add(
                RunEvent(run_id=run.id, stage=str(RunStage.QUEUED), detail=f"delivery {request.delivery_id}")
            )
    except IntegrityError:
        found = find_run(session, request.repository_id, request.pr_number, head, request.trigger)
        assert found is not None
        return found
    return run


def transition(
    session: Session, run_id: int, expected: RunStage, to: RunStage, *, detail: str | None = None
) -> bool:
    """Move the run from `expected` to `to` if it is still at `expected`; False when someone moved it first.

    A failed or superseded run keeps `detail` as its error, and `failed_stage` says where it stopped.
    """
    now = utcnow()
    values: dict[str, object] = {"stage": to, "stage_started_at": now, "updated_at": now, "attempts": 0}
    if to.is_final:
        values["finished_at"] = now
    if to is RunStage.FAILED:
        values["error"] = detail
        values["failed_stage"] = str(expected)
    elif to is RunStage.SUPERSEDED and detail:
        values["error"] = detail
    result = session.execute(
        update(ReviewRun)
        .where(ReviewRun.id == run_id, ReviewRun.stage == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(RunEvent(run_id=run_id, stage=str(to), at=now, detail=detail))
    session.flush()
    return True


def supersede_other_heads(session: Session, run: ReviewRun) -> list[int]:
    """Mark unfinished runs of the same PR for other heads as superseded; they stop at their next boundary.

    Runs of the same head (a push run and the runs commands asked for) leave each other alone.
    """
    others = session.scalars(
        select(ReviewRun).where(
            ReviewRun.repository_id == run.repository_id,
            ReviewRun.pr_number == run.pr_number,
            ReviewRun.id != run.id,
            ReviewRun.head_sha != run.head_sha,
            ReviewRun.stage.not_in([s for s in RunStage if s.is_final]),
        )
    ).all()
    stopped = []
    for other in others:
        if transition(
            session, other.id, other.stage, RunStage.SUPERSEDED, detail=f"superseded by {run.head_sha}"
        ):
            stopped.append(other.id)
    return stopped


def stalled_runs(session: Session, older_than: timedelta, now: datetime | None = None) -> list[ReviewRun]:
    """Unfinished runs whose stage started more than `older_than` ago: their task was lost or is stuck."""
    cutoff = (now or utcnow()) - older_than
    return list(
        session.scalars(
            select(ReviewRun).where(
                ReviewRun.stage.not_in([s for s in RunStage if s.is_final]),
                ReviewRun.stage_started_at < cutoff,
            )
        )
    )
