"""Claims on `X-GitHub-Delivery` ids so a redelivered webhook is not enqueued twice."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

import redis.asyncio as aioredis

CLAIM_TTL_SECONDS = 7 * 24 * 3600


class DeliveryClaims(Protocol):
    async def claim(self, delivery_id: str) -> bool:
        """True for the first claim of `delivery_id`, False when it was seen before."""
        ...

    async def release(self, delivery_id: str) -> None:
        """Forget a claim whose work could not be enqueued, so GitHub's redelivery is accepted."""
        ...

    async def close(self) -> None: ...


class RedisClaims:
    """Claims shared by every web process, kept a week (GitHub lets users redeliver for days)."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._prefix = f"{prefix}delivery:"

    async def claim(self, delivery_id: str) -> bool:
        return bool(await self._redis.set(self._prefix + delivery_id, b"1", nx=True, ex=CLAIM_TTL_SECONDS))

    async def release(self, delivery_id: str) -> None:
        await self._redis.delete(self._prefix + delivery_id)

    async def close(self) -> None:
        await self._redis.aclose()


class MemoryClaims:
    """Claims of a single process (embedded mode), the oldest forgotten past `capacity`."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    async def claim(self, delivery_id: str) -> bool:
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    async def release(self, delivery_id: str) -> None:
        self._seen.pop(delivery_id, None)

    async def close(self) -> None:
        self._seen.clear()
