"""Choosing among proven fixes: the smallest change first, then the learned acceptance score.

The size of a change is the number of characters it inserts and deletes (a character diff of the
replaced lines against the replacement), so renaming one letter beats rewriting the line. Ties go to the
higher learned score when one is given, then the cheaper source (tool autofix, symbolic, model), then
the order the candidates were found in.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from maze.suggestions import Candidate

TIERS = ("autofix", "symbolic", "model")

Score = Callable[[Candidate], float]


class Proven(Protocol):
    @property
    def candidate(self) -> Candidate: ...

    @property
    def tier(self) -> str: ...


def change_size(candidate: Candidate, text: str) -> int:
    """Characters inserted plus characters deleted when `candidate` is applied to `text`."""
    lines = text.splitlines(keepends=True)
    original = "".join(lines[candidate.start_line - 1 : candidate.end_line])
    matcher = difflib.SequenceMatcher(a=original, b=candidate.replacement, autojunk=False)
    return sum((i2 - i1) + (j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


T = TypeVar("T", bound=Proven)


def _tier_rank(tier: str) -> int:
    return TIERS.index(tier) if tier in TIERS else len(TIERS)


def choose(proven: Sequence[T], text: str, score: Score | None = None) -> T | None:
    """The fix to post among `proven` (all already proven), or None when there is none."""
    if not proven:
        return None
    ranked = sorted(
        enumerate(proven),
        key=lambda item: (
            change_size(item[1].candidate, text),
            -(score(item[1].candidate) if score else 0.0),
            _tier_rank(item[1].tier),
            item[0],
        ),
    )
    return ranked[0][1]
