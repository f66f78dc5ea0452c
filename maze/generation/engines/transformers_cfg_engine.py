"""transformers-cfg 0.2.7 behind the engine interface, fixed for transformers 5 and long-running processes.

We use its GBNF parser, its pushdown recognizer (`StringRecognizer`) and its byte trie, and replace the
parts that break here:

- the token -> bytes table comes from `token_bytes` (transformers-cfg downloads `gpt2` for byte-level BPE
  tokenizers on transformers 5, and rejects a generic `PreTrainedTokenizerFast`; building the table and the
  trie ourselves accepts any fast tokenizer, so no wrapping as `GPT2TokenizerFast` is needed);
- its masks are cached in a class-level `lru_cache` of 32,768 vocabulary-sized tensors shared by all
  grammars (gigabytes at a 49k vocabulary), and `char_acceptance_at_element` is cached without bound, one
  dict per element over all the code points of its ranges. Here each compiled grammar keeps its own
  bounded LRU of bit-packed masks (one per parser state), the recognizer's caches are per instance,
  bounded and freed with the grammar, and our trie walk does not use `char_acceptance_at_element`;
- its trie walk runs once per parser stack and mis-handles UTF-8 for ASCII grammar text; ours
  (`TransformersCfgGrammar._walk`) carries all stacks at once and decodes UTF-8 as `advance` does;
- its parser logs and swallows syntax errors and returns an empty grammar; we run the same rule parser
  and raise `GrammarCompileError` with its message and the line, and for undefined rules or no `root`.
"""

from __future__ import annotations

import functools
import threading
import types
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from maze.generation.engines.base import GrammarCompileError, TokenRejected
from maze.generation.engines.token_bytes import token_bytes

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from maze.generation.engines.base import TokenMask

ENGINE_NAME = "transformers-cfg"
DEFAULT_MASK_CACHE_ENTRIES = 256
RECOGNIZER_CACHE_ENTRIES = 16384
_RECOGNIZER_CACHED_METHODS = (
    "expand_stack_head",
    "_update_state_with_code_point_for_all_stacks",
    "_update_state_with_code_point_for_single_stack",
    "accept_code_point_at_element",
)

Stack = tuple[int, ...]
_SINGLE_BYTES = [bytes((byte,)) for byte in range(256)]


@dataclass(frozen=True)
class _Vocabulary:
    """What every grammar compiled for one tokenizer shares: the token bytes and their trie."""

    token_bytes: list[bytes | None]
    trie: Any
    eos_token_id: int
    size: int


class TransformersCfgEngine:
    """Compiles GBNF with transformers-cfg; the vocabulary trie is built once per tokenizer."""

    name = ENGINE_NAME

    def __init__(self, mask_cache_entries: int = DEFAULT_MASK_CACHE_ENTRIES) -> None:
        self._mask_cache_entries = mask_cache_entries
        self._vocabularies: weakref.WeakKeyDictionary[Any, _Vocabulary] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def compile(self, grammar_text: str, tokenizer: Any) -> TransformersCfgGrammar:
        recognizer = _recognizer(grammar_text)
        return TransformersCfgGrammar(
            recognizer,
            self._vocabulary(tokenizer),
            mask_cache_entries=self._mask_cache_entries,
        )

    def _vocabulary(self, tokenizer: Any) -> _Vocabulary:
        with self._lock:
            known = self._vocabularies.get(tokenizer)
            if known is None:
                known = _build_vocabulary(tokenizer)
                self._vocabularies[tokenizer] = known
            return known


