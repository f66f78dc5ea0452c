"""Rate limits (primary, secondary writes, concurrency) and injected faults behave like GitHub's."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from bot.emulator import EmulatorState, FaultPlan
from tests.edge.emulator.support import (
    REPO,
    Client,
    Keys,
    World,
    auth,
    bearer,
    make_world,
    mint,
)

COMMENTS = f"/repos/{REPO}/issues/1/comments"
SECONDARY = "You have exceeded a secondary rate limit"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def world(keys: Keys, clock: Clock) -> World:
    return make_world(keys, clock)


async def comment(client: Client, token: str, text: str = "hi") -> aiohttp.ClientResponse:
    return await client.post(COMMENTS, json={"body": text}, headers=auth(token))


# ----- primary and secondary rate limits -----------------------------------------------------------


async def test_the_81st_write_in_a_minute_is_a_secondary_limit(
    client: Client, world: World, token: str, clock: Clock
) -> None:
    statuses = [(await comment(client, token, f"c{n}")).status for n in range(80)]
    assert statuses == [201] * 80
    limited = await comment(client, token, "one too many")
    assert limited.status == 403
    body = await limited.json()
    assert body["message"].startswith(SECONDARY)
    assert int(limited.headers["retry-after"]) == 60
    assert int(limited.headers["x-ratelimit-remaining"]) > 0
    assert (await client.get(COMMENTS, headers=auth(token))).status == 200
    assert len(world.state.issue_comments(REPO, 1)) == 80
    clock.now += 61
    assert (await comment(client, token)).status == 201


async def test_secondary_limits_per_minute_and_per_hour_are_settings(
    client: Client, world: World, token: str, clock: Clock
) -> None:
    world.state.secondary_write_limit_per_minute = 2
    world.state.secondary_write_limit_per_hour = 3
    assert [(await comment(client, token)).status for _ in range(3)] == [201, 201, 403]
    clock.now += 30
    third = await comment(client, token)
    assert third.status == 403 and third.headers["retry-after"] == "30"
    clock.now += 31
    assert (await comment(client, token)).status == 201
    clock.now += 61
    hourly = await comment(client, token)
    assert hourly.status == 403 and int(hourly.headers["retry-after"]) > 3000
    other = world.state.mint_token(world.other_installation)["token"]
    world.state.push("zed/open", "topic", {"a.txt": "b\n"})
    world.state.open_pull_request("zed/open", head="topic")
    assert (
        await client.post("/repos/zed/open/issues/1/comments", json={"body": "x"}, headers=auth(other))
    ).status == 201


async def test_exhausted_quota_answers_403_until_reset(
    client: Client, world: World, token: str, clock: Clock
) -> None:
    world.state.rate_limit = 2
    assert (await client.get(f"/repos/{REPO}", headers=auth(token))).status == 200
    assert (await client.get(f"/repos/{REPO}", headers=auth(token))).status == 200
    spent = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert spent.status == 403 and spent.headers["x-ratelimit-remaining"] == "0"
    body = await spent.json()
    assert body["message"] == f"API rate limit exceeded for installation ID {world.installation}."
    assert "rate-limits" in body["documentation_url"]
    clock.now = int(spent.headers["x-ratelimit-reset"]) + 1
    assert (await client.get(f"/repos/{REPO}", headers=auth(token))).status == 401  # an hour: token expired
    fresh = world.state.mint_token(world.installation)["token"]
    renewed = await client.get(f"/repos/{REPO}", headers=auth(fresh))
    assert renewed.status == 200 and renewed.headers["x-ratelimit-remaining"] == "1"


async def test_conditional_reads_answer_304_without_counting(
    client: Client, world: World, token: str
) -> None:
    first = await client.get(f"/repos/{REPO}/pulls/1", headers=auth(token))
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Vary"].startswith("Accept, Authorization")
    unchanged = await client.get(f"/repos/{REPO}/pulls/1", headers={**auth(token), "If-None-Match": etag})
    assert unchanged.status == 304 and await unchanged.read() == b"" and unchanged.headers["ETag"] == etag
    assert unchanged.headers["x-ratelimit-used"] == first.headers["x-ratelimit-used"]
    world.state.push(REPO, "feature", {"README.md": "changed\n"})
    changed = await client.get(f"/repos/{REPO}/pulls/1", headers={**auth(token), "If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert world.state.contract_violations == []


async def test_more_than_the_concurrent_limit_is_a_secondary_limit(
    client: Client, world: World, token: str
) -> None:
    world.state.max_concurrent_requests = 1
    world.state.set_faults(FaultPlan(probability=1.0, kinds=("latency",), latency_seconds=(0.5, 0.5), seed=1))
    responses = await asyncio.gather(*(client.get(f"/repos/{REPO}", headers=auth(token)) for _ in range(3)))
    statuses = sorted(response.status for response in responses)
    assert statuses == [200, 403, 403]
    refused = next(response for response in responses if response.status == 403)
    assert (await refused.json())["message"].startswith(SECONDARY) and "retry-after" in refused.headers
    assert world.state.faults_injected["latency"] == 1
    world.state.set_faults(None)
    assert (await client.get(f"/repos/{REPO}", headers=auth(token))).status == 200


# ----- fault injection -----------------------------------------------------------------------------


async def test_5xx_faults_answer_githubs_server_errors(client: Client, world: World, token: str) -> None:
    world.state.set_faults(FaultPlan(probability=1.0, seed=3))
    responses = [await client.get(f"/repos/{REPO}", headers=auth(token)) for _ in range(12)]
    assert {response.status for response in responses} <= {500, 502, 503, 504}
    assert len({response.status for response in responses}) > 1
    for response in responses:
        assert (await response.json())["message"] and "x-ratelimit-limit" in response.headers
    timeout = next(response for response in responses if response.status == 504)
    assert (await timeout.json())["message"].startswith("We couldn't respond to your request in time.")
    assert world.state.faults_injected == {"5xx": 12}


async def test_secondary_faults_carry_retry_after(client: Client, world: World, token: str) -> None:
    world.state.set_faults(FaultPlan(probability=1.0, kinds=("secondary",), retry_after_seconds=7, seed=5))
    responses = [await comment(client, token) for _ in range(8)]
    assert {response.status for response in responses} == {403, 429}
    for response in responses:
        assert response.headers["retry-after"] == "7"
        assert (await response.json())["message"].startswith(SECONDARY)
    assert world.state.issue_comments(REPO, 1) == []


async def test_latency_faults_still_answer(client: Client, world: World, token: str) -> None:
    world.state.set_faults(FaultPlan(probability=1.0, kinds=("latency",), latency_seconds=(0.05, 0.05)))
    started = time.monotonic()
    response = await client.get(f"/repos/{REPO}", headers=auth(token))
    assert response.status == 200 and time.monotonic() - started >= 0.04
    assert world.state.faults_injected == {"latency": 1}


async def test_drop_closes_the_connection_before_handling(client: Client, world: World, token: str) -> None:
    world.state.set_faults(FaultPlan(probability=1.0, kinds=("drop",), methods=("POST",)))
    with pytest.raises(aiohttp.ClientConnectionError):
        await comment(client, token)
    assert world.state.issue_comments(REPO, 1) == []
    assert world.state.request_log[-1] == ("POST", COMMENTS, 0)
    assert (await client.get(COMMENTS, headers=auth(token))).status == 200


async def test_drop_after_changes_state_but_loses_the_answer(
    client: Client, world: World, token: str
) -> None:
    world.state.set_faults(FaultPlan(probability=1.0, kinds=("drop_after",), path_regex=r"/comments$"))
    with pytest.raises(aiohttp.ClientConnectionError):
        await comment(client, token, "did it land?")
    [landed] = world.state.issue_comments(REPO, 1)
    assert landed["body"] == "did it land?"
    assert world.state.faults_injected == {"drop_after": 1}


async def test_faults_match_methods_and_paths(client: Client, world: World, token: str) -> None:
    world.state.set_faults(FaultPlan(probability=1.0, methods=("post",), path_regex=r"/issues/\d+/comments$"))
    assert (await client.get(COMMENTS, headers=auth(token))).status == 200
    assert (await client.get(f"/repos/{REPO}", headers=auth(token))).status == 200
    assert (await comment(client, token)).status >= 500
    assert world.state.faults_injected == {"5xx": 1}


async def test_token_minting_is_subject_to_faults(client: Client, world: World, keys: Keys) -> None:
    world.state.set_faults(FaultPlan(probability=1.0, path_regex="/access_tokens$", seed=9))
    response = await client.post(
        f"/app/installations/{world.installation}/access_tokens", headers=bearer(keys)
    )
    assert response.status >= 500 and world.state.tokens_minted == {}
    world.state.set_faults(None)
    assert await mint(client, keys, world.installation)


async def _statuses(state: EmulatorState, client: Client, token: str, plan: FaultPlan) -> list[int]:
    state.set_faults(plan)
    return [(await client.get(f"/repos/{REPO}", headers=auth(token))).status for _ in range(30)]


async def test_fault_plans_are_deterministic_by_seed(client: Client, world: World, token: str) -> None:
    world.state.rate_limit = 10_000
    plan = FaultPlan(probability=0.4, kinds=("5xx", "secondary"), seed=42)
    first = await _statuses(world.state, client, token, plan)
    second = await _statuses(world.state, client, token, plan)
    other = await _statuses(
        world.state, client, token, FaultPlan(probability=0.4, kinds=("5xx", "secondary"), seed=43)
    )
    assert first == second and first != other
    assert 200 in first and any(status >= 403 for status in first)


def test_fault_plans_are_validated() -> None:
    with pytest.raises(ValueError, match="probability"):
        FaultPlan(probability=1.5)
    with pytest.raises(ValueError, match="fault kinds"):
        FaultPlan(probability=0.5, kinds=("boom",))
    with pytest.raises(ValueError, match="latency_seconds"):
        FaultPlan(probability=0.5, latency_seconds=(0.3, 0.1))


async def test_codeload_downloads_can_fail_too(client: Client, world: World, token: str) -> None:
    redirect = await client.get(f"/repos/{REPO}/tarball/main", headers=auth(token), allow_redirects=False)
    world.state.set_faults(FaultPlan(probability=1.0, path_regex="^/_emulator/codeload/", seed=1))
    failed = await client.session.get(redirect.headers["Location"])
    assert failed.status >= 500
    world.state.set_faults(None)
    assert (await client.session.get(redirect.headers["Location"])).status == 200
