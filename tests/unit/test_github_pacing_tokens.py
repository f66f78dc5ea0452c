"""Write pacing and the token store, in memory and shared through Redis between two 'processes'."""

from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis

from bot.github.pacing import MemoryPacer, RedisPacer
from bot.github.tokens import EXPIRY_MARGIN_SECONDS, InstallationToken, MemoryTokenStore, RedisTokenStore


async def test_memory_pacer_hands_out_slots_an_interval_apart_per_installation() -> None:
    pacer = MemoryPacer(interval=0.05)
    assert await pacer.wait_turn(1) == 0
    assert await pacer.wait_turn(2) == 0
    waited = await pacer.wait_turn(1)
    assert 0 < waited <= 0.05


def test_token_freshness_keeps_a_margin_before_expiry() -> None:
    now = time.time()
    assert InstallationToken("t", now + EXPIRY_MARGIN_SECONDS + 60).fresh(now)
    assert not InstallationToken("t", now + EXPIRY_MARGIN_SECONDS - 1).fresh(now)
    assert "secret-token-text" not in repr(InstallationToken("secret-token-text", now))


async def test_memory_token_store_round_trip() -> None:
    store = MemoryTokenStore()
    token = InstallationToken("abc", time.time() + 3600)
    await store.put(5, token)
    assert await store.get(5) == token
    await store.forget(5)
    assert await store.get(5) is None


@pytest.mark.services
async def test_redis_pacer_is_shared_between_processes(redis_url: str, redis_prefix: str) -> None:
    one, two = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
    try:
        first, second = (
            RedisPacer(one, redis_prefix, interval=0.05),
            RedisPacer(two, redis_prefix, interval=0.05),
        )
        assert await first.wait_turn(9) == 0
        assert await second.wait_turn(9) > 0
        assert await second.wait_turn(10) == 0
    finally:
        await one.aclose()
        await two.aclose()


@pytest.mark.services
async def test_redis_token_store_shares_tokens_and_expires_them(redis_url: str, redis_prefix: str) -> None:
    redis = aioredis.Redis.from_url(redis_url)
    try:
        writer, reader = RedisTokenStore(redis, redis_prefix), RedisTokenStore(redis, redis_prefix)
        token = InstallationToken("ghs_shared", time.time() + 3600)
        await writer.put(3, token)
        assert await reader.get(3) == token
        ttl = await redis.ttl(f"{redis_prefix}token:3")
        assert 0 < ttl <= 3600 - EXPIRY_MARGIN_SECONDS
        await writer.put(4, InstallationToken("ghs_stale", time.time() + 60))
        assert await reader.get(4) is None
        async with writer.minting(3):
            assert await redis.exists(f"{redis_prefix}token-lock:3")
        assert not await redis.exists(f"{redis_prefix}token-lock:3")
        await reader.forget(3)
        assert await writer.get(3) is None
    finally:
        await redis.aclose()
