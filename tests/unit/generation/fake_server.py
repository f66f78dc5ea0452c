"""An OpenAI-compatible HTTP server on 127.0.0.1 that checks each request's shape for a server flavour
and answers as the real server would, or as a script says (errors, malformed bodies, slowness).

The shapes checked, and where each is documented:

- every Chat Completions request: `model`, `messages` (role and string content), `max_tokens`,
  `temperature`, optional `seed`; platform.openai.com/docs/api-reference/chat/create.
- `llama-cpp`: `grammar`, a GBNF string at the top level of the body; llama.cpp server README
  (github.com/ggml-org/llama.cpp/tree/master/tools/server, option `grammar`), llama-cpp-python
  `llama_cpp/server/types.py` `CreateChatCompletionRequest.grammar`.
- `vllm`: `structured_outputs: {"grammar": <str>}` and none of the removed `guided_*` fields;
  docs.vllm.ai/en/latest/features/structured_outputs ("Online Serving", and the v0.12 removal note).
- `sglang`: `ebnf`, a string at the top level; docs.sglang.io "Structured Outputs" (EBNF via
  `extra_body={"ebnf": ...}`).
- `json-schema`: `response_format: {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`;
  platform.openai.com/docs/guides/structured-outputs and Ollama's docs/openai.md (supported fields).
- `openai`: POST /v1/responses with `model`, `input`, `tools: [{"type": "custom", "name", "format":
  {"type": "grammar", "syntax": "lark", "definition"}}]` and `tool_choice: {"type": "custom", "name"}`;
  platform.openai.com/docs/guides/function-calling#custom-tools ("Context-free grammars").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Reply = Callable[["Seen"], Awaitable[web.StreamResponse]]
GRAMMAR_FIELDS = ("grammar", "structured_outputs", "ebnf", "response_format", "guided_grammar", "tools")


@dataclass
class Seen:
    """One request as the server received it, and the problems found in its shape."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    problems: list[str] = field(default_factory=list)


