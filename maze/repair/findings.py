"""Findings: what the validators report on the head tree, kept where it touches a changed line.

    findings_from_report(report, changed, texts) -> list[Problem]

Every diagnostic of the head's report (syntax, ruff, ruff's S rules, mypy or pyright, tsc) whose lines
touch a changed line becomes a `Problem` that names its tool and says why it matters. A related test
that fails on the head is a finding wherever the test is, since the change is what it tests. One syntax
error is reported once: when the syntax check saw it, ruff's and the type checker's echoes of it are
dropped. A ruff finding carries ruff's own fix when ruff offers a safe one, so the cheapest repair (the
tool's autofix) needs no second lint run.
"""

from __future__ import annotations

from collections.abc import Mapping

from maze.analysis import Problem, is_python
from maze.lint.ruff import Diagnostic as RuffDiagnostic
from maze.lint.ruff import RuffError, check_source
from maze.validators.model import TEST_TOOL, Diagnostic, Report, Severity

SYNTAX_TOOL = "syntax"
_SYNTAX_ECHOES = {
    ("ruff", "syntax-error"),
    ("ruff", "invalid-syntax"),
    ("security", "invalid-syntax"),
    ("security", "syntax-error"),
    ("mypy", "syntax"),
    ("pyright", "syntax"),
}

_WHY_BY_TOOL = {
    "syntax": "the file does not parse, so nothing in it can run or be checked",
    "ruff": "the linter reports it with the repository's rules",
    "security": "a security check (bandit's rules, through ruff) reports it",
    "mypy": "the type checker reports it: this is likely to fail at run time",
    "pyright": "the type checker reports it: this is likely to fail at run time",
    "tsc": "the TypeScript compiler reports it",
    TEST_TOOL: "a test related to the change fails on this head",
}
_WHY_BY_RULE = {
    ("mypy", "name-defined"): "the name is not defined here: the line raises NameError when it runs",
    ("mypy", "attr-defined"): "the attribute does not exist on this type: the line raises AttributeError",
    ("mypy", "call-arg"): "the call does not match the callee's signature: it raises TypeError",
    ("mypy", "arg-type"): "an argument has the wrong type for the callee",
    ("mypy", "return-value"): "the function returns a value of the wrong type",
    ("mypy", "assignment"): "the assigned value has the wrong type for the variable",
    ("mypy", "import-not-found"): "the import cannot be resolved",
    ("ruff", "F821"): "the name is not defined here: the line raises NameError when it runs",
    ("ruff", "F401"): "the import is unused",
    ("ruff", "F841"): "the variable is assigned but never used",
    ("ruff", "E722"): "a bare `except:` also catches KeyboardInterrupt and SystemExit",
}


def why(tool: str, rule: str) -> str:
    """One sentence on why a finding of `tool` and `rule` matters."""
    return _WHY_BY_RULE.get((tool, rule)) or _WHY_BY_TOOL.get(tool, f"{tool} reports it")


def _touches(diagnostic: Diagnostic, changed: Mapping[str, set[int] | None]) -> bool:
    if diagnostic.tool == TEST_TOOL:
        return True
    if diagnostic.path not in changed:
        return False
    lines = changed[diagnostic.path]
    return lines is None or any(
        line in lines for line in range(diagnostic.start_line, diagnostic.end_line + 1)
    )


def _ruff_fix(diagnostic: Diagnostic, text: str | None) -> RuffDiagnostic | None:
    """ruff's own report of `diagnostic` with its fix, from a run of just that rule on the file."""
    if text is None or diagnostic.tool not in ("ruff", "security") or not is_python(diagnostic.path):
        return None
    try:
        found = check_source(diagnostic.path, text, select=(diagnostic.code,))
    except RuffError:
        return None
    return next(
        (
            item
            for item in found
            if item.code == diagnostic.code
            and item.row == diagnostic.start_line
            and item.column == diagnostic.start_column
        ),
        None,
    )


def as_problem(diagnostic: Diagnostic, text: str | None = None) -> Problem:
    """The finding for one validator diagnostic (with ruff's fix when `text` is given and ruff has one)."""
    return Problem(
        diagnostic.tool,
        diagnostic.code,
        diagnostic.message,
        diagnostic.path,
        diagnostic.start_line,
        max(diagnostic.end_line, diagnostic.start_line),
        _ruff_fix(diagnostic, text),
        column=diagnostic.start_column,
        end_column=diagnostic.end_column,
        why=why(diagnostic.tool, diagnostic.code),
    )


def target_of(problem: Problem) -> Diagnostic:
    """The validator diagnostic a finding came from, as the differential verdict compares it."""
    return Diagnostic(
        problem.tool,
        problem.path,
        problem.line,
        problem.column,
        problem.end_line,
        problem.end_column,
        problem.rule,
        problem.message,
    )


def findings_from_report(
    report: Report, changed: Mapping[str, set[int] | None], texts: Mapping[str, str] | None = None
) -> list[Problem]:
    """The report's errors and warnings on changed lines, each once, in file and line order."""
    texts = texts or {}
    kept = [d for d in report.diagnostics if d.severity is not Severity.NOTE and _touches(d, changed)]
    unparsable = {d.path for d in kept if d.tool == SYNTAX_TOOL}
    kept = [d for d in kept if not (d.path in unparsable and (d.tool, d.code) in _SYNTAX_ECHOES)]
    seen: set[tuple[str, str, int, int, str, str]] = set()
    problems: list[Problem] = []
    for diagnostic in sorted(kept, key=lambda d: d.location):
        identity = (
            diagnostic.path,
            diagnostic.tool,
            diagnostic.start_line,
            diagnostic.start_column,
            diagnostic.code,
            diagnostic.message,
        )
        if identity in seen:
            continue
        seen.add(identity)
        problems.append(as_problem(diagnostic, texts.get(diagnostic.path)))
    return problems
