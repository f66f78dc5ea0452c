"""Symbolic repairs: fixes computed from the finding and the repository's index, no model involved.

Each strategy takes a `RepairContext` and returns candidates, most plausible first, or none when the
finding is not one it knows. `symbolic_candidates` asks every strategy and keeps each distinct edit once.
"""

from __future__ import annotations

from collections.abc import Callable

from maze.repair.context import RepairContext
from maze.repair.symbolic import attributes, calls, inhabit, names, syntax_search
from maze.suggestions import Candidate

Strategy = Callable[[RepairContext], list[Candidate]]

STRATEGIES: tuple[tuple[str, Strategy], ...] = (
    ("syntax", syntax_search.repairs),
    ("names", names.repairs),
    ("attributes", attributes.repairs),
    ("calls", calls.repairs),
    ("inhabit", inhabit.repairs),
)


def symbolic_candidates(context: RepairContext, *, limit: int = 8) -> list[Candidate]:
    """Every strategy's candidates for the finding, each distinct edit once, at most `limit`."""
    seen: set[tuple[int, int, str]] = set()
    found: list[Candidate] = []
    for _, strategy in STRATEGIES:
        for candidate in strategy(context):
            key = (candidate.start_line, candidate.end_line, candidate.replacement)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found[:limit]
