"""Random texts derived from a grammar, for soundness tests: every derivation must be valid code.

Past a depth budget each choice takes the option with the shortest derivation, so sampling ends.
"""

from __future__ import annotations

import random

from maze.constraints.gbnf import (
    AnyChar,
    CharClass,
    Choice,
    Expr,
    Grammar,
    Literal,
    RuleRef,
    Sequence,
)

_INFINITE = 10**9


def shortest(grammar: Grammar) -> dict[str, int]:
    """The length of each rule's shortest derivation (fixpoint)."""
    lengths = dict.fromkeys(grammar.rules, _INFINITE)
    changed = True
    while changed:
        changed = False
        for rule, expr in grammar.rules.items():
            length = _length(expr, lengths)
            if length < lengths[rule]:
                lengths[rule] = length
                changed = True
    return lengths


def _length(expr: Expr, lengths: dict[str, int]) -> int:
    if isinstance(expr, Literal):
        return len(expr.text)
    if isinstance(expr, CharClass | AnyChar):
        return 1
    if isinstance(expr, RuleRef):
        return lengths[expr.name]
    if isinstance(expr, Sequence):
        return min(_INFINITE, sum(_length(item, lengths) for item in expr.items))
    if isinstance(expr, Choice):
        return min(_length(option, lengths) for option in expr.options)
    return 0 if expr.min == 0 else min(_INFINITE, expr.min * _length(expr.item, lengths))


class Sampler:
    """Build once per grammar (the shortest-derivation table is the costly part), then `sample(seed)`."""

    def __init__(self, grammar: Grammar, depth: int = 12) -> None:
        self.grammar = grammar
        self.random = random.Random(0)
        self.depth = depth
        self.lengths = shortest(grammar)
        self.option_lengths: dict[int, int] = {}

    def sample(self, seed: int, rule: str = "root") -> str:
        self.random.seed(seed)
        out: list[str] = []
        self._emit(RuleRef(rule), 0, out)
        return "".join(out)

    def _emit(self, expr: Expr, depth: int, out: list[str]) -> None:
        if isinstance(expr, Literal):
            out.append(expr.text)
        elif isinstance(expr, CharClass):
            out.append(self._char(expr))
        elif isinstance(expr, AnyChar):
            out.append("x")
        elif isinstance(expr, RuleRef):
            self._emit(self.grammar.rules[expr.name], depth + 1, out)
        elif isinstance(expr, Sequence):
            for item in expr.items:
                self._emit(item, depth, out)
        elif isinstance(expr, Choice):
            options = list(expr.options)
            if depth > self.depth:
                best = min(self._option_length(option) for option in options)
                options = [option for option in options if self._option_length(option) == best]
            self._emit(self.random.choice(options), depth, out)
        else:
            high = expr.min + (0 if depth > self.depth else 2)
            if expr.max is not None:
                high = min(high, expr.max)
            for _ in range(self.random.randint(expr.min, max(expr.min, high))):
                self._emit(expr.item, depth, out)

    def _option_length(self, option: Expr) -> int:
        key = id(option)
        if key not in self.option_lengths:
            self.option_lengths[key] = _length(option, self.lengths)
        return self.option_lengths[key]

    def _char(self, expr: CharClass) -> str:
        if expr.negated:
            pool = [
                chr(code)
                for code in range(32, 127)
                if not any(low <= chr(code) <= high for low, high in expr.ranges)
            ]
            return self.random.choice(pool)
        low, high = self.random.choice(expr.ranges)
        top = min(ord(high), ord(low) + 200)
        return chr(self.random.randint(ord(low), top))
