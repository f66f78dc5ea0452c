"""A provider wrapped with what every model call needs: a time limit, retries, a concurrency limit,
token totals, and the output check.

Only transient failures are retried (`TransientError`: connection errors, 429, 5xx; and timeouts), after
an exponential backoff with jitter, or after the wait the server asked for when it is longer. A refused
request, a malformed response and a rejected output are not retried: the same request would fail the
same way. At most `concurrency` generations run at once (per event loop); the rest wait their turn, and
that wait does not count against the time limit. Every generation that came back is counted in
`usage`, rejected or not. Any other exception of the provider becomes a `ProviderError`, so a caller
catching that one class always goes on with its other candidate sources.
"""

from __future__ import annotations

import asyncio
import random
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from maze.generation.providers.base import (
    Generation,
    GenerationRequest,
    OutputRejected,
    Provider,
    ProviderError,
    ProviderTimeout,
    TransientError,
)

Check = Callable[[GenerationRequest, Generation], None]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class GuardPolicy:
    """Limits for one provider. `retries` counts attempts after the first; waits are in seconds."""

    timeout_seconds: float = 60.0
    retries: int = 2
    concurrency: int = 2
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 8.0

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be greater than 0, not {self.timeout_seconds}")
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, not {self.retries}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more, not {self.concurrency}")
        if self.backoff_seconds < 0 or self.max_backoff_seconds < self.backoff_seconds:
            raise ValueError("backoff_seconds must be 0 or more and at most max_backoff_seconds")

    def backoff(self, retry: int, jitter: float) -> float:
        """The wait before retry `retry` (1-based); `jitter` in [0, 1) spreads it over its upper half."""
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * 2.0 ** (retry - 1))
        return ceiling * (0.5 + jitter / 2)


@dataclass
class Usage:
    """Totals of one provider since it was built."""

    requests: int = 0
    generations: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    retries: int = 0
    timeouts: int = 0
    failures: int = 0
    rejected: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class GuardedProvider:
    """`inner` with the policy's limits, usage totals, and `check` run on every output."""

    def __init__(
        self,
        inner: Provider,
        policy: GuardPolicy,
        *,
        check: Check | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.usage = Usage()
        self._check = check
        self._sleep = sleep
        self._jitter = jitter
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def name(self) -> str:
        return self.inner.name

    async def generate(self, request: GenerationRequest) -> Generation:
        """A checked generation; ProviderError (a subclass saying which failure) when there is none."""
        self.usage.requests += 1
        async with self._slots_here():
            self.usage.in_flight += 1
            self.usage.peak_in_flight = max(self.usage.peak_in_flight, self.usage.in_flight)
            try:
                generation = await self._wrapped(request)
            except ProviderError as error:
                self.usage.failures += 1
                kind = type(error).__name__
                self.usage.errors[kind] = self.usage.errors.get(kind, 0) + 1
                raise
            finally:
                self.usage.in_flight -= 1
        self._count(generation)
        if self._check is not None:
            try:
                self._check(request, generation)
            except OutputRejected:
                self.usage.rejected += 1
                raise
        return generation

    def _slots_here(self) -> asyncio.Semaphore:
        """The semaphore of the running event loop: a semaphore cannot be shared between loops."""
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.policy.concurrency)
        return slots

    async def _wrapped(self, request: GenerationRequest) -> Generation:
        """`_attempts`, with any other failure of the provider (a bug, a library's error) a ProviderError."""
        try:
            return await self._attempts(request)
        except ProviderError:
            raise
        except Exception as error:
            raise ProviderError(f"{self.name} failed: {type(error).__name__}: {error}") from error

    async def _attempts(self, request: GenerationRequest) -> Generation:
        retry = 0
        while True:
            try:
                return await self._attempt(request)
            except (TransientError, ProviderTimeout) as error:
                if retry >= self.policy.retries:
                    raise
                retry += 1
                self.usage.retries += 1
                await self._sleep(self._wait(retry, error))

    async def _attempt(self, request: GenerationRequest) -> Generation:
        started = time.monotonic()
        try:
            return await asyncio.wait_for(self.inner.generate(request), self.policy.timeout_seconds)
        except TimeoutError as error:
            self.usage.timeouts += 1
            raise ProviderTimeout(
                f"{self.name}: no answer within {self.policy.timeout_seconds:g} s"
                f" (waited {time.monotonic() - started:.1f} s)"
            ) from error
        except ProviderTimeout:
            self.usage.timeouts += 1
            raise

    def _wait(self, retry: int, error: ProviderError) -> float:
        wait = self.policy.backoff(retry, self._jitter())
        asked = error.retry_after if isinstance(error, TransientError) else None
        if asked is not None:
            wait = max(wait, min(asked, self.policy.max_backoff_seconds))
        return wait

    def _count(self, generation: Generation) -> None:
        self.usage.generations += 1
        self.usage.prompt_tokens += generation.prompt_tokens
        self.usage.completion_tokens += generation.completion_tokens
        self.usage.seconds += generation.seconds
