"""The review pipeline survives what production throws at it, with real worker processes:
SIGKILL at random points, a broker restart with tasks queued, a database refusing connections, bursts of
pushes, and a stage that keeps failing. Every PR ends with exactly one review and no duplicate comment.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.demo import sample_repository
from bot.emulator.state import EmulatorState
from bot.emulator.webhooks import pull_request_event, webhook_request
from maze.config import Settings, load_settings
from maze.store.db import session_scope
from maze.store.models import ReviewRun, RunStage
from tests.e2e.conftest import LIGHT_CHECKS, SECRET, bot_client
from tests.faults.processes import ProcessGroup
from tests.faults.proxy import TcpOutageProxy
from tests.faults.redis_server import PrivateRedis

pytestmark = [pytest.mark.services, pytest.mark.e2e, pytest.mark.faults]

EXPECTED_COMMENTS = 6
WAIT_SECONDS = 240.0
Pulls = list[tuple[str, int]]


class Deployment:
    """Workers started and killed as process groups, the bot's web app, and the emulator they talk to."""

    def __init__(self, state: EmulatorState, env: dict[str, str], root: Path, settings: Settings) -> None:
        self.state = state
        self.env = env
        self.root = root
        self.settings = settings
        self.workers: list[ProcessGroup] = []

    def start_worker(self, concurrency: int = 2) -> ProcessGroup:
        log = self.root / f"worker-{len(self.workers)}.log"
        worker = ProcessGroup.maze_worker(self.env, self.root, concurrency=concurrency, log_path=log).start()
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.close()

    def runs(self) -> list[ReviewRun]:
        with session_scope(self.settings.database_url) as session:
            return list(session.scalars(select(ReviewRun)))

    def wait_until(self, condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.25)
        logs = "\n".join(w.log_tail(2000) for w in self.workers[-2:])
        pytest.fail(
            f"timed out waiting for {what}; runs: {Counter(str(r.stage) for r in self.runs())}\n{logs}"
        )

    def finished(self, count: int) -> bool:
        runs = self.runs()
        return len([r for r in runs if r.stage.is_final]) >= count and all(r.stage.is_final for r in runs)


def open_pull_requests(
    state: EmulatorState, count: int, organisations: tuple[str, ...] = ("octo-org",)
) -> Pulls:
    base, head = sample_repository()
    repositories = []
    for organisation in organisations:
        installation = state.add_installation(organisation)
        name = f"{organisation}/inventory"
        state.create_repository(installation, name, {**base, **LIGHT_CHECKS})
        repositories.append(name)
    pulls = []
    for number in range(count):
        repository = repositories[number % len(repositories)]
        state.push(
            repository, f"change-{number}", {**head, "inventory/notes.py": f'"""Change {number}."""\n'}
        )
        pulls.append(
            (repository, int(state.open_pull_request(repository, head=f"change-{number}")["number"]))
        )
    return pulls


async def deliver(
    client: TestClient[Any, Any], state: EmulatorState, pulls: Pulls, action: str = "opened"
) -> None:
    for repository, number in pulls:
        headers, body = webhook_request(
            "pull_request", pull_request_event(state, repository, number, action), SECRET
        )
        response = await client.post("/webhook", data=body, headers=headers)
        assert response.status == 202, await response.text()


def assert_one_review_each(deployment: Deployment, pulls: Pulls) -> None:
    state = deployment.state
    stages = Counter(str(run.stage) for run in deployment.runs())
    assert stages["failed"] == 0, [r.error for r in deployment.runs() if r.error]
    for repository, number in pulls:
        head = state.pull_request(repository, number)["head"]["sha"]
        reviews = state.reviews(repository, number)
        assert len(reviews) == 1, (repository, number, len(reviews))
        assert reviews[0]["commit_id"] == head
        comments = state.review_comments(repository, number)
        assert len(comments) == EXPECTED_COMMENTS
        assert len({(c["path"], c["line"], c["body"]) for c in comments}) == EXPECTED_COMMENTS


@pytest.fixture()
def deployment(
    emulator: tuple[EmulatorState, str], worker_env: dict[str, str], tmp_path: Path
) -> Iterator[Deployment]:
    env = {**worker_env, "MAZE_REVIEW_TIMEOUT_SECONDS": "30"}
    settings = load_settings(env=env, cwd=tmp_path, home=tmp_path)
    running = Deployment(emulator[0], env, tmp_path, settings)
    yield running
    running.stop()


def _client_for(aiohttp_client: Callable[[web.Application], Any], deployment: Deployment) -> Any:
    return bot_client(aiohttp_client, deployment.settings)


async def test_sigkill_at_random_points_twenty_times(
    aiohttp_client: Callable[[web.Application], Any], deployment: Deployment
) -> None:
    pulls = open_pull_requests(deployment.state, 20, ("octo-org", "acme"))
    client = await _client_for(aiohttp_client, deployment)
    chance = random.Random(4)
    worker = deployment.start_worker()
    worker.wait_for_log("ready.")
    await deliver(client, deployment.state, pulls)
    for _ in range(20):
        time.sleep(chance.uniform(0.2, 1.5))
        worker.kill()
        worker = deployment.start_worker()
        worker.wait_for_log("ready.")
    deployment.wait_until(lambda: deployment.finished(len(pulls)), "every run to finish after the kills")
    assert_one_review_each(deployment, pulls)


