"""What a webhook handler gets besides the event: the queue, logical claims, and a record of what it did."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.webhooks.claims import DeliveryClaims
from tasks.queue import Enqueuer, Job


@dataclass
class HandlerContext:
    enqueuer: Enqueuer
    claims: DeliveryClaims
    enqueued: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)

    async def enqueue_once(self, logical_key: str, job: Job, description: str) -> None:
        """Enqueue `job` unless another delivery already brought the same logical event."""
        if not await self.claims.claim(logical_key):
            self.duplicates.append(description)
            return
        self.claimed.append(logical_key)
        await self.enqueuer.enqueue(job)
        self.enqueued.append(description)

    async def enqueue(self, job: Job, description: str) -> None:
        await self.enqueuer.enqueue(job)
        self.enqueued.append(description)

    async def release_claims(self) -> None:
        for key in self.claimed:
            await self.claims.release(key)