@dataclass
class FakeServer:
    """Checks requests for `flavour`; answers with `text` unless `script` holds replies for the next ones."""

    flavour: str
    text: str = "x + 1"
    prompt_tokens: int = 11
    completion_tokens: int = 3
    script: list[Reply] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_post("/v1/responses", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        seen = Seen(request.path, body, dict(request.headers))
        seen.problems = shape_problems(self.flavour, request.path, body)
        self.seen.append(seen)
        if seen.problems:
            return web.json_response(
                {"error": {"message": "; ".join(seen.problems), "type": "invalid_request_error"}}, status=400
            )
        if self.script:
            return await self.script.pop(0)(seen)
        return self.answer(seen, self.text)

    def answer(self, seen: Seen, text: str) -> web.Response:
        """What the real server sends for a generation of `text`."""
        if seen.path == "/v1/responses":
            return web.json_response(responses_body(text, self.prompt_tokens, self.completion_tokens))
        content = json.dumps({"code": text}) if self.flavour == "json-schema" else text
        return web.json_response(chat_body(content, self.prompt_tokens, self.completion_tokens))


def shape_problems(flavour: str, path: str, body: dict[str, Any]) -> list[str]:
    """What is wrong with `body` as a request of `flavour`; empty when it is as documented."""
    if flavour == "openai":
        return _responses_problems(path, body)
    problems = _chat_problems(path, body)
    expected = {
        "llama-cpp": {"grammar"},
        "vllm": {"structured_outputs"},
        "sglang": {"ebnf"},
        "json-schema": {"response_format"},
    }[flavour]
    present = {name for name in GRAMMAR_FIELDS if name in body}
    if present != expected:
        problems.append(f"grammar fields {sorted(present)}, expected {sorted(expected)}")
    if flavour == "llama-cpp" and not _gbnf(body.get("grammar")):
        problems.append("grammar is not a GBNF string with a root rule")
    if flavour == "vllm":
        outputs = body.get("structured_outputs")
        if not isinstance(outputs, dict) or set(outputs) != {"grammar"} or not _gbnf(outputs["grammar"]):
            problems.append("structured_outputs must be {'grammar': <GBNF>}")
    if flavour == "sglang" and not _gbnf(body.get("ebnf")):
        problems.append("ebnf is not a grammar string with a root rule")
    if flavour == "json-schema":
        problems.extend(_json_schema_problems(body.get("response_format")))
    return problems


def _chat_problems(path: str, body: dict[str, Any]) -> list[str]:
    problems = []
    if path != "/v1/chat/completions":
        problems.append(f"posted to {path}, expected /v1/chat/completions")
    if not isinstance(body.get("model"), str):
        problems.append("model must be a string")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append("messages must be a non-empty list")
    else:
        for message in messages:
            if message.get("role") not in {"system", "user", "assistant"} or not isinstance(
                message.get("content"), str
            ):
                problems.append(f"bad message {message!r}")
    if not isinstance(body.get("max_tokens"), int):
        problems.append("max_tokens must be an integer")
    if not isinstance(body.get("temperature"), int | float):
        problems.append("temperature must be a number")
    if "seed" in body and not isinstance(body["seed"], int):
        problems.append("seed must be an integer")
    return problems


def _json_schema_problems(value: object) -> list[str]:
    if not isinstance(value, dict) or value.get("type") != "json_schema":
        return ["response_format must be {'type': 'json_schema', ...}"]
    schema_block = value.get("json_schema")
    if not isinstance(schema_block, dict) or not isinstance(schema_block.get("name"), str):
        return ["response_format.json_schema needs a name"]
    schema = schema_block.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return ["response_format.json_schema.schema must be an object schema"]
    if schema.get("properties", {}).get("code", {}).get("type") != "string" or schema.get("required") != [
        "code"
    ]:
        return ["the schema must require a string 'code' property"]
    return []


def _responses_problems(path: str, body: dict[str, Any]) -> list[str]:
    problems = []
    if path != "/v1/responses":
        problems.append(f"posted to {path}, expected /v1/responses")
    if not isinstance(body.get("model"), str):
        problems.append("model must be a string")
    items = body.get("input")
    if not isinstance(items, list) or not all(
        isinstance(item, dict) and item.get("role") in {"system", "developer", "user", "assistant"}
        for item in items
    ):
        problems.append("input must be a list of role messages")
    tools = body.get("tools")
    if not isinstance(tools, list) or len(tools) != 1:
        return [*problems, "tools must hold exactly the one custom tool"]
    tool = tools[0]
    grammar = tool.get("format", {})
    if tool.get("type") != "custom" or not isinstance(tool.get("name"), str):
        problems.append("the tool must be {'type': 'custom', 'name': ...}")
    if grammar.get("type") != "grammar" or grammar.get("syntax") != "lark":
        problems.append("the tool format must be {'type': 'grammar', 'syntax': 'lark', ...}")
    definition = grammar.get("definition")
    if not isinstance(definition, str) or "start" not in definition or "::=" in definition:
        problems.append("the tool's definition must be a Lark grammar with a start rule (not GBNF)")
    if body.get("tool_choice") != {"type": "custom", "name": tool.get("name")}:
        problems.append(f"tool_choice must force the custom tool, got {body.get('tool_choice')!r}")
    for name in ("grammar", "structured_outputs", "ebnf", "response_format", "messages"):
        if name in body:
            problems.append(f"{name} does not belong in a Responses request")
    return problems


def _gbnf(value: object) -> bool:
    return isinstance(value, str) and "root ::=" in value


def chat_body(content: object, prompt_tokens: int = 11, completion_tokens: int = 3) -> dict[str, Any]:
    """A Chat Completions response as llama.cpp, vLLM, SGLang and Ollama send it."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def responses_body(
    text: str, input_tokens: int = 11, output_tokens: int = 3, *, output: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A Responses API response whose output is one call of the custom tool with `text` as its input."""
    call = {
        "type": "custom_tool_call",
        "id": "ctc_1",
        "call_id": "call_1",
        "name": "write_code",
        "input": text,
        "status": "completed",
    }
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "model": "gpt-5",
        "output": [call] if output is None else output,
        "parallel_tool_calls": False,
        "tool_choice": {"type": "custom", "name": "write_code"},
        "tools": [],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def json_reply(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    async def reply(seen: Seen) -> web.StreamResponse:
        return web.json_response(body, status=status, headers=headers)

    return reply


def text_reply(text: str, status: int = 200, content_type: str = "text/html") -> Reply:
    async def reply(seen: Seen) -> web.StreamResponse:
        return web.Response(text=text, status=status, content_type=content_type)

    return reply


def slow_reply(server: FakeServer, seconds: float) -> Reply:
    async def reply(seen: Seen) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return server.answer(seen, server.text)

    return reply


def ok_reply(server: FakeServer, text: str | None = None) -> Reply:
    async def reply(seen: Seen) -> web.StreamResponse:
        return server.answer(seen, server.text if text is None else text)

    return reply