class TransformersCfgGrammar:
    """One grammar for one tokenizer: the recognizer and a bounded cache of per-stack masks."""

    def __init__(self, recognizer: Any, vocabulary: _Vocabulary, *, mask_cache_entries: int) -> None:
        self.recognizer = recognizer
        self.vocabulary = vocabulary
        self._mask_cache_entries = mask_cache_entries
        self._masks: OrderedDict[tuple[frozenset[Stack], Any], NDArray[np.uint8]] = OrderedDict()
        self._ascii_tables: dict[int, list[bool]] = {}
        self._lock = threading.Lock()

    @property
    def vocab_size(self) -> int:
        return self.vocabulary.size

    @property
    def eos_token_id(self) -> int:
        return self.vocabulary.eos_token_id

    def matcher(self) -> TransformersCfgMatcher:
        return TransformersCfgMatcher(self)

    def fill_mask(self, mask: TokenMask, stacks: frozenset[Stack], partial_utf8: Any) -> None:
        """Set `mask` to the tokens the parser state (`stacks`, pending UTF-8 bytes) accepts next."""
        import numpy as np

        key = (stacks, _pending_utf8(partial_utf8))
        with self._lock:
            packed = self._masks.get(key)
            if packed is not None:
                self._masks.move_to_end(key)
        if packed is None:
            packed = np.packbits(self._walk(stacks, partial_utf8))
            with self._lock:
                self._masks[key] = packed
                while len(self._masks) > self._mask_cache_entries:
                    self._masks.popitem(last=False)
        mask[:] = np.unpackbits(packed, count=self.vocab_size).view(np.bool_)

    def cached_masks(self) -> int:
        return len(self._masks)

    def _walk(self, stacks: frozenset[Stack], partial_utf8: Any) -> NDArray[np.bool_]:
        """Walk the vocabulary trie with the parser state, a byte at a time, as `advance` consumes bytes.

        transformers-cfg's own walk runs once per stack (thousands for a Python grammar) and, for ASCII
        grammar text, takes bytes for code points, so it allows a lone UTF-8 continuation byte wherever a
        negated class such as `[^"]` is allowed (and `advance` then rejects it). Here one walk carries
        all stacks: an ASCII byte is checked once per distinct top-of-stack element, then only the stacks
        whose top accepts it are advanced; other bytes go through the recognizer's own UTF-8 decoding.
        """
        import numpy as np
        from transformers_cfg.recognizer import AcceptState

        recognizer = self.recognizer
        consume_code_point = recognizer._update_state_with_code_point_for_single_stack
        accepted = np.zeros(self.vocabulary.size, dtype=np.bool_)
        pending: list[tuple[Any, frozenset[Stack], Any]] = [(self.vocabulary.trie.root, stacks, partial_utf8)]
        while pending:
            node, current, partial = pending.pop()
            by_top = _group_by_top(current) if partial.n_remain <= 0 else None
            for byte, child in node.children.items():
                if by_top is not None and byte < 0x80:
                    following: set[Stack] = set()
                    for top, group in by_top.items():
                        if self._accepts_ascii(top)[byte]:
                            for stack in group:
                                following |= consume_code_point(byte, stack)
                    following_partial = partial
                else:
                    state = _consume(recognizer, _SINGLE_BYTES[byte], AcceptState(set(current), partial))
                    following, following_partial = state.stacks, state.partial_utf8
                if not following:
                    continue
                if child.is_end_of_word:
                    accepted[child.token_id] = True
                if child.children:
                    pending.append((child, frozenset(following), following_partial))
        accepted[self.vocabulary.eos_token_id] = False
        return accepted

    def _accepts_ascii(self, element_offset: int) -> list[bool]:
        table = self._ascii_tables.get(element_offset)
        if table is None:
            accepts = self.recognizer.accept_code_point_at_element
            table = [code_point > 0 and accepts(code_point, element_offset) for code_point in range(128)]
            self._ascii_tables[element_offset] = table
        return table


def _consume(recognizer: Any, data: bytes, state: Any) -> Any:
    """The recognizer's state after `data`; a finished parse (empty stack) ends at a partial character.

    transformers-cfg keeps the empty stack while a UTF-8 sequence is incomplete, which lets a complete
    output continue with a lone lead byte.
    """
    following = recognizer._update_state_with_bytes(data, state, verbose=False)
    if following.partial_utf8.n_remain > 0:
        following.stacks = {stack for stack in following.stacks if stack}
    return following


def _group_by_top(stacks: frozenset[Stack]) -> dict[int, list[Stack]]:
    groups: dict[int, list[Stack]] = {}
    for stack in stacks:
        if stack:
            groups.setdefault(stack[-1], []).append(stack)
    return groups


def _pending_utf8(partial_utf8: Any) -> tuple[int, int] | None:
    return (partial_utf8.value, partial_utf8.n_remain) if partial_utf8.n_remain > 0 else None


