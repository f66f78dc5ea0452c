"""What every provider takes and returns, the Provider protocol, and the errors providers raise.

Errors say which kind of failure happened, so the guard knows what is worth retrying: `TransientError`
(connection refused or reset, 429, 5xx) and `ProviderTimeout` are retried; `RequestRejected` (any other
4xx), `MalformedResponse` and `OutputRejected` are not, since asking again would get the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """One generation: the chat, the grammar the output must follow (GBNF), and sampling settings.

    `grammar_name` names the grammar in `maze.constraints` (`python-expression`, `edit`...); a name
    starting with `python-` also has the output checked with `ast.parse`. `seed` is None for the
    server's or library's own choice.
    """

    messages: tuple[Message, ...]
    grammar_name: str
    grammar_text: str
    max_tokens: int = 256
    temperature: float = 0.0
    seed: int | None = None


@dataclass(frozen=True)
class Generation:
    """What a provider produced: the text and what it cost. `truncated` when it stopped at `max_tokens`
    rather than where the model (and the grammar) let it end: such text rarely parses."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    provider: str
    model: str
    truncated: bool = False


class Provider(Protocol):
    """A source of generations. `name` names the provider kind and model in logs and usage totals."""

    @property
    def name(self) -> str: ...

    async def generate(self, request: GenerationRequest) -> Generation: ...


class ProviderError(Exception):
    """A generation failed; the run goes on with the other candidate sources."""


class TransientError(ProviderError):
    """A failure that may pass: the connection failed, the server is overloaded (429) or failed (5xx).

    `retry_after` is the wait in seconds the server asked for, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderTimeout(ProviderError):
    """No answer within the time allowed."""


class RequestRejected(ProviderError):
    """The server refused the request (4xx other than 429): asking again would be refused again."""


class MalformedResponse(ProviderError):
    """The server answered, but not with a generation: no choices, no content, a wrong tool call."""


class GrammarUnusable(ProviderError):
    """The grammar does not compile, so nothing can be generated or checked under it."""


class OutputRejected(ProviderError):
    """The output does not parse under the grammar (or as code): it is never posted.

    `generation` is the rejected output, kept for logs and token accounting.
    """

    def __init__(self, message: str, generation: Generation) -> None:
        super().__init__(message)
        self.generation = generation
