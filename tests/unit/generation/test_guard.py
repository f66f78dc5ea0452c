"""The guard: time limits, retries of transient failures only, the concurrency limit, token totals, and
the output check after every generation."""

from __future__ import annotations

import asyncio

import pytest

from maze.generation.providers.base import (
    Generation,
    GenerationRequest,
    MalformedResponse,
    OutputRejected,
    ProviderError,
    ProviderTimeout,
    RequestRejected,
    TransientError,
)
from maze.generation.providers.checking import check_generation
from maze.generation.providers.guard import GuardedProvider, GuardPolicy


class Scripted:
    """A provider that fails as scripted, then answers `text`, optionally after a delay."""

    def __init__(self, failures: list[Exception] | None = None, *, text: str = "x + 1", delay: float = 0.0):
        self.failures = list(failures or [])
        self.text = text
        self.delay = delay
        self.calls = 0
        self.running = 0
        self.most_running = 0

    @property
    def name(self) -> str:
        return "scripted"

    async def generate(self, request: GenerationRequest) -> Generation:
        self.calls += 1
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(self.delay)
            if self.failures:
                raise self.failures.pop(0)
            return Generation(self.text, 10, 4, self.delay, "scripted", "m")
        finally:
            self.running -= 1


def guard(inner: Scripted, waits: list[float] | None = None, **policy: float) -> GuardedProvider:
    async def sleep(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)

    settings = {"timeout_seconds": 5.0, "retries": 2, "concurrency": 2, **policy}
    return GuardedProvider(
        inner,
        GuardPolicy(
            timeout_seconds=settings["timeout_seconds"],
            retries=int(settings["retries"]),
            concurrency=int(settings["concurrency"]),
        ),
        check=check_generation,
        sleep=sleep,
        jitter=lambda: 0.0,
    )


@pytest.mark.parametrize(
    "failure",
    [TransientError("connection reset"), ProviderTimeout("slow")],
    ids=["transient", "timeout"],
)
async def test_transient_failures_are_retried_with_growing_waits(
    request_for_sum: GenerationRequest, failure: ProviderError
) -> None:
    inner = Scripted([failure, failure])
    waits: list[float] = []
    provider = guard(inner, waits)
    generation = await provider.generate(request_for_sum)
    assert generation.text == "x + 1"
    assert inner.calls == 3
    assert waits == [0.25, 0.5]
    assert provider.usage.retries == 2


@pytest.mark.parametrize(
    "failure",
    [RequestRejected("400"), MalformedResponse("no choices")],
    ids=["rejected-request", "malformed"],
)
async def test_other_failures_are_not_retried(
    request_for_sum: GenerationRequest, failure: ProviderError
) -> None:
    inner = Scripted([failure])
    provider = guard(inner)
    with pytest.raises(type(failure)):
        await provider.generate(request_for_sum)
    assert inner.calls == 1
    assert provider.usage.failures == 1
    assert provider.usage.errors == {type(failure).__name__: 1}


async def test_retries_stop_at_the_limit(request_for_sum: GenerationRequest) -> None:
    inner = Scripted([TransientError("503")] * 5)
    provider = guard(inner, retries=1)
    with pytest.raises(TransientError):
        await provider.generate(request_for_sum)
    assert inner.calls == 2


async def test_a_server_asking_for_a_longer_wait_gets_it_up_to_the_ceiling(
    request_for_sum: GenerationRequest,
) -> None:
    inner = Scripted([TransientError("429", retry_after=2.0), TransientError("429", retry_after=600.0)])
    waits: list[float] = []
    await guard(inner, waits).generate(request_for_sum)
    assert waits == [2.0, 8.0]


async def test_a_slow_generation_times_out(request_for_sum: GenerationRequest) -> None:
    inner = Scripted(delay=30.0)  # without the time limit, the test would wait a minute
    provider = guard(inner, timeout_seconds=0.05, retries=1)
    with pytest.raises(ProviderTimeout, match=r"no answer within 0\.05 s"):
        await provider.generate(request_for_sum)
    assert (inner.calls, provider.usage.timeouts, provider.usage.retries) == (2, 2, 1)


async def test_concurrency_is_limited_and_tokens_add_up(request_for_sum: GenerationRequest) -> None:
    inner = Scripted(delay=0.02)
    provider = guard(inner, concurrency=3)
    results = await asyncio.gather(*(provider.generate(request_for_sum) for _ in range(10)))
    assert len(results) == 10
    assert inner.most_running == 3
    usage = provider.usage
    assert (usage.peak_in_flight, usage.in_flight) == (3, 0)
    assert (usage.requests, usage.generations) == (10, 10)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (100, 40, 140)


async def test_waiting_for_a_slot_does_not_count_against_the_time_limit(
    request_for_sum: GenerationRequest,
) -> None:
    # Each generation takes 0.5 s, well inside 1.2 s; the last one waits 1.5 s for its slot first.
    inner = Scripted(delay=0.5)
    provider = guard(inner, concurrency=1, timeout_seconds=1.2)
    await asyncio.gather(*(provider.generate(request_for_sum) for _ in range(4)))
    assert provider.usage.timeouts == 0


async def test_output_outside_the_grammar_is_rejected_and_still_counted(
    request_for_sum: GenerationRequest,
) -> None:
    inner = Scripted(text="x plus one")
    provider = guard(inner)
    with pytest.raises(OutputRejected, match="under grammar 'sum'") as caught:
        await provider.generate(request_for_sum)
    assert caught.value.generation.text == "x plus one"
    assert inner.calls == 1
    assert (provider.usage.rejected, provider.usage.completion_tokens) == (1, 4)


async def test_one_guard_serves_several_event_loops(request_for_sum: GenerationRequest) -> None:
    provider = guard(Scripted(delay=0.01), concurrency=1)

    def in_new_loop() -> Generation:
        async def both() -> list[Generation]:
            return list(
                await asyncio.gather(provider.generate(request_for_sum), provider.generate(request_for_sum))
            )

        return asyncio.run(both())[0]

    await provider.generate(request_for_sum)
    assert (await asyncio.to_thread(in_new_loop)).text == "x + 1"
    assert provider.usage.generations == 3


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timeout_seconds": 0}, "timeout_seconds must be greater than 0"),
        ({"retries": -1}, "retries must be 0 or more"),
        ({"concurrency": 0}, "concurrency must be 1 or more"),
        ({"backoff_seconds": 9.0}, "at most max_backoff_seconds"),
    ],
)
def test_a_policy_out_of_range_names_the_value(settings: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GuardPolicy(**settings)  # type: ignore[arg-type]


def test_backoff_doubles_up_to_the_ceiling() -> None:
    policy = GuardPolicy(backoff_seconds=0.5, max_backoff_seconds=3.0)
    assert [round(policy.backoff(retry, 0.999999), 3) for retry in (1, 2, 3, 4, 5)] == [
        0.5,
        1.0,
        2.0,
        3.0,
        3.0,
    ]
    assert policy.backoff(1, 0.0) == 0.25


async def test_an_unexpected_exception_becomes_a_provider_error(request_for_sum: GenerationRequest) -> None:
    inner = Scripted([RuntimeError("CUDA out of memory")])
    provider = guard(inner)
    with pytest.raises(ProviderError, match="scripted failed: RuntimeError: CUDA out of memory"):
        await provider.generate(request_for_sum)
    assert inner.calls == 1
    assert provider.usage.errors == {"ProviderError": 1}
