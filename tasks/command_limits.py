"""The per-pull-request flood limit of `/maze` commands: a sliding hour, shared through Redis when the
process has it, kept in the process otherwise (embedded mode runs one process).

A command is counted once, by its comment id, so a retried task is not counted (or refused) twice.
"""

from __future__ import annotations

import time
import weakref
from typing import Protocol

import redis.asyncio as aioredis

from maze.commands import COMMAND_WINDOW_SECONDS, within_limit
from tasks.runtime import ProcessRuntime


class CommandLimiter(Protocol):
    async def admit(self, key: str, member: str, limit: int, window: float = COMMAND_WINDOW_SECONDS) -> bool:
        """Count `member` (a command) under `key` (a pull request) unless `limit` were counted within
        `window` seconds; True when it is admitted (or was admitted before)."""
        ...


class MemoryCommandLimiter:
    """Counts on the process's event loop (one thread), so no lock is needed."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, float]] = {}

    async def admit(self, key: str, member: str, limit: int, window: float = COMMAND_WINDOW_SECONDS) -> bool:
        now = time.time()
        members = {m: at for m, at in self._seen.get(key, {}).items() if now - window < at}
        self._seen[key] = members
        if member in members:
            return True
        if not within_limit(members.values(), now, limit, window):
            return False
        members[member] = now
        return True


# KEYS[1] = the pull request's sorted set; ARGV = member, now (ms), window (ms), limit. Returns 1 or 0.
_ADMIT = """
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""


class RedisCommandLimiter:
    """Counts in a sorted set per pull request, atomically, for every worker process."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self._prefix = f"{prefix}commands:"
        self._script = redis.register_script(_ADMIT)

    async def admit(self, key: str, member: str, limit: int, window: float = COMMAND_WINDOW_SECONDS) -> bool:
        now_ms = int(time.time() * 1000)
        answer = await self._script(
            keys=[self._prefix + key], args=[member, now_ms, int(window * 1000), limit]
        )
        return bool(int(answer))


_memory: weakref.WeakKeyDictionary[ProcessRuntime, MemoryCommandLimiter] = weakref.WeakKeyDictionary()


async def limiter_for(process: ProcessRuntime) -> CommandLimiter:
    """The process's limiter; must be awaited on the process loop."""
    redis = await process.redis()
    if redis is not None:
        return RedisCommandLimiter(redis, process.settings.redis_prefix)
    if process not in _memory:
        _memory[process] = MemoryCommandLimiter()
    return _memory[process]