async def test_a_broker_restart_loses_no_queued_task(
    aiohttp_client: Callable[[web.Application], Any], deployment: Deployment, private_redis: PrivateRedis
) -> None:
    deployment.env["MAZE_REDIS_URL"] = private_redis.url
    deployment.settings = load_settings(env=deployment.env, cwd=deployment.root, home=deployment.root)
    pulls = open_pull_requests(deployment.state, 8)
    client = await _client_for(aiohttp_client, deployment)
    await deliver(client, deployment.state, pulls)
    private_redis.restart()
    deployment.start_worker()
    deployment.wait_until(lambda: deployment.finished(len(pulls)), "the queued reviews after the restart")
    assert_one_review_each(deployment, pulls)


async def test_a_database_outage_mid_run_is_retried(
    aiohttp_client: Callable[[web.Application], Any],
    deployment: Deployment,
    postgres_proxy: TcpOutageProxy,
    postgres_url: str,
) -> None:
    deployment.env["MAZE_DATABASE_URL"] = postgres_proxy.url_for(postgres_url)
    pulls = open_pull_requests(deployment.state, 6)
    client = await _client_for(aiohttp_client, deployment)
    deployment.start_worker().wait_for_log("ready.")
    await deliver(client, deployment.state, pulls)
    deployment.wait_until(
        lambda: any(r.stage not in (RunStage.QUEUED, RunStage.INDEXING) for r in deployment.runs()),
        "a run past indexing",
    )
    postgres_proxy.outage(10.0)
    deployment.wait_until(lambda: deployment.finished(len(pulls)), "every run after the outage")
    assert_one_review_each(deployment, pulls)
    assert postgres_proxy.outages == 1


async def test_bursts_of_pushes_get_one_review_of_the_last_head(
    aiohttp_client: Callable[[web.Application], Any], deployment: Deployment
) -> None:
    deployment.env["MAZE_PUSH_DEBOUNCE_SECONDS"] = "2"
    deployment.settings = load_settings(env=deployment.env, cwd=deployment.root, home=deployment.root)
    state = deployment.state
    pulls = open_pull_requests(state, 10, ("octo-org", "acme"))
    client = await _client_for(aiohttp_client, deployment)
    deployment.start_worker().wait_for_log("ready.")
    chance = random.Random(11)
    deliveries = 0
    for repository, number in pulls:
        await deliver(client, state, [(repository, number)])
        deliveries += 1
        branch = state.pull_request(repository, number)["head"]["ref"]
        for push in range(chance.randint(3, 5) - 1):
            state.push(repository, branch, {"inventory/notes.py": f'"""Push {push}."""\n'})
            await deliver(client, state, [(repository, number)], action="synchronize")
            deliveries += 1
    assert deliveries >= 30
    finals = {(r, n): state.pull_request(r, n)["head"]["sha"] for r, n in pulls}

    def final_heads_done() -> bool:
        runs = deployment.runs()
        done = {run.head_sha for run in runs if run.stage is RunStage.DONE}
        return done == set(finals.values()) and all(run.stage.is_final for run in runs)

    deployment.wait_until(final_heads_done, "one finished run per PR")
    assert_one_review_each(deployment, pulls)
    with session_scope(deployment.settings.database_url) as session:
        done_heads = {
            run.head_sha for run in session.scalars(select(ReviewRun)) if run.stage is RunStage.DONE
        }
    assert done_heads == set(finals.values())


async def test_a_stage_that_keeps_failing_ends_failed_and_is_listed(
    aiohttp_client: Callable[[web.Application], Any], deployment: Deployment
) -> None:
    deployment.env.update(MAZE_STAGE_RETRIES="2", MAZE_REVIEW_TIMEOUT_SECONDS="60")
    (pull,) = open_pull_requests(deployment.state, 1)
    deployment.state.fail_next("GET", r"/pulls/\d+/files", 500, times=10_000)
    client = await _client_for(aiohttp_client, deployment)
    deployment.start_worker()
    await deliver(client, deployment.state, [pull])
    deployment.wait_until(lambda: deployment.finished(1), "the run to give up")
    (run,) = deployment.runs()
    assert (run.stage, run.failed_stage) == (RunStage.FAILED, "indexing")
    assert run.error == "GitHub answered HTTP 500: Internal Server Error"
    listed = CliRunner().invoke(main, ["runs", "--stage", "failed"], env=deployment.env)
    assert listed.exit_code == 0, listed.output
    assert f"{pull[0]}#{pull[1]}" in listed.output and "GitHub answered HTTP 500" in listed.output
    shown = CliRunner().invoke(main, ["runs", "show", str(run.id)], env=deployment.env)
    assert "failed at indexing" in shown.output and "indexing" in shown.output
