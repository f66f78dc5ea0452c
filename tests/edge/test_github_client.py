"""The GitHub client against the emulator: tokens, 401 recovery, retries, rate limits, pacing, ETags."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from gidgethub import GitHubBroken

from bot.emulator import limits
from bot.emulator.faults import FaultPlan
from bot.emulator.keys import AppKeyPair
from bot.emulator.server import EmulatorServer
from bot.emulator.state import EmulatorState
from bot.github.api import GitHubUnavailable, RetryPolicy
from bot.github.auth import AppAuth
from bot.github.client import GitHubAuthError, GitHubClient
from bot.github.connection import GitHubConnection
from bot.github.pacing import MemoryPacer
from bot.github.tokens import MemoryTokenStore

APP_ID = 55
REPO = "octo-org/widgets"
FAST = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.01)


@pytest.fixture()
def github(app_key: AppKeyPair) -> Iterator[tuple[EmulatorState, str, int]]:
    state = EmulatorState(app_id=APP_ID, app_public_key_pem=app_key.public_pem)
    installation = state.add_installation("octo-org")
    state.create_repository(installation, REPO, {"README.md": "widgets\n", "a.py": "x = 1\n"})
    state.push(REPO, "feature", {"a.py": "x = 2\n"})
    state.open_pull_request(REPO, head="feature")
    with EmulatorServer(state) as server:
        yield state, server.url, installation
    assert state.contract_violations == []


@pytest.fixture()
async def connection(
    github: tuple[EmulatorState, str, int], app_key: AppKeyPair
) -> AsyncIterator[GitHubConnection]:
    _, url, _ = github
    async with aiohttp.ClientSession() as session:
        auth = AppAuth(APP_ID, app_key.private_pem, MemoryTokenStore())
        yield GitHubConnection(
            session, base_url=url, auth=auth, pacer=MemoryPacer(interval=0.01), policy=FAST
        )


async def test_a_token_is_minted_once_and_shared_by_clients(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection
) -> None:
    state, _, installation = github
    for _ in range(3):
        client = GitHubClient(connection, installation)
        assert (await client.repository(REPO))["full_name"] == REPO
        assert len(await client.pull_request_files(REPO, 1)) == 1
    assert state.tokens_minted[installation] == 1
    assert connection.auth.minted[installation] == 1


async def test_a_revoked_token_is_replaced_once(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection
) -> None:
    state, _, installation = github
    client = GitHubClient(connection, installation)
    await client.repository(REPO)
    state.expire_tokens()
    assert (await GitHubClient(connection, installation).pull_request(REPO, 1))["number"] == 1
    assert state.tokens_minted[installation] == 2


async def test_a_deleted_installation_fails_with_a_clear_error(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection
) -> None:
    state, _, installation = github
    client = GitHubClient(connection, installation)
    await client.repository(REPO)
    state.delete_installation(installation)
    with pytest.raises(GitHubAuthError, match=f"installation {installation}: GitHub does not know"):
        await client.repository(REPO)


@pytest.mark.parametrize("status", [403, 429])
async def test_secondary_rate_limits_are_honoured_and_logged(
    github: tuple[EmulatorState, str, int],
    connection: GitHubConnection,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    state, _, installation = github
    client = GitHubClient(connection, installation)
    await client.repository(REPO)
    state.fail_next("GET", r"/pulls/1$", status, times=2, headers={"retry-after": "0"})
    with caplog.at_level(logging.WARNING, logger="maze.github"):
        assert (await client.pull_request(REPO, 1))["number"] == 1
    retries = [r.getMessage() for r in caplog.records if "secondary rate limit" in r.getMessage()]
    assert len(retries) == 2
    assert all(f"installation={installation}" in line and "/pulls/1" in line for line in retries)


async def test_server_errors_on_reads_are_retried(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection
) -> None:
    state, _, installation = github
    state.fail_next("GET", r"/pulls/1/files", 502, times=3)
    assert len(await GitHubClient(connection, installation).pull_request_files(REPO, 1)) == 1


async def test_a_failing_create_is_not_repeated_blindly(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection
) -> None:
    state, _, installation = github
    client = GitHubClient(connection, installation)
    head = (await client.pull_request(REPO, 1))["head"]["sha"]
    state.fail_next("POST", r"/pulls/1/reviews$", 502)
    with pytest.raises(GitHubBroken):
        await client.create_review(REPO, 1, commit_id=head, body="hello", comments=[])
    assert state.reviews(REPO, 1) == []


async def test_a_dropped_connection_on_a_read_is_retried_and_on_a_write_is_reported(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection
) -> None:
    state, _, installation = github
    client = GitHubClient(connection, installation)
    head = (await client.pull_request(REPO, 1))["head"]["sha"]
    state.set_faults(FaultPlan(probability=1.0, kinds=("drop",), methods=("GET",), path_regex=r"/reviews$"))
    with pytest.raises(GitHubUnavailable, match="installation="):
        await client.reviews(REPO, 1)
    state.set_faults(
        FaultPlan(probability=1.0, kinds=("drop_after",), methods=("POST",), path_regex=r"/reviews$")
    )
    with pytest.raises(GitHubUnavailable):
        await client.create_review(REPO, 1, commit_id=head, body="made it", comments=[])
    state.set_faults(None)
    assert [review["body"] for review in state.reviews(REPO, 1)] == ["made it"]


async def test_writes_are_paced_per_installation(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection, caplog: pytest.LogCaptureFixture
) -> None:
    state, _, installation = github
    client = GitHubClient(connection, installation)
    review = await client.create_review(
        REPO, 1, commit_id=(await client.pull_request(REPO, 1))["head"]["sha"], body="first", comments=[]
    )
    pacer = connection.pacer
    assert isinstance(pacer, MemoryPacer)
    assert await pacer.wait_turn(installation) > 0
    await client.update_review(REPO, 1, int(review["id"]), body="second")
    assert [r["body"] for r in state.reviews(REPO, 1)] == ["second"]


async def test_repeated_reads_are_conditional(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection
) -> None:
    state, _, installation = github
    client = GitHubClient(connection, installation)
    first = await client.pull_request(REPO, 1)
    before = len(state.request_log)
    second = await client.pull_request(REPO, 1)
    assert first == second
    (last,) = state.request_log[before:]
    assert last[2] == 304
    assert state.contract_violations == []


async def test_installation_repositories(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection
) -> None:
    state, _, installation = github
    state.create_repository(installation, "octo-org/other", {"x.py": "x = 1\n"})
    names = {
        repo["full_name"] for repo in await GitHubClient(connection, installation).installation_repositories()
    }
    assert names == {REPO, "octo-org/other"}


async def test_a_spent_primary_limit_waits_for_the_reset(
    github: tuple[EmulatorState, str, int],
    connection: GitHubConnection,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state, _, installation = github
    monkeypatch.setattr(limits, "RATE_LIMIT_WINDOW_SECONDS", 2)
    state.rate_limit = 2
    client = GitHubClient(connection, installation)
    with caplog.at_level(logging.WARNING, logger="maze.github"):
        for number in range(3):
            assert (await client.pull_request_files(REPO, 1))[0]["filename"] == "a.py", number
    assert any(
        "rate limit" in r.getMessage() and f"installation={installation}" in r.getMessage()
        for r in caplog.records
    )
    assert all(status != 403 for _, _, status in state.request_log), "the client should wait, not be refused"


async def test_a_primary_limit_too_far_away_fails_instead_of_hanging(
    github: tuple[EmulatorState, str, int], app_key: AppKeyPair
) -> None:
    state, url, installation = github
    state.rate_limit = 1
    async with aiohttp.ClientSession() as session:
        auth = AppAuth(APP_ID, app_key.private_pem, MemoryTokenStore())
        impatient = RetryPolicy(max_attempts=3, base_delay=0.001, max_rate_limit_wait=5)
        connection = GitHubConnection(session, base_url=url, auth=auth, pacer=MemoryPacer(), policy=impatient)
        client = GitHubClient(connection, installation)
        await client.pull_request(REPO, 1)
        with pytest.raises(GitHubUnavailable, match="rate limit spent until"):
            await client.pull_request_files(REPO, 1)


async def test_a_refusal_for_a_spent_limit_is_retried_after_the_reset(
    github: tuple[EmulatorState, str, int], connection: GitHubConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, _, installation = github
    monkeypatch.setattr(limits, "RATE_LIMIT_WINDOW_SECONDS", 2)
    state.rate_limit = 1
    await GitHubClient(connection, installation).pull_request(REPO, 1)
    unaware = GitHubClient(connection, installation)
    assert len(await unaware.pull_request_files(REPO, 1)) == 1
    assert [status for _, path, status in state.request_log if path.endswith("/files")] == [403, 200]
