"""Findings and their cheapest fixes: a changed file, a problem on it, ruff's fix, the single-file check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from maze.diff import FilePatch
from maze.lint.ruff import Diagnostic
from maze.suggestions import Candidate, fingerprint, from_ruff_fix
from maze.syntax import enclosing_symbol
from maze.validation import Baseline, Verdict, validate

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class ChangedFile:
    path: str
    text: str
    patch: FilePatch


@dataclass(frozen=True)
class Problem:
    """A finding on a changed line, and which tool found it and why that matters (`why`).

    `diagnostic` keeps ruff's own report (and its fix) when there is one. Columns are 1-based, the end
    exclusive, as the validators report them; 1 and 1 when the tool gave no columns.
    """

    tool: str
    rule: str
    message: str
    path: str
    line: int
    end_line: int
    diagnostic: Diagnostic | None = None
    column: int = 1
    end_column: int = 1
    why: str = ""

    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"column": self.column, "end_column": self.end_column, "why": self.why}
        if self.diagnostic:
            detail["diagnostic"] = self.diagnostic.to_json()
        return detail

    @staticmethod
    def diagnostic_from(detail: Mapping[str, Any]) -> Diagnostic | None:
        raw = detail.get("diagnostic")
        return Diagnostic.from_json(raw) if isinstance(raw, Mapping) else None


def is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)


@dataclass(frozen=True)
class Proposal:
    candidate: Candidate
    fingerprint: str
    original: str


def as_proposal(problem: Problem, candidate: Candidate, text: str) -> Proposal:
    """`candidate` for `problem` with the lines it replaces and its prose-free fingerprint."""
    symbol = enclosing_symbol(text, candidate.start_line)
    lines = text.splitlines(keepends=True)
    original = "".join(lines[candidate.start_line - 1 : candidate.end_line])
    identity = fingerprint(problem.path, symbol, problem.rule, original, candidate.replacement)
    return Proposal(candidate, identity, original)


def propose(problem: Problem, text: str) -> Proposal | None:
    """The cheapest candidate for `problem`: the tool's own safe fix, as whole lines."""
    if problem.diagnostic is None:
        return None
    candidate = from_ruff_fix(problem.path, text, problem.diagnostic)
    return None if candidate is None else as_proposal(problem, candidate, text)


def quick_check(candidate: Candidate, problem: Problem, baseline: Baseline) -> Verdict:
    """The single-file differential check (both parsers, ruff) of `candidate`; a ruff finding must go.

    Cheap and in-process, so it runs before the tree's validators, which have the last word.
    """
    target = problem.diagnostic if problem.tool == "ruff" else None
    return validate(candidate, target, baseline)
