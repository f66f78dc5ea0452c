"""Fixtures for the providers: a fake OpenAI-compatible server on a free port of 127.0.0.1, a request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from maze.generation.providers.base import GenerationRequest, Message
from tests.unit.generation.fake_server import FakeServer

# A small expression grammar: sums of numbers and names.
SUM_GRAMMAR = 'root ::= term (" + " term)*\nterm ::= [0-9]+ | [a-z]+\n'


@pytest.fixture()
def request_for_sum() -> GenerationRequest:
    return GenerationRequest(
        messages=(Message("system", "Write code."), Message("user", "Add one to x.")),
        grammar_name="sum",
        grammar_text=SUM_GRAMMAR,
        max_tokens=32,
        temperature=0.0,
        seed=7,
    )


@pytest.fixture()
async def fake_server() -> AsyncIterator[Callable[[str], object]]:
    """Starts FakeServer instances for a flavour; `await fake_server("vllm")` gives one with its url set."""
    runners: list[web.AppRunner] = []

    async def start(flavour: str) -> FakeServer:
        server = FakeServer(flavour)
        runner = web.AppRunner(server.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        server.url = f"http://{host}:{port}/v1"
        return server

    yield start
    for runner in runners:
        await runner.cleanup()
