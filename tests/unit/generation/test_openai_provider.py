"""The `openai` provider against a local server that checks each flavour's request shape and answers like
the real server; malformed responses, server errors with and without retries, and a slow server."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from maze.generation.providers.base import (
    GenerationRequest,
    MalformedResponse,
    OutputRejected,
    ProviderTimeout,
    RequestRejected,
    TransientError,
)
from maze.generation.providers.checking import check_generation
from maze.generation.providers.guard import GuardedProvider, GuardPolicy
from tasks.model_server import OpenAICompatibleProvider, ServerSettings
from tests.unit.generation.fake_server import (
    FakeServer,
    chat_body,
    json_reply,
    ok_reply,
    responses_body,
    slow_reply,
    text_reply,
)

Start = Callable[[str], Awaitable[FakeServer]]
CHAT_FLAVOURS = ["llama-cpp", "vllm", "sglang", "json-schema"]


def provider_for(server: FakeServer, *, timeout: float = 5.0) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(
        ServerSettings(server.url, "test-model", server.flavour, api_key="k-123", timeout_seconds=timeout)
    )


def guarded(provider: OpenAICompatibleProvider, *, retries: int = 2, timeout: float = 5.0) -> GuardedProvider:
    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    waits: list[float] = []
    guard = GuardedProvider(
        provider, GuardPolicy(timeout_seconds=timeout, retries=retries), check=check_generation, sleep=no_wait
    )
    guard.waits = waits  # type: ignore[attr-defined]
    return guard


@pytest.mark.parametrize("flavour", [*CHAT_FLAVOURS, "openai"])
async def test_each_flavour_sends_the_grammar_where_its_server_reads_it(
    fake_server: Start, request_for_sum: GenerationRequest, flavour: str
) -> None:
    server = await fake_server(flavour)
    generation = await provider_for(server).generate(request_for_sum)
    assert [seen.problems for seen in server.seen] == [[]]
    assert generation.text == "x + 1"
    assert (generation.prompt_tokens, generation.completion_tokens) == (11, 3)
    assert generation.provider == f"openai:{flavour}:test-model"
    body = server.seen[0].body
    assert server.seen[0].headers["Authorization"] == "Bearer k-123"
    if flavour == "llama-cpp":
        assert body["grammar"] == request_for_sum.grammar_text
    elif flavour == "vllm":
        assert body["structured_outputs"] == {"grammar": request_for_sum.grammar_text}
    elif flavour == "sglang":
        assert body["ebnf"] == request_for_sum.grammar_text
    elif flavour == "json-schema":
        assert body["response_format"]["json_schema"]["schema"]["required"] == ["code"]
    else:
        tool = body["tools"][0]
        assert tool["format"]["syntax"] == "lark"
        assert body["tool_choice"] == {"type": "custom", "name": tool["name"]}
    if flavour != "openai":
        assert body["seed"] == 7
        assert body["max_tokens"] == 32
        assert [message["role"] for message in body["messages"]] == ["system", "user"]


@pytest.mark.parametrize(
    ("flavour", "body", "expected"),
    [
        ("llama-cpp", {**chat_body("x"), "choices": []}, "no choices"),
        (
            "llama-cpp",
            {key: value for key, value in chat_body("x").items() if key != "choices"},
            "no choices",
        ),
        ("vllm", chat_body(None), "no content"),
        ("sglang", chat_body(""), "no content"),
        ("json-schema", chat_body("x + 1"), "not JSON"),
        ("json-schema", chat_body('{"text": "x + 1"}'), "no string 'code'"),
        ("json-schema", chat_body('["x + 1"]'), "no string 'code'"),
        ("openai", responses_body("x", output=[]), "no call of the custom tool"),
        (
            "openai",
            responses_body("x", output=[{"type": "message", "id": "m", "role": "assistant", "content": []}]),
            "got message",
        ),
        (
            "openai",
            responses_body("x", output=[{**responses_body("x")["output"][0], "name": "other_tool"}]),
            "no call of the custom tool",
        ),
    ],
)
async def test_a_malformed_response_is_a_clear_error_and_not_retried(
    fake_server: Start, request_for_sum: GenerationRequest, flavour: str, body: dict[str, Any], expected: str
) -> None:
    server = await fake_server(flavour)
    server.script = [json_reply(body)]
    provider = guarded(provider_for(server))
    with pytest.raises(MalformedResponse, match=expected):
        await provider.generate(request_for_sum)
    assert len(server.seen) == 1
    assert provider.usage.errors == {"MalformedResponse": 1}


async def test_a_body_that_is_not_json_is_malformed(
    fake_server: Start, request_for_sum: GenerationRequest
) -> None:
    server = await fake_server("llama-cpp")
    server.script = [text_reply("<html>proxy error page</html>", content_type="application/json")]
    with pytest.raises(MalformedResponse, match="could not be read"):
        await provider_for(server).generate(request_for_sum)


async def test_a_server_error_is_retried_and_the_next_answer_taken(
    fake_server: Start, request_for_sum: GenerationRequest
) -> None:
    server = await fake_server("vllm")
    server.script = [json_reply({"error": {"message": "engine overloaded"}}, status=500), ok_reply(server)]
    provider = guarded(provider_for(server))
    generation = await provider.generate(request_for_sum)
    assert generation.text == "x + 1"
    assert len(server.seen) == 2
    assert provider.usage.retries == 1
    assert provider.usage.generations == 1
    assert (provider.usage.prompt_tokens, provider.usage.completion_tokens) == (11, 3)


async def test_a_rate_limit_is_retried_after_the_wait_the_server_asks_for(
    fake_server: Start, request_for_sum: GenerationRequest
) -> None:
    server = await fake_server("sglang")
    server.script = [
        json_reply({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "3"})
    ]
    provider = guarded(provider_for(server))
    await provider.generate(request_for_sum)
    assert provider.waits == [3.0]  # type: ignore[attr-defined]
    assert len(server.seen) == 2


async def test_server_errors_beyond_the_retries_fail_transiently(
    fake_server: Start, request_for_sum: GenerationRequest
) -> None:
    server = await fake_server("llama-cpp")
    server.script = [json_reply({"error": {"message": "down"}}, status=503)] * 3
    provider = guarded(provider_for(server), retries=2)
    with pytest.raises(TransientError, match="503"):
        await provider.generate(request_for_sum)
    assert len(server.seen) == 3
    assert provider.usage.retries == 2


async def test_a_bad_request_is_not_retried(fake_server: Start, request_for_sum: GenerationRequest) -> None:
    server = await fake_server("llama-cpp")
    server.script = [json_reply({"error": {"message": "failed to parse grammar"}}, status=400)]
    provider = guarded(provider_for(server))
    with pytest.raises(RequestRejected, match=r"400: .*failed to parse grammar"):
        await provider.generate(request_for_sum)
    assert len(server.seen) == 1
    assert provider.usage.retries == 0


async def test_a_wrong_request_shape_is_refused_by_the_checking_server(
    fake_server: Start, request_for_sum: GenerationRequest
) -> None:
    server = await fake_server("vllm")
    provider = OpenAICompatibleProvider(ServerSettings(server.url, "test-model", "llama-cpp"))
    with pytest.raises(RequestRejected, match="expected \\['structured_outputs'\\]"):
        await provider.generate(request_for_sum)


async def test_a_slow_server_times_out_in_the_guard(
    fake_server: Start, request_for_sum: GenerationRequest
) -> None:
    server = await fake_server("llama-cpp")
    server.script = [slow_reply(server, 1.5)]
    provider = guarded(provider_for(server), retries=0, timeout=0.3)
    with pytest.raises(ProviderTimeout, match=r"within 0\.3 s"):
        await provider.generate(request_for_sum)
    assert provider.usage.timeouts == 1


async def test_a_slow_server_times_out_in_the_client_and_is_retried(
    fake_server: Start, request_for_sum: GenerationRequest
) -> None:
    server = await fake_server("llama-cpp")
    server.script = [slow_reply(server, 5.0)]
    provider = guarded(provider_for(server, timeout=1.0), retries=1)
    generation = await provider.generate(request_for_sum)
    assert generation.text == "x + 1"
    assert provider.usage.timeouts == 1
    assert provider.usage.retries == 1


async def test_a_refused_connection_is_transient(request_for_sum: GenerationRequest) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = guarded(
        OpenAICompatibleProvider(ServerSettings(f"http://127.0.0.1:{port}/v1", "m", "llama-cpp")), retries=1
    )
    with pytest.raises(TransientError, match="cannot reach"):
        await provider.generate(request_for_sum)
    assert provider.usage.retries == 1


@pytest.mark.parametrize("flavour", [*CHAT_FLAVOURS, "openai"])
async def test_output_that_ignores_the_grammar_is_rejected(
    fake_server: Start, request_for_sum: GenerationRequest, flavour: str
) -> None:
    server = await fake_server(flavour)
    server.text = "Sure! Here is the code: x + 1"
    provider = guarded(provider_for(server))
    with pytest.raises(OutputRejected, match="does not fit") as caught:
        await provider.generate(request_for_sum)
    assert caught.value.generation.text == server.text
    assert provider.usage.rejected == 1
    assert provider.usage.completion_tokens == 3
    assert len(server.seen) == 1


async def test_output_cut_at_max_tokens_is_marked_and_its_rejection_says_so(
    fake_server: Start, request_for_sum: GenerationRequest
) -> None:
    server = await fake_server("llama-cpp")
    cut = chat_body("x + ")
    cut["choices"][0]["finish_reason"] = "length"
    server.script = [json_reply(cut), json_reply(chat_body("x + 1"))]
    provider = guarded(provider_for(server))
    with pytest.raises(OutputRejected, match=r"cut at max_tokens, 32") as caught:
        await provider.generate(request_for_sum)
    assert caught.value.generation.truncated
    assert not (await provider.generate(request_for_sum)).truncated
