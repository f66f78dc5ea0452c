"""A transformers `LogitsProcessor` that keeps `generate` inside a grammar, with any engine's matcher.

Batch size 1 only (one matcher follows one sequence; beam search and batched sampling are refused).
It works with greedy decoding and sampling: transformers applies custom processors before temperature,
top-k and top-p, so the warpers only ever see allowed tokens. End-of-sequence tokens are allowed exactly
when the matcher can end; logits beyond the tokenizer's vocabulary (padded model heads) are disallowed.
Importing this module imports torch and transformers: only the model path does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import numpy as np
import torch
from transformers import LogitsProcessor

from maze.generation.engines.base import Matcher, new_mask


class ConstrainedLogitsProcessor(LogitsProcessor):
    """Advance `matcher` with each generated token and mask the logits to the tokens it allows."""

    def __init__(self, matcher: Matcher, eos_token_ids: Iterable[int]) -> None:
        self.matcher = matcher
        self.eos_token_ids = sorted(set(eos_token_ids))
        if not self.eos_token_ids:
            raise ValueError("at least one end-of-sequence token id is needed")
        self._mask = new_mask(matcher.vocab_size)
        self._seen: int | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[0] != 1:
            raise ValueError(f"ConstrainedLogitsProcessor handles batch size 1, got {input_ids.shape[0]}")
        length = int(input_ids.shape[1])
        if self._seen is not None:
            for token_id in input_ids[0, self._seen :].tolist():
                self.matcher.advance(int(token_id))
        self._seen = length
        disallowed = ~self._allowed(int(scores.shape[-1])).to(scores.device)
        return cast(torch.FloatTensor, scores.masked_fill(disallowed, -torch.inf))

    def _allowed(self, width: int) -> torch.Tensor:
        self.matcher.allowed(self._mask)
        allowed = np.zeros(width, dtype=np.bool_)
        shared = min(width, self._mask.shape[0])
        allowed[:shared] = self._mask[:shared]
        can_end = self.matcher.can_end()
        for token_id in self.eos_token_ids:
            if token_id < width:
                allowed[token_id] = can_end
        if not allowed.any():
            # A dead end (the tokenizer cannot spell what the grammar needs): stop; the caller's check of
            # the output against the grammar rejects it.
            allowed[self.eos_token_ids[0]] = True
        return torch.from_numpy(allowed)
