"""The check every output passes before anyone sees it: it parses under its grammar, and as code.

The grammar check runs llguidance over the output's bytes (a byte-level tokenizer, so no model's
tokenizer is needed and the result is the same whichever model wrote the text). Outputs of the Python
fragment grammars (`python-*`, also inside an edit: `edit/python-*`) must also satisfy `ast.parse`,
dedented first, as an expression for `python-expression`. A server that ignored the grammar is caught
here: its output is rejected, never posted.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from maze.generation.providers.base import Generation, GenerationRequest, GrammarUnusable, OutputRejected

if TYPE_CHECKING:
    from llguidance import LLTokenizer

_EOS = 256
_PYTHON_PREFIX = "python-"
_EXPRESSION_GRAMMARS = frozenset({"python-expression"})
EDIT_PREFIX = "edit/"
_EDIT = re.compile(r"@@ (\d+)-(\d+)\n(.*)@@\n?", re.DOTALL)


def check_generation(request: GenerationRequest, generation: Generation) -> None:
    """Raise OutputRejected unless `generation.text` parses under the request's grammar (and as Python)."""
    problem = grammar_problem(request.grammar_text, generation.text)
    if problem is None:
        problem = code_problem(request.grammar_name, generation.text)
    if problem is not None:
        if generation.truncated:
            problem += f" (cut at max_tokens, {request.max_tokens})"
        raise OutputRejected(
            f"{generation.provider} output rejected under grammar {request.grammar_name!r}: {problem}",
            generation,
        )


def code_problem(grammar_name: str, text: str) -> str | None:
    """Why the code in `text`, written under grammar `grammar_name`, is not valid, or None.

    A `python-*` grammar's output is the code; an edit (`edit/<fragment grammar>`, the `edit` grammar
    composed with a fragment grammar) holds it between its `@@ start-end` line and its closing `@@`.
    """
    fragment_grammar, code = grammar_name, text
    if grammar_name.startswith(EDIT_PREFIX):
        edit = _EDIT.fullmatch(text)
        if edit is None:
            return "not an edit: expected '@@ start-end', the new lines, then '@@'"
        if int(edit.group(1)) > int(edit.group(2)):
            return f"the line range {edit.group(1)}-{edit.group(2)} ends before it starts"
        fragment_grammar, code = grammar_name.removeprefix(EDIT_PREFIX), edit.group(3)
    if fragment_grammar.startswith(_PYTHON_PREFIX):
        return python_problem(code, expression=fragment_grammar in _EXPRESSION_GRAMMARS)
    return None


def grammar_problem(grammar_text: str, text: str) -> str | None:
    """Why `text` is not a complete sentence of the GBNF grammar, or None when it is."""
    from llguidance import LLMatcher

    matcher = LLMatcher(_byte_tokenizer(), _compiled(grammar_text), log_level=0)
    if matcher.is_error():
        raise GrammarUnusable(f"the grammar does not compile: {_first_line(matcher.get_error())}")
    data = list(text.encode("utf-8"))
    accepted = matcher.validate_tokens(data)
    if accepted < len(data) or not matcher.consume_tokens(data):
        before = bytes(data[max(0, accepted - 40) : accepted])
        wrong = _show(bytes(data[accepted : accepted + 1]))
        return f"byte {accepted} ({wrong}) does not fit; before it: {_show(before)}"
    if not matcher.is_accepting():
        return "the output stops before the grammar allows it to end"
    return None


def python_problem(text: str, *, expression: bool) -> str | None:
    """Why `text`, dedented, is not Python (an expression when `expression`), or None when it is."""
    code = textwrap.dedent(text)
    try:
        ast.parse(code.strip() if expression else code, mode="eval" if expression else "exec")
    except SyntaxError as error:
        return f"not valid Python: {error.msg} (line {error.lineno})"
    except (ValueError, MemoryError, RecursionError) as error:
        return f"not valid Python: {error}"
    return None


@lru_cache(maxsize=32)
def _compiled(grammar_text: str) -> str:
    from llguidance import grammar_from

    try:
        return grammar_from("gbnf", grammar_text)
    except ValueError as error:
        raise GrammarUnusable(f"the grammar does not compile: {_first_line(str(error))}") from error


@lru_cache(maxsize=1)
def _byte_tokenizer() -> LLTokenizer:
    """A tokenizer whose tokens are the 256 bytes, plus an end token."""
    from llguidance import LLTokenizer, TokenizerWrapper

    return LLTokenizer(TokenizerWrapper(_Bytes()))


class _Bytes:
    """The tokenizer shape `llguidance.TokenizerWrapper` reads: one token per byte, then the end token."""

    eos_token_id = _EOS
    bos_token_id = None
    tokens: Sequence[bytes] = (*(bytes([value]) for value in range(256)), b"<end>")
    special_token_ids: Sequence[int] = (_EOS,)

    def __call__(self, text: str | bytes) -> list[int]:
        return list(text.encode("utf-8") if isinstance(text, str) else text)


def _show(data: bytes) -> str:
    return repr(data.decode("utf-8", errors="replace"))


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"
