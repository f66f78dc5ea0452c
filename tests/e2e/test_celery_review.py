"""End to end: a signed `pull_request.opened` -> the Redis queue -> a real `celery worker` process ->
the emulator's GitHub -> exactly one review with validated suggestions, recorded in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.demo import sample_repository
from bot.emulator.state import EmulatorState
from bot.emulator.webhooks import pull_request_event, webhook_request
from maze.config import Settings
from maze.store.db import session_scope
from maze.store.models import PostedComment, PostedReview, ReviewRun, RunStage, Suggestion, WebhookDelivery
from tests.e2e.conftest import SECRET, Workers, bot_client

pytestmark = [pytest.mark.services, pytest.mark.e2e]

REPO = "octo-org/inventory"


async def test_opened_pull_request_gets_one_validated_review(
    aiohttp_client: Callable[[web.Application], Any],
    emulator: tuple[EmulatorState, str],
    settings: Settings,
    workers: Workers,
) -> None:
    state, _ = emulator
    installation = state.add_installation("octo-org")
    base, head = sample_repository()
    state.create_repository(installation, REPO, base)
    state.push(REPO, "stock-report", head, message="Add stock reports")
    number = int(state.open_pull_request(REPO, head="stock-report", title="Add stock reports")["number"])
    workers.start()
    client = await bot_client(aiohttp_client, settings)
    payload = pull_request_event(state, REPO, number, "opened")
    head_sha = payload["pull_request"]["head"]["sha"]
    headers, body = webhook_request("pull_request", payload, SECRET, delivery_id="e2e-delivery-1")

    response = await client.post("/webhook", data=body, headers=headers)
    assert response.status == 202

    def run_stage() -> RunStage | None:
        with session_scope(settings.database_url) as session:
            return session.scalar(select(ReviewRun.stage).where(ReviewRun.head_sha == head_sha))

    workers.wait_for(lambda: run_stage() in {RunStage.DONE, RunStage.FAILED}, "the review run to finish")
    with session_scope(settings.database_url) as session:
        run = session.scalars(select(ReviewRun).where(ReviewRun.head_sha == head_sha)).one()
        assert run.stage is RunStage.DONE, run.error
        validated = session.scalar(
            select(func.count()).select_from(Suggestion).where(Suggestion.status.in_(["validated", "posted"]))
        )
        posted = session.scalars(select(PostedReview)).all()
        posted_comment_ids = set(session.scalars(select(PostedComment.github_comment_id)))

    reviews = state.reviews(REPO, number)
    assert len(reviews) == 1
    (review,) = reviews
    assert review["state"] == "COMMENTED" and review["commit_id"] == head_sha
    comments = state.review_comments(REPO, number)
    suggestions = [c for c in comments if "```suggestion" in c["body"]]
    assert suggestions, "the review carries no suggestion block"
    assert validated is not None and validated >= len(suggestions)
    assert [p.github_review_id for p in posted] == [review["id"]]
    assert posted_comment_ids == {c["id"] for c in comments}
    assert all(c["side"] == "RIGHT" for c in comments)

    again = await client.post("/webhook", data=body, headers=headers)
    assert again.status == 200 and (await again.json())["status"] == "duplicate"

    payload["action"] = "reopened"
    reopened_headers, reopened_body = webhook_request(
        "pull_request", payload, SECRET, delivery_id="e2e-delivery-2"
    )
    reopened = await client.post("/webhook", data=reopened_body, headers=reopened_headers)
    assert reopened.status == 200 and (await reopened.json())["status"] == "duplicate"
    assert len(state.reviews(REPO, number)) == 1
    assert len(state.review_comments(REPO, number)) == len(comments)
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(ReviewRun)) == 1
        assert session.scalar(select(func.count()).select_from(PostedReview)) == 1
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
