"""Find problems on a file's changed lines, build candidate fixes and prove them: the engine's one entry."""

from __future__ import annotations

from dataclasses import dataclass

from maze.diff import FilePatch
from maze.lint.ruff import Diagnostic, check_source
from maze.review import ProvenSuggestion
from maze.suggestions import Candidate, fingerprint, from_ruff_fix
from maze.syntax import enclosing_symbol, python_parser_error, tree_sitter_errors
from maze.validation import Baseline, Verdict, validate

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class ChangedFile:
    path: str
    text: str
    patch: FilePatch


@dataclass(frozen=True)
class FindingResult:
    """One finding on a changed line and, when a candidate existed, what proving it showed."""

    tool: str
    rule: str
    message: str
    path: str
    line: int
    end_line: int
    candidate: Candidate | None = None
    verdict: Verdict | None = None
    fingerprint: str | None = None

    @property
    def proven(self) -> bool:
        return self.candidate is not None and self.verdict is not None and self.verdict.valid

    def proven_suggestion(self) -> ProvenSuggestion | None:
        """What the review posts for this finding; None unless its candidate was proven."""
        if (
            self.candidate is None
            or self.verdict is None
            or not self.verdict.valid
            or self.fingerprint is None
        ):
            return None
        return ProvenSuggestion(
            path=self.candidate.path,
            start_line=self.candidate.start_line,
            end_line=self.candidate.end_line,
            replacement=self.candidate.replacement,
            rule=self.rule,
            tool=self.tool,
            message=self.message,
            description=self.candidate.description,
            checks=self.verdict.checks,
            fingerprint=self.fingerprint,
        )


def is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)


def _on_changed_lines(first: int, last: int, added: frozenset[int]) -> bool:
    return any(line in added for line in range(first, last + 1))


def _syntax_findings(changed: ChangedFile) -> list[FindingResult]:
    added = changed.patch.added_lines
    found = [
        FindingResult("tree-sitter", "syntax", problem.message, changed.path, problem.line, problem.line)
        for problem in tree_sitter_errors(changed.text)
        if problem.line in added
    ]
    parser_error = python_parser_error(changed.text, changed.path)
    if parser_error is not None and parser_error.line in added and not found:
        found.append(
            FindingResult(
                "python", "syntax", parser_error.message, changed.path, parser_error.line, parser_error.line
            )
        )
    return found


def _prove(changed: ChangedFile, diagnostic: Diagnostic, baseline: Baseline) -> FindingResult:
    result = FindingResult(
        "ruff", diagnostic.code, diagnostic.message, changed.path, diagnostic.row, diagnostic.end_row
    )
    candidate = from_ruff_fix(changed.path, changed.text, diagnostic)
    if candidate is None:
        return result
    symbol = enclosing_symbol(changed.text, candidate.start_line)
    return FindingResult(
        result.tool,
        result.rule,
        result.message,
        result.path,
        result.line,
        result.end_line,
        candidate=candidate,
        verdict=validate(candidate, diagnostic, baseline),
        fingerprint=fingerprint(changed.path, symbol, diagnostic.code, candidate.replacement),
    )


def analyse_file(
    changed: ChangedFile, *, run_ruff: bool = True, run_syntax: bool = True
) -> list[FindingResult]:
    """Findings on the added lines of one Python file, each with its proven (or refuted) candidate."""
    results: list[FindingResult] = _syntax_findings(changed) if run_syntax else []
    if not run_ruff:
        return results
    diagnostics = check_source(changed.path, changed.text)
    baseline = Baseline.of(changed.path, changed.text, diagnostics)
    added = changed.patch.added_lines
    for diagnostic in diagnostics:
        if diagnostic.code == "syntax-error" or not _on_changed_lines(
            diagnostic.row, diagnostic.end_row, added
        ):
            continue
        results.append(_prove(changed, diagnostic, baseline))
    return results
