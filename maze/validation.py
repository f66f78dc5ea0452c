"""Prove a candidate on the patched file: it still parses, its finding is gone, nothing new appeared."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from maze.lint.ruff import Diagnostic, check_source
from maze.suggestions import Candidate
from maze.syntax import python_parser_error, tree_sitter_errors


@dataclass(frozen=True)
class Baseline:
    """What the unpatched file looks like to the validators; computed once per file, shared by candidates."""

    path: str
    text: str
    diagnostics: tuple[Diagnostic, ...]
    tree_sitter_error_count: int
    parses: bool

    @classmethod
    def of(cls, path: str, text: str, diagnostics: list[Diagnostic] | None = None) -> Baseline:
        found = check_source(path, text) if diagnostics is None else diagnostics
        return cls(
            path=path,
            text=text,
            diagnostics=tuple(found),
            tree_sitter_error_count=len(tree_sitter_errors(text)),
            parses=python_parser_error(text, path) is None,
        )


@dataclass(frozen=True)
class Verdict:
    valid: bool
    checks: tuple[str, ...]
    reason: str = ""
    new_findings: tuple[str, ...] = field(default=())


def validate(candidate: Candidate, target: Diagnostic | None, baseline: Baseline) -> Verdict:
    """Differential check of `candidate` against `baseline`; `target`, a ruff finding, must be gone.

    With no ruff target (a finding of another tool) this only checks that the file still parses and
    ruff finds nothing new: whether the finding itself is gone is for the tree's validators to say.
    """
    patched = candidate.apply(baseline.text)
    checks = ["tree-sitter parse", "Python parser"]
    if len(tree_sitter_errors(patched)) > baseline.tree_sitter_error_count:
        return Verdict(False, tuple(checks), "the patched file has new syntax errors (tree-sitter)")
    parser_error = python_parser_error(patched, candidate.path)
    if baseline.parses and parser_error is not None:
        return Verdict(
            False,
            tuple(checks),
            f"the patched file does not parse: line {parser_error.line}: {parser_error.message}",
        )
    after = Counter(d.key for d in check_source(candidate.path, patched))
    before = Counter(d.key for d in baseline.diagnostics)
    checks.append("ruff")
    if target is not None and 0 < before[target.key] <= after[target.key]:
        return Verdict(False, tuple(checks), f"ruff still reports {target.code} after the fix")
    appeared = tuple(
        f"{code}: {message}" for (code, message), n in after.items() if n > before[(code, message)]
    )
    if appeared:
        return Verdict(False, tuple(checks), "the fix introduces new ruff findings", appeared)
    return Verdict(True, tuple(checks))
