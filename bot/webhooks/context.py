"""What a webhook handler gets besides the event: where to enqueue, and a place to say what it did."""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.queue import Enqueuer


@dataclass
class HandlerContext:
    enqueuer: Enqueuer
    enqueued: list[str] = field(default_factory=list)
