"""The per-installation cap on concurrent runs, in memory and shared through Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from tasks.fairness import MemoryLeases, RedisLeases, RunLeases


async def _check_cap(leases: RunLeases) -> None:
    assert await leases.acquire(1, 10, ttl=30)
    assert await leases.acquire(1, 11, ttl=30)
    assert not await leases.acquire(1, 12, ttl=30), "a third run of installation 1 must wait"
    assert await leases.acquire(2, 20, ttl=30), "another installation is not held back"
    assert await leases.acquire(1, 10, ttl=30), "a run that holds a lease keeps it"
    await leases.release(1, 10)
    assert await leases.acquire(1, 12, ttl=30)


async def _check_expiry(leases: RunLeases) -> None:
    assert await leases.acquire(3, 30, ttl=0.05)
    assert await leases.acquire(3, 31, ttl=0.05)
    await asyncio.sleep(0.1)
    assert await leases.acquire(3, 32, ttl=30), "leases of a dead worker expire by themselves"


async def test_memory_leases_cap_and_expire() -> None:
    await _check_cap(MemoryLeases(cap=2))
    await _check_expiry(MemoryLeases(cap=2))


@pytest.mark.services
async def test_redis_leases_are_shared_between_processes(redis_url: str, redis_prefix: str) -> None:
    one, two = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
    try:
        await _check_cap(RedisLeases(one, redis_prefix, cap=2))
        first, second = (
            RedisLeases(one, redis_prefix + "x:", cap=1),
            RedisLeases(two, redis_prefix + "x:", cap=1),
        )
        assert await first.acquire(5, 50, ttl=30)
        assert not await second.acquire(5, 51, ttl=30)
        await _check_expiry(RedisLeases(two, redis_prefix + "y:", cap=2))
    finally:
        await one.aclose()
        await two.aclose()
