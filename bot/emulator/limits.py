"""GitHub's rate limits: the hourly primary quota, and the secondary limits on writes and concurrency.

Primary: each identity (installation, app, client address) has `limit` requests per hour from its first
request; the window then resets; GraphQL has a quota of its own per identity (`bucket`). Secondary:
content-creating requests (POST, PATCH, PUT, DELETE) of one identity are capped per rolling minute and per
rolling hour, and so are its requests in flight at once.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass

RATE_LIMIT_WINDOW_SECONDS = 3600
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
MINUTE = 60.0
HOUR = 3600.0


def bucket(identity: str, resource: str) -> str:
    """The key of `identity`'s hourly quota for `resource`: GitHub counts GraphQL points ("graphql")
    apart from REST requests ("core", the bare identity)."""
    return identity if resource == "core" else f"{identity}#{resource}"


@dataclass(frozen=True)
class RateLimit:
    """The quota of one identity after counting a request."""

    limit: int
    remaining: int
    reset: int
    used: int
    exceeded: bool


class PrimaryLimits:
    """Hourly request quotas by identity."""

    def __init__(self) -> None:
        self._quotas: dict[str, tuple[int, int]] = {}

    def consume(self, identity: str, limit: int, now: float) -> RateLimit:
        """Count one request unless the quota is spent; `exceeded` tells which happened."""
        reset, used = self._window(identity, now)
        exceeded = used >= limit
        if not exceeded:
            used += 1
        self._quotas[identity] = (reset, used)
        return RateLimit(limit, max(limit - used, 0), reset, used, exceeded)

    def refund(self, identity: str, limit: int, now: float) -> RateLimit:
        """Uncount one request (a 304 answer to a conditional request does not count)."""
        reset, used = self._window(identity, now)
        used = max(used - 1, 0)
        self._quotas[identity] = (reset, used)
        return RateLimit(limit, max(limit - used, 0), reset, used, False)

    def peek(self, identity: str, limit: int, now: float) -> RateLimit:
        reset, used = self._window(identity, now)
        return RateLimit(limit, max(limit - used, 0), reset, used, used >= limit)

    def _window(self, identity: str, now: float) -> tuple[int, int]:
        second = int(now)
        reset, used = self._quotas.get(identity, (second + RATE_LIMIT_WINDOW_SECONDS, 0))
        if second >= reset:
            return second + RATE_LIMIT_WINDOW_SECONDS, 0
        return reset, used


class SecondaryLimits:
    """Rolling-window write counters and in-flight request counters by identity."""

    def __init__(self) -> None:
        self._writes: dict[str, deque[float]] = {}
        self._in_flight: Counter[str] = Counter()

    def admit_write(self, identity: str, now: float, per_minute: int, per_hour: int) -> int | None:
        """Record a write and return None, or return the seconds to wait when a window is full."""
        times = self._writes.setdefault(identity, deque())
        while times and times[0] <= now - HOUR:
            times.popleft()
        wait = _wait_for(times, now, MINUTE, per_minute)
        if wait is None:
            wait = _wait_for(times, now, HOUR, per_hour)
        if wait is not None:
            return wait
        times.append(now)
        return None

    def enter(self, identity: str, limit: int) -> bool:
        """Count a request in flight; False (and not counted) when `limit` are already in flight."""
        if self._in_flight[identity] >= limit:
            return False
        self._in_flight[identity] += 1
        return True

    def leave(self, identity: str) -> None:
        self._in_flight[identity] -= 1
        if self._in_flight[identity] <= 0:
            del self._in_flight[identity]

    def in_flight(self, identity: str) -> int:
        return self._in_flight[identity]


def _wait_for(times: deque[float], now: float, window: float, limit: int) -> int | None:
    """Seconds until a write fits in the last `window` seconds, or None when it fits now."""
    recent = [moment for moment in times if moment > now - window]
    if len(recent) < limit:
        return None
    oldest_that_must_leave = recent[len(recent) - limit]
    return max(1, math.ceil(oldest_that_must_leave + window - now))
