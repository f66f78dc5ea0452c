"""A cap on concurrent runs per installation, so one busy organisation cannot starve the others.

A run holds a lease from its first slow stage until it ends; leases expire by themselves, so a worker that
dies does not hold its place for ever.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as aioredis


class RunLeases(Protocol):
    async def acquire(self, installation_id: int, run_id: int, ttl: float) -> bool: ...

    async def release(self, installation_id: int, run_id: int) -> None: ...


class MemoryLeases:
    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._held: dict[int, dict[int, float]] = {}

    async def acquire(self, installation_id: int, run_id: int, ttl: float) -> bool:
        now = time.monotonic()
        held = {run: until for run, until in self._held.get(installation_id, {}).items() if until > now}
        if run_id not in held and len(held) >= self._cap:
            self._held[installation_id] = held
            return False
        held[run_id] = now + ttl
        self._held[installation_id] = held
        return True

    async def release(self, installation_id: int, run_id: int) -> None:
        self._held.get(installation_id, {}).pop(run_id, None)


# KEYS[1] = the installation's lease set; ARGV = run id, ttl ms, cap. Scores are expiry times (server clock).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not held) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1
"""


class RedisLeases:
    def __init__(self, redis: aioredis.Redis, prefix: str, cap: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}runs:"
        self._cap = cap
        self._script = redis.register_script(_ACQUIRE)

    async def acquire(self, installation_id: int, run_id: int, ttl: float) -> bool:
        granted = await self._script(
            keys=[f"{self._prefix}{installation_id}"], args=[str(run_id), int(ttl * 1000), self._cap]
        )
        return bool(int(granted))

    async def release(self, installation_id: int, run_id: int) -> None:
        await self._redis.zrem(f"{self._prefix}{installation_id}", str(run_id))
