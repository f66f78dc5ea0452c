"""GitHub misbehaving, at scale: 50 pull requests across 3 installations reviewed by real worker processes
while the emulator injects 5xx answers and secondary rate limits into 20% of requests.

Every PR must end with exactly one review, no request may break GitHub's REST description, and without
faults each installation's token is minted once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.demo import sample_repository
from bot.emulator.faults import FaultPlan
from bot.emulator.state import EmulatorState
from bot.emulator.webhooks import pull_request_event, webhook_request
from maze.config import Settings
from maze.store.db import session_scope
from maze.store.models import ReviewRun, RunStage
from tests.e2e.conftest import LIGHT_CHECKS, SECRET, Workers, bot_client

pytestmark = [pytest.mark.services, pytest.mark.e2e]

ORGANISATIONS = ("octo-org", "acme", "initech")
REPOSITORIES_PER_ORGANISATION = 2
PULL_REQUESTS = 50
CALM_PULL_REQUESTS = 9
EXPECTED_COMMENTS = 6


def _open_pull_requests(state: EmulatorState) -> list[tuple[str, int]]:
    base, head = sample_repository()
    repositories = []
    for organisation in ORGANISATIONS:
        installation = state.add_installation(organisation)
        for index in range(REPOSITORIES_PER_ORGANISATION):
            name = f"{organisation}/inventory-{index}"
            state.create_repository(installation, name, {**base, **LIGHT_CHECKS})
            repositories.append(name)
    opened = []
    for number in range(PULL_REQUESTS):
        repository = repositories[number % len(repositories)]
        branch = f"change-{number}"
        changed = {**head, "inventory/notes.py": f'"""Change {number}."""\n'}
        state.push(repository, branch, changed, message=f"Change {number}")
        opened.append((repository, int(state.open_pull_request(repository, head=branch)["number"])))
    return opened


async def test_fifty_pull_requests_through_injected_faults(
    aiohttp_client: Callable[[web.Application], Any],
    emulator: tuple[EmulatorState, str],
    settings: Settings,
    workers: Workers,
) -> None:
    state, _ = emulator
    pulls = _open_pull_requests(state)
    workers.start(concurrency=2)
    client = await bot_client(aiohttp_client, settings)

    async def deliver(batch: list[tuple[str, int]]) -> None:
        for repository, number in batch:
            payload = pull_request_event(state, repository, number, "opened")
            headers, body = webhook_request("pull_request", payload, SECRET)
            response = await client.post("/webhook", data=body, headers=headers)
            assert response.status == 202, await response.text()

    def finished() -> int:
        with session_scope(settings.database_url) as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(ReviewRun)
                    .where(ReviewRun.stage.in_([RunStage.DONE, RunStage.FAILED]))
                )
                or 0
            )

    calm, stormy = pulls[:CALM_PULL_REQUESTS], pulls[CALM_PULL_REQUESTS:]
    await deliver(calm)
    workers.wait_for(lambda: finished() == len(calm), "the calm batch")
    assert sorted(state.tokens_minted.values()) == [1, 1, 1], state.tokens_minted

    state.set_faults(FaultPlan(probability=0.2, kinds=("5xx", "secondary"), seed=20261122))
    await deliver(stormy)
    workers.wait_for(lambda: finished() == PULL_REQUESTS, "every review to finish", seconds=600)
    state.set_faults(None)

    with session_scope(settings.database_url) as session:
        stages = Counter(str(stage) for stage in session.scalars(select(ReviewRun.stage)))
        failed = session.scalars(select(ReviewRun).where(ReviewRun.error.is_not(None)))
        errors = [(run.failed_stage, run.error) for run in failed]
    assert stages == {"done": PULL_REQUESTS}, errors
    reviews_per_pull = Counter(len(state.reviews(repository, number)) for repository, number in pulls)
    assert reviews_per_pull == {1: PULL_REQUESTS}
    comments_per_pull = Counter(
        len(state.review_comments(repository, number)) for repository, number in pulls
    )
    assert comments_per_pull == {EXPECTED_COMMENTS: PULL_REQUESTS}
    injected = state.faults_injected
    assert injected["5xx"] > 0 and injected["secondary"] > 0, injected
    assert state.contract_violations == []
    print(f"\nfaults injected: {dict(injected)}; tokens minted: {dict(state.tokens_minted)}")
