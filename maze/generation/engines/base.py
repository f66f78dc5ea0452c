"""The engine interface: compile a GBNF grammar for a tokenizer, then walk it token by token.

An `Engine` turns grammar text into a `CompiledGrammar` for one tokenizer (compile once, reuse for every
request with that grammar); each generation takes a fresh `Matcher` from it. A matcher follows the
tokens chosen so far (`advance`), fills the mask of tokens allowed next (`allowed`) and says whether the
output may end here (`can_end`). The mask is a NumPy boolean array of the matcher's `vocab_size`
(True = allowed); the end-of-sequence token is allowed in it exactly when `can_end()` is true.

Nothing here imports NumPy, torch, transformers or an engine library at import time, so the bot can
import it cheaply. `processor.ConstrainedLogitsProcessor` applies any matcher's mask in transformers'
`generate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    TokenMask = NDArray[np.bool_]


class GrammarCompileError(ValueError):
    """The grammar text could not be compiled; `engine` says by whom, `message` what the engine said."""

    def __init__(self, engine: str, message: str) -> None:
        super().__init__(f"{engine} could not compile the grammar: {message}")
        self.engine = engine
        self.message = message


class TokenRejected(ValueError):
    """A token the grammar does not allow at this point was given to `Matcher.advance`."""

    def __init__(self, engine: str, token_id: int, reason: str) -> None:
        super().__init__(f"{engine} rejected token {token_id}: {reason}")
        self.engine = engine
        self.token_id = token_id
        self.reason = reason


class Matcher(Protocol):
    """The state of one generation under a compiled grammar."""

    @property
    def vocab_size(self) -> int:
        """Length of the mask `allowed` fills."""
        ...

    def advance(self, token_id: int) -> None:
        """Consume the token chosen next; raise `TokenRejected` (state unchanged) if it is not allowed."""
        ...

    def allowed(self, mask: TokenMask) -> None:
        """Fill `mask` (shape `(vocab_size,)`, bool) with the tokens allowed next."""
        ...

    def can_end(self) -> bool:
        """Whether the text so far is a complete sentence of the grammar (end-of-sequence allowed)."""
        ...

    def is_finished(self) -> bool:
        """Whether nothing but end-of-sequence can follow (or end-of-sequence was consumed)."""
        ...


class CompiledGrammar(Protocol):
    """A grammar compiled for one tokenizer; cheap to start matchers from."""

    @property
    def vocab_size(self) -> int: ...

    @property
    def eos_token_id(self) -> int: ...

    def matcher(self) -> Matcher:
        """A new matcher at the start of the grammar."""
        ...


class Engine(Protocol):
    """A constrained-decoding library behind the common interface."""

    name: str

    def compile(self, grammar_text: str, tokenizer: Any) -> CompiledGrammar:
        """Compile GBNF `grammar_text` (start rule `root`) for a Hugging Face fast tokenizer.

        Raises `GrammarCompileError` with the engine's own message when the grammar is not valid.
        """
        ...


def new_mask(vocab_size: int) -> TokenMask:
    """A mask of `vocab_size` entries, nothing allowed yet."""
    import numpy as np

    return np.zeros(vocab_size, dtype=np.bool_)
