"""End to end: a signed `pull_request.opened` -> the Redis queue -> a real `celery worker` process ->
the emulator's GitHub -> exactly one review with validated suggestions, recorded in PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.demo import sample_repository
from bot.emulator.server import EmulatorServer
from bot.emulator.state import EmulatorState
from bot.emulator.webhooks import pull_request_event, webhook_request
from bot.webhooks.claims import RedisClaims
from maze.config import load_settings
from maze.store import schema
from maze.store.db import session_scope
from maze.store.models import PostedComment, PostedReview, ReviewRun, RunStage, Suggestion, WebhookDelivery
from tasks.celery_app import create_celery
from tasks.queue import CeleryEnqueuer

pytestmark = [pytest.mark.services, pytest.mark.e2e]

APP_ID = 4242
SECRET = "e2e-webhook-secret"
REPO = "octo-org/inventory"
WAIT_SECONDS = 180.0


def wait_for(condition: Callable[[], bool], what: str, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode} while waiting for {what}")
        time.sleep(0.2)
    pytest.fail(f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}")


@pytest.fixture()
def github(app_key: Any) -> Iterator[tuple[EmulatorState, str, int]]:
    state = EmulatorState(app_id=APP_ID, app_public_key_pem=app_key.public_pem)
    installation = state.add_installation("octo-org")
    base, head = sample_repository()
    state.create_repository(installation, REPO, base)
    state.push(REPO, "stock-report", head, message="Add stock reports")
    number = int(state.open_pull_request(REPO, head="stock-report", title="Add stock reports")["number"])
    with EmulatorServer(state) as server:
        yield state, server.url, number


@pytest.fixture()
def worker_env(
    github: tuple[EmulatorState, str, int],
    postgres_url: str,
    redis_url: str,
    redis_prefix: str,
    app_key: Any,
    tmp_path: Path,
) -> dict[str, str]:
    schema.upgrade(postgres_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAZE_")}
    env.update(
        HOME=str(tmp_path),
        MAZE_DATABASE_URL=postgres_url,
        MAZE_REDIS_URL=redis_url,
        MAZE_REDIS_PREFIX=redis_prefix,
        MAZE_GITHUB_APP_ID=str(APP_ID),
        MAZE_GITHUB_PRIVATE_KEY=app_key.private_pem,
        MAZE_GITHUB_API_URL=github[1],
        MAZE_WEBHOOK_SECRET=SECRET,
    )
    return env


@pytest.fixture()
def worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker", "--concurrency", "1"],
        env=worker_env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    sys.stderr.write((tmp_path / "worker.log").read_text(errors="replace")[-4000:])


async def test_opened_pull_request_gets_one_validated_review(
    aiohttp_client: Callable[[web.Application], Any],
    github: tuple[EmulatorState, str, int],
    worker_env: dict[str, str],
    worker: subprocess.Popen[bytes],
    tmp_path: Path,
) -> None:
    state, _, number = github
    settings = load_settings(env=worker_env, cwd=tmp_path, home=tmp_path)
    assert settings.redis_url is not None
    app = create_app(
        webhook_secret=SECRET,
        claims=RedisClaims(settings.redis_url, settings.redis_prefix),
        enqueuer=CeleryEnqueuer(create_celery(settings)),
    )
    client: TestClient[Any, Any] = await aiohttp_client(app)
    payload = pull_request_event(state, REPO, number, "opened")
    head_sha = payload["pull_request"]["head"]["sha"]
    headers, body = webhook_request("pull_request", payload, SECRET, delivery_id="e2e-delivery-1")

    response = await client.post("/webhook", data=body, headers=headers)
    assert response.status == 202

    def run_stage() -> RunStage | None:
        with session_scope(settings.database_url) as session:
            return session.scalar(select(ReviewRun.stage).where(ReviewRun.head_sha == head_sha))

    wait_for(lambda: run_stage() in {RunStage.DONE, RunStage.FAILED}, "the review run to finish", worker)
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

    redelivery_headers, redelivery_body = webhook_request(
        "pull_request", payload, SECRET, delivery_id="e2e-delivery-2"
    )
    assert (await client.post("/webhook", data=redelivery_body, headers=redelivery_headers)).status == 202

    def delivery_recorded() -> bool:
        with session_scope(settings.database_url) as session:
            return (
                session.scalar(
                    select(WebhookDelivery.id).where(WebhookDelivery.delivery_id == "e2e-delivery-2")
                )
                is not None
            )

    wait_for(delivery_recorded, "the second delivery to be taken by the worker", worker)
    assert len(state.reviews(REPO, number)) == 1
    assert len(state.review_comments(REPO, number)) == len(comments)
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(ReviewRun)) == 1
        assert session.scalar(select(func.count()).select_from(PostedReview)) == 1
