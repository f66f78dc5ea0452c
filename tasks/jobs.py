"""Celery tasks: thin wrappers that take ids and call the review code."""

from __future__ import annotations

from celery import shared_task

from maze.runs import ReviewRequest
from tasks.review import run_review

REVIEW_TASK = "maze.review_pull_request"


@shared_task(name=REVIEW_TASK, acks_late=True)
def review_pull_request(
    installation_id: int,
    repository_id: int,
    repository: str,
    pr_number: int,
    head_sha: str,
    delivery_id: str,
    event: str = "pull_request",
    action: str = "opened",
) -> None:
    run_review(
        ReviewRequest(
            installation_id, repository_id, repository, pr_number, head_sha, delivery_id, event, action
        )
    )
