"""Pacing of content-creating requests per installation: a second apart, shared by every process."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import redis.asyncio as aioredis

DEFAULT_WRITE_INTERVAL_SECONDS = 1.0


class WritePacer(Protocol):
    async def wait_turn(self, installation_id: int) -> float:
        """Wait until this installation may send its next write; returns the seconds waited."""
        ...


class MemoryPacer:
    """Slots handed out in order within one process (one event loop, so no lock is needed)."""

    def __init__(self, interval: float = DEFAULT_WRITE_INTERVAL_SECONDS) -> None:
        self._interval = interval
        self._next_slot: dict[int, float] = {}

    async def wait_turn(self, installation_id: int) -> float:
        now = time.monotonic()
        slot = max(now, self._next_slot.get(installation_id, now))
        self._next_slot[installation_id] = slot + self._interval
        delay = slot - now
        if delay > 0:
            await asyncio.sleep(delay)
        return delay


# KEYS[1] = next-slot key; ARGV[1] = interval in ms. Returns the delay in ms. Uses the server clock so
# that every worker process, on any host, agrees on the order.
_TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], slot + interval, 'PX', interval * 120)
return slot - now
"""


class RedisPacer:
    """Slots handed out by Redis, so writes of one installation stay a second apart across workers."""

    def __init__(
        self, redis: aioredis.Redis, prefix: str, interval: float = DEFAULT_WRITE_INTERVAL_SECONDS
    ) -> None:
        self._redis = redis
        self._prefix = f"{prefix}pace:"
        self._interval_ms = int(interval * 1000)
        self._script = redis.register_script(_TAKE_SLOT)

    async def wait_turn(self, installation_id: int) -> float:
        delay_ms = int(
            await self._script(keys=[f"{self._prefix}{installation_id}"], args=[self._interval_ms])
        )
        delay = delay_ms / 1000
        if delay > 0:
            await asyncio.sleep(delay)
        return delay
