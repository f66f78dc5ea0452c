"""Two real engines as recognizers for tests: llguidance (with a byte tokenizer) and transformers-cfg.

A byte tokenizer (one token per byte) makes llguidance check exactly the text's bytes, so a rejection
is the grammar's, not a tokenization's.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, ClassVar

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BYTE_EOS = 256


class _ByteTokenizer:
    eos_token_id = BYTE_EOS
    bos_token_id = None
    tokens: ClassVar[list[bytes]] = [bytes([value]) for value in range(256)] + [b"<eos>"]
    special_token_ids: ClassVar[list[int]] = [BYTE_EOS]

    def __call__(self, data: bytes | str) -> list[int]:
        return list(data.encode("utf-8") if isinstance(data, str) else data)


@cache
def byte_tokenizer() -> Any:
    import llguidance

    return llguidance.LLTokenizer(llguidance.TokenizerWrapper(_ByteTokenizer()))


class LLGuidanceRecognizer:
    """Accepts a text when llguidance's matcher consumes all its bytes and may stop there."""

    def __init__(self, grammar_text: str, syntax: str = "gbnf") -> None:
        import llguidance

        compiled = llguidance.grammar_from(syntax, grammar_text)  # type: ignore[arg-type]
        self.matcher = llguidance.LLMatcher(byte_tokenizer(), compiled, log_level=0)
        if self.matcher.is_error():
            raise ValueError(self.matcher.get_error())

    def accepts(self, text: str) -> bool:
        matcher = self.matcher.deep_copy()
        consumed = matcher.consume_tokens(list(text.encode("utf-8")))
        return bool(consumed and matcher.is_accepting() and not matcher.is_error())


class TransformersCfgRecognizer:
    """transformers-cfg's own string recognizer (its grammar parser and stacks, no tokenizer)."""

    def __init__(self, grammar_text: str) -> None:
        from transformers_cfg.parser import parse_ebnf
        from transformers_cfg.recognizer import StringRecognizer

        state = parse_ebnf(grammar_text)
        self.recognizer = StringRecognizer(state.grammar_encoding, state.symbol_table["root"])

    def accepts(self, text: str) -> bool:
        return bool(self.recognizer._accept_string(text))
