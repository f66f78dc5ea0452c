"""Celery tasks: thin wrappers that take ids and call the task code."""

from __future__ import annotations

from celery import shared_task

from maze.installations import InstallationSync
from maze.runs import ReviewRequest
from tasks.installations import run_installation_sync
from tasks.review import run_review

REVIEW_TASK = "maze.review_pull_request"
INSTALLATION_TASK = "maze.sync_installation"


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


@shared_task(name=INSTALLATION_TASK, acks_late=True)
def sync_installation(installation_id: int, action: str, delivery_id: str) -> None:
    run_installation_sync(InstallationSync(installation_id, action, delivery_id))