class TransformersCfgMatcher:
    """The recognizer's state (a set of parser stacks) for one generation."""

    def __init__(self, grammar: TransformersCfgGrammar) -> None:
        self._grammar = grammar
        self._state = grammar.recognizer.get_initial_parsing_state()
        self._ended = False

    @property
    def vocab_size(self) -> int:
        return self._grammar.vocab_size

    def advance(self, token_id: int) -> None:
        vocabulary = self._grammar.vocabulary
        if self._ended:
            raise TokenRejected(ENGINE_NAME, token_id, "the output already ended")
        if token_id == vocabulary.eos_token_id:
            if not self.can_end():
                raise TokenRejected(ENGINE_NAME, token_id, "end of sequence before the grammar is complete")
            self._ended = True
            return
        data = vocabulary.token_bytes[token_id] if 0 <= token_id < len(vocabulary.token_bytes) else None
        if data is None:
            raise TokenRejected(ENGINE_NAME, token_id, "a special or unknown token stands for no text")
        state = _consume(self._grammar.recognizer, data, self._state)
        if not state.stacks:
            raise TokenRejected(ENGINE_NAME, token_id, f"{data!r} does not continue the grammar here")
        self._state = state

    def allowed(self, mask: TokenMask) -> None:
        if self._ended:
            mask[:] = False
            return
        self._grammar.fill_mask(mask, frozenset(self._state.stacks), self._state.partial_utf8)
        mask[self._grammar.eos_token_id] = self.can_end()

    def can_end(self) -> bool:
        return (
            not self._ended
            and self._state.partial_utf8.n_remain <= 0
            and any(len(stack) == 0 for stack in self._state.stacks)
        )

    def is_finished(self) -> bool:
        return self._ended or all(len(stack) == 0 for stack in self._state.stacks)


def _build_vocabulary(tokenizer: Any) -> _Vocabulary:
    from transformers_cfg.tokenization.byte_trie import ByteTrie

    table = token_bytes(tokenizer)
    trie = ByteTrie()
    for token_id, data in enumerate(table):
        if data:
            trie.insert(data, token_id)
    eos_token_id = tokenizer.eos_token_id
    if eos_token_id is None:
        raise ValueError(f"{type(tokenizer).__name__} has no end-of-sequence token")
    return _Vocabulary(table, trie, int(eos_token_id), len(table))


def _recognizer(grammar_text: str) -> Any:
    """transformers-cfg's recognizer for `grammar_text`, with per-instance bounded caches."""
    from transformers_cfg.recognizer import StringRecognizer

    parsed = _parse(grammar_text)
    recognizer = StringRecognizer(parsed.grammar_encoding, parsed.symbol_table["root"])
    for method_name in _RECOGNIZER_CACHED_METHODS:
        unbound = getattr(StringRecognizer, method_name).__wrapped__
        bound = types.MethodType(unbound, recognizer)
        setattr(recognizer, method_name, functools.lru_cache(maxsize=RECOGNIZER_CACHE_ENTRIES)(bound))
    return recognizer


def _parse(grammar_text: str) -> Any:
    """transformers-cfg's `parse_ebnf`, raising on errors instead of returning an empty grammar."""
    from transformers_cfg.parser import ParseState, parse_rule, remove_leading_white_space

    state = ParseState()
    remaining = remove_leading_white_space(grammar_text, True)
    while remaining:
        line = grammar_text.count("\n", 0, len(grammar_text) - len(remaining)) + 1
        try:
            remaining = parse_rule(state, remaining)
        except (RuntimeError, AssertionError, IndexError, ValueError) as error:
            message = f"in the rule at line {line}: {_first_line(error)}"
            raise GrammarCompileError(ENGINE_NAME, message) from error
    undefined = sorted(
        name for name, rule_id in state.symbol_table.items() if rule_id not in state.grammar_rules
    )
    if undefined:
        raise GrammarCompileError(ENGINE_NAME, f"rules used but not defined: {', '.join(undefined)}")
    if "root" not in state.symbol_table:
        raise GrammarCompileError(ENGINE_NAME, "no `root` rule (the start rule)")
    return state


def _first_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0] if text.strip() else text
