"""Generations from any OpenAI-compatible server through the `openai` client, the grammar sent in the
field the configured server flavour reads.

Flavours and the documentation each request shape follows:

- `llama-cpp`: Chat Completions with `grammar` (GBNF) in the body; llama.cpp server README
  (github.com/ggml-org/llama.cpp/tree/master/tools/server, "grammar") and llama-cpp-python's
  `CreateChatCompletionRequest.grammar`.
- `vllm`: Chat Completions with `structured_outputs: {"grammar": ...}` (vLLM >= 0.12; the old
  `guided_grammar` is gone); docs.vllm.ai "Structured Outputs". GBNF is read by its xgrammar backend.
- `sglang`: Chat Completions with `ebnf` (xgrammar's EBNF, which reads GBNF); docs.sglang.io
  "Structured Outputs".
- `openai`: the Responses API with a custom tool whose input format is a Lark grammar
  (`format: {type: grammar, syntax: lark, definition}`) and `tool_choice` forcing that tool; the output
  is the tool call's `input`; platform.openai.com/docs/guides/function-calling#custom-tools. Reasoning
  models take no `temperature` or `seed`, so neither is sent.
- `json-schema`: Chat Completions with `response_format: {type: json_schema, ...}` requiring an object
  `{"code": string}`, for servers that take only a JSON schema (Ollama, docs/openai.md); the code is
  taken from the object and checked against the grammar afterwards, like every output.

The client is built with `max_retries=0`: retries belong to the guard, which retries only transient
failures. Errors are mapped to the provider errors of `base`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

from maze.generation.providers.base import (
    Generation,
    GenerationRequest,
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
    RequestRejected,
    TransientError,
)

if TYPE_CHECKING:
    from openai import AsyncOpenAI

Flavour = Literal["llama-cpp", "vllm", "sglang", "openai", "json-schema"]
FLAVOURS: Final[tuple[str, ...]] = get_args(Flavour)
TOOL_NAME: Final = "write_code"
CODE_SCHEMA: Final[Mapping[str, object]] = {
    "type": "object",
    "properties": {"code": {"type": "string"}},
    "required": ["code"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class ServerSettings:
    """Where the server is and how to talk to it. `timeout_seconds` bounds one HTTP request."""

    base_url: str
    model: str
    flavour: Flavour
    api_key: str | None = None
    timeout_seconds: float = 60.0


class OpenAICompatibleProvider:
    """Generations from one model on one OpenAI-compatible server."""

    def __init__(self, settings: ServerSettings) -> None:
        if settings.flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {settings.flavour!r}; expected one of {', '.join(FLAVOURS)}")
        self.settings = settings

    @property
    def name(self) -> str:
        return f"openai:{self.settings.flavour}:{self.settings.model}"

    async def generate(self, request: GenerationRequest) -> Generation:
        started = time.monotonic()
        if self.settings.flavour == "openai":
            text, prompt_tokens, completion_tokens, truncated = await self._respond(request)
        else:
            text, prompt_tokens, completion_tokens, truncated = await self._chat(request)
        return Generation(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds=time.monotonic() - started,
            provider=self.name,
            model=self.settings.model,
            truncated=truncated,
        )

    async def _chat(self, request: GenerationRequest) -> tuple[str, int, int, bool]:
        arguments: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [{"role": message.role, "content": message.content} for message in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.seed is not None:
            arguments["seed"] = request.seed
        flavour = self.settings.flavour
        if flavour == "llama-cpp":
            arguments["extra_body"] = {"grammar": request.grammar_text}
        elif flavour == "vllm":
            arguments["extra_body"] = {"structured_outputs": {"grammar": request.grammar_text}}
        elif flavour == "sglang":
            arguments["extra_body"] = {"ebnf": request.grammar_text}
        else:
            arguments["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "code", "strict": True, "schema": dict(CODE_SCHEMA)},
            }
        response = await self._call(lambda client: client.chat.completions.create(**arguments))
        content = _chat_content(response, self.name)
        if flavour == "json-schema":
            content = _code_field(content, self.name)
        prompt_tokens, completion_tokens = _usage(response, "prompt_tokens", "completion_tokens")
        truncated = getattr(response.choices[0], "finish_reason", None) == "length"
        return content, prompt_tokens, completion_tokens, truncated

    async def _respond(self, request: GenerationRequest) -> tuple[str, int, int, bool]:
        from maze.constraints.convert import to_lark

        tool = {
            "type": "custom",
            "name": TOOL_NAME,
            "description": "The code to write, exactly as the grammar requires.",
            "format": {"type": "grammar", "syntax": "lark", "definition": to_lark(request.grammar_text)},
        }
        arguments: dict[str, Any] = {
            "model": self.settings.model,
            "input": [{"role": message.role, "content": message.content} for message in request.messages],
            "max_output_tokens": request.max_tokens,
            "tools": [tool],
            "tool_choice": {"type": "custom", "name": TOOL_NAME},
            "parallel_tool_calls": False,
        }
        response = await self._call(lambda client: client.responses.create(**arguments))
        text = _tool_input(response, self.name)
        prompt_tokens, completion_tokens = _usage(response, "input_tokens", "output_tokens")
        return text, prompt_tokens, completion_tokens, getattr(response, "status", None) == "incomplete"

    async def _call(self, send: Any) -> Any:
        """Await `send(client)`, mapping the client's errors to provider errors."""
        import openai

        try:
            async with self._client() as client:
                return await send(client)
        except openai.APITimeoutError as error:
            raise ProviderTimeout(
                f"{self.name}: no answer within {self.settings.timeout_seconds:g} s"
            ) from error
        except openai.APIConnectionError as error:
            raise TransientError(f"{self.name}: cannot reach {self.settings.base_url}: {error}") from error
        except openai.APIStatusError as error:
            raise _status_error(self.name, error) from error
        except (openai.APIError, ValueError) as error:
            raise MalformedResponse(f"{self.name}: the response could not be read: {error}") from error

    def _client(self) -> AsyncOpenAI:
        """A new client: one per request, closed after it, so no connection outlives its event loop."""
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            base_url=self.settings.base_url,
            api_key=self.settings.api_key or "not-needed",
            timeout=self.settings.timeout_seconds,
            max_retries=0,
        )


