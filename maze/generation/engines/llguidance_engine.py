"""llguidance 1.9.1 behind the engine interface: GBNF converted with `grammar_from`, masks from `LLMatcher`.

The llguidance tokenizer (`llguidance.hf.from_tokenizer`, about 0.6 s at a 49k vocabulary) is built once
per Hugging Face tokenizer. Compiling a grammar builds one template `LLMatcher`; each generation gets a
`deep_copy` of it. Masks are computed into a preallocated 32-bit bitmask and unpacked into the boolean
mask of the interface.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from maze.generation.engines.base import GrammarCompileError, TokenRejected

if TYPE_CHECKING:
    import llguidance

    from maze.generation.engines.base import TokenMask

ENGINE_NAME = "llguidance"


class LlguidanceEngine:
    """Compiles GBNF with llguidance; its tokenizer view is built once per Hugging Face tokenizer."""

    name = ENGINE_NAME

    def __init__(self) -> None:
        self._tokenizers: weakref.WeakKeyDictionary[Any, llguidance.LLTokenizer] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def compile(self, grammar_text: str, tokenizer: Any) -> LlguidanceGrammar:
        import llguidance

        ll_tokenizer = self._ll_tokenizer(tokenizer)
        try:
            grammar = llguidance.grammar_from("gbnf", grammar_text)
            template = llguidance.LLMatcher(ll_tokenizer, grammar, log_level=0)
        except (ValueError, RuntimeError) as error:
            raise GrammarCompileError(ENGINE_NAME, str(error)) from error
        if template.is_error():
            raise GrammarCompileError(ENGINE_NAME, template.get_error())
        return LlguidanceGrammar(ll_tokenizer, template)

    def _ll_tokenizer(self, tokenizer: Any) -> llguidance.LLTokenizer:
        import llguidance.hf

        with self._lock:
            known = self._tokenizers.get(tokenizer)
            if known is None:
                known = llguidance.hf.from_tokenizer(tokenizer)
                self._tokenizers[tokenizer] = known
            return known


class LlguidanceGrammar:
    """A compiled grammar: the tokenizer view and a template matcher at the start of the grammar."""

    def __init__(self, ll_tokenizer: llguidance.LLTokenizer, template: llguidance.LLMatcher) -> None:
        self._ll_tokenizer = ll_tokenizer
        self._template = template

    @property
    def vocab_size(self) -> int:
        return self._ll_tokenizer.vocab_size

    @property
    def eos_token_id(self) -> int:
        return self._ll_tokenizer.eos_token

    def matcher(self) -> LlguidanceMatcher:
        return LlguidanceMatcher(self._template.deep_copy(), self.vocab_size, self._ll_tokenizer.eos_tokens)


class LlguidanceMatcher:
    """One `LLMatcher` and its bitmask buffer."""

    def __init__(self, matcher: llguidance.LLMatcher, vocab_size: int, eos_token_ids: list[int]) -> None:
        import numpy as np

        self._matcher = matcher
        self._vocab_size = vocab_size
        self._eos_token_ids = frozenset(eos_token_ids)
        self._bits = np.zeros((vocab_size + 31) // 32, dtype=np.int32)

    @property
    def vocab_size(self) -> int:
        return self._vocab_size

    def advance(self, token_id: int) -> None:
        if token_id in self._eos_token_ids:
            # `validate_tokens` never counts end-of-sequence; `consume_token` takes it in an accepting state.
            if not self.can_end():
                raise TokenRejected(ENGINE_NAME, token_id, "end of sequence before the grammar is complete")
        elif self._matcher.validate_tokens([token_id]) != 1:
            reason = self._matcher.get_error() or "not allowed by the grammar here"
            raise TokenRejected(ENGINE_NAME, token_id, reason)
        if not self._matcher.consume_token(token_id):
            raise TokenRejected(ENGINE_NAME, token_id, self._matcher.get_error())

    def allowed(self, mask: TokenMask) -> None:
        import numpy as np

        self._matcher.unsafe_compute_mask_ptr(self._bits.ctypes.data, self._bits.nbytes)
        mask[:] = np.unpackbits(self._bits.view(np.uint8), count=self._vocab_size, bitorder="little").view(
            np.bool_
        )

    def can_end(self) -> bool:
        return self._matcher.is_accepting() and not self._matcher.is_error()

    def is_finished(self) -> bool:
        return self._matcher.is_stopped()
