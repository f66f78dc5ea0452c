"""Where installation tokens are kept between uses: Redis when configured, else this process's memory.

A token is kept until its `expires_at` minus a margin, and minting is serialised per installation so
that concurrent workers mint once, not once each.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

EXPIRY_MARGIN_SECONDS = 300.0
MINT_LOCK_SECONDS = 30.0


@dataclass(frozen=True)
class InstallationToken:
    token: str
    expires_at: float

    def fresh(self, now: float) -> bool:
        return now < self.expires_at - EXPIRY_MARGIN_SECONDS

    def __repr__(self) -> str:
        return f"InstallationToken(expires_at={self.expires_at:.0f})"


class TokenStore(Protocol):
    async def get(self, installation_id: int) -> InstallationToken | None: ...

    async def put(self, installation_id: int, token: InstallationToken) -> None: ...

    async def forget(self, installation_id: int) -> None: ...

    def minting(self, installation_id: int) -> AbstractAsyncContextManager[None]:
        """Held while minting, so only one holder mints at a time."""
        ...


class MemoryTokenStore:
    def __init__(self) -> None:
        self._tokens: dict[int, InstallationToken] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def get(self, installation_id: int) -> InstallationToken | None:
        return self._tokens.get(installation_id)

    async def put(self, installation_id: int, token: InstallationToken) -> None:
        self._tokens[installation_id] = token

    async def forget(self, installation_id: int) -> None:
        self._tokens.pop(installation_id, None)

    @asynccontextmanager
    async def minting(self, installation_id: int) -> AsyncIterator[None]:
        async with self._locks.setdefault(installation_id, asyncio.Lock()):
            yield


class RedisTokenStore:
    """Tokens shared by every worker; each key expires by itself when the token stops being fresh."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, installation_id: int) -> str:
        return f"{self._prefix}token:{installation_id}"

    async def get(self, installation_id: int) -> InstallationToken | None:
        raw = await self._redis.get(self._key(installation_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return InstallationToken(str(data["token"]), float(data["expires_at"]))

    async def put(self, installation_id: int, token: InstallationToken) -> None:
        ttl = int(token.expires_at - EXPIRY_MARGIN_SECONDS - time.time())
        if ttl > 0:
            value = json.dumps({"token": token.token, "expires_at": token.expires_at})
            await self._redis.set(self._key(installation_id), value, ex=ttl)

    async def forget(self, installation_id: int) -> None:
        await self._redis.delete(self._key(installation_id))

    @asynccontextmanager
    async def minting(self, installation_id: int) -> AsyncIterator[None]:
        lock = self._redis.lock(
            f"{self._prefix}token-lock:{installation_id}",
            timeout=MINT_LOCK_SECONDS,
            blocking_timeout=2 * MINT_LOCK_SECONDS,
        )
        async with lock:
            yield