def _status_error(name: str, error: Any) -> ProviderError:
    status = int(error.status_code)
    detail = f"{name}: the server answered {status}: {_short(error.message)}"
    if status == 429 or status >= 500:
        return TransientError(detail, retry_after=_retry_after(error.response.headers.get("retry-after")))
    return RequestRejected(detail)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _chat_content(response: Any, name: str) -> str:
    choices = getattr(response, "choices", None)
    if not choices:
        raise MalformedResponse(f"{name}: the response has no choices")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if not isinstance(content, str) or not content:
        refusal = getattr(message, "refusal", None)
        reason = f" (refusal: {_short(str(refusal))})" if refusal else ""
        raise MalformedResponse(f"{name}: the first choice has no content{reason}")
    return content


def _code_field(content: str, name: str) -> str:
    try:
        value = json.loads(content)
    except ValueError as error:
        raise MalformedResponse(f"{name}: the content is not JSON ({error}): {_short(content)}") from error
    code = value.get("code") if isinstance(value, dict) else None
    if not isinstance(code, str):
        raise MalformedResponse(f"{name}: the JSON content has no string 'code' field: {_short(content)}")
    return code


def _tool_input(response: Any, name: str) -> str:
    items = getattr(response, "output", None) or []
    calls = [item for item in items if getattr(item, "type", None) == "custom_tool_call"]
    ours = [call for call in calls if getattr(call, "name", None) == TOOL_NAME]
    if not ours:
        seen = ", ".join(str(getattr(item, "type", "?")) for item in items) or "nothing"
        raise MalformedResponse(
            f"{name}: the response has no call of the custom tool {TOOL_NAME!r} (got {seen})"
        )
    text = getattr(ours[0], "input", None)
    if not isinstance(text, str):
        raise MalformedResponse(f"{name}: the call of {TOOL_NAME!r} has no input text")
    return text


def _usage(response: Any, prompt_field: str, completion_field: str) -> tuple[int, int]:
    usage = getattr(response, "usage", None)
    prompt = getattr(usage, prompt_field, None)
    completion = getattr(usage, completion_field, None)
    return (prompt if isinstance(prompt, int) else 0, completion if isinstance(completion, int) else 0)


def _short(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
