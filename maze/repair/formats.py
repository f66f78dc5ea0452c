"""`maze review` output: a repair report as a unified diff, text, JSON or SARIF 2.1.0.

    render(report, "diff" | "text" | "json" | "sarif", root, max_fixes=10) -> Rendered(output, warnings)

`root` is the working tree the report is about; its files are read to build the diff and the SARIF
replacement offsets. At most `max_fixes` distinct proven fixes are shown (in the engine's order); a
finding whose fix is over that limit is shown without one, with a note. The diff applies every shown fix
at once (`git apply` from the root): fixes of one file are merged, a fix overlapping one already taken is
left out and named in `warnings` (each fix was proven alone, not together with the others).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from maze.analysis import Problem
from maze.repair.engine import Attempted, Outcome, RepairReport
from maze.repair.findings import target_of
from maze.suggestions import Candidate
from maze.validators.model import Severity
from maze.validators.sarif import SARIF_VERSION, SCHEMA_URI, SOURCE_ROOT, region

FORMATS: Final = ("diff", "text", "json", "sarif")
JSON_VERSION: Final = 1
INFORMATION_URI: Final = "https://github.com/maze-bot/maze"


@dataclass(frozen=True)
class Rendered:
    """The output to print, and what to tell the user beside it (on stderr)."""

    output: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shown:
    """The report with the fixes chosen for display: outcome index -> its proven fix."""

    report: RepairReport
    fixes: Mapping[int, Attempted]
    limit: int | None

    def fix_of(self, index: int) -> Attempted | None:
        return self.fixes.get(index)

    def note_of(self, index: int, outcome: Outcome) -> str:
        if outcome.chosen is not None and index not in self.fixes:
            return f"a proven fix exists but is not shown: more than {self.limit} fixes (--max-suggestions)"
        return outcome.note


def _same_edit(first: Candidate, second: Candidate) -> bool:
    return (first.path, first.start_line, first.end_line, first.replacement) == (
        second.path,
        second.start_line,
        second.end_line,
        second.replacement,
    )


def choose_shown(report: RepairReport, max_fixes: int | None) -> Shown:
    """The first `max_fixes` distinct proven fixes (one fix shared by two findings counts once)."""
    fixes: dict[int, Attempted] = {}
    distinct: list[Candidate] = []
    for index, outcome in enumerate(report.outcomes):
        if outcome.chosen is None:
            continue
        candidate = outcome.chosen.candidate
        known = any(_same_edit(candidate, other) for other in distinct)
        if not known and max_fixes is not None and len(distinct) >= max_fixes:
            continue
        if not known:
            distinct.append(candidate)
        fixes[index] = outcome.chosen
    return Shown(report, fixes, max_fixes)


# ---------------------------------------------------------------- files and edits


class _Files:
    """The root's files as they are on disk (newlines kept), read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._texts: dict[str, str | None] = {}

    def text(self, path: str) -> str | None:
        if path not in self._texts:
            try:
                self._texts[path] = (self.root / path).read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[path] = None
        return self._texts[path]


def _replacement_for(candidate: Candidate, lines: list[str]) -> str:
    """The replacement with the file's own line ending (the engine reads files with universal newlines)."""
    replaced = lines[candidate.start_line - 1 : candidate.end_line]
    if any(line.endswith("\r\n") for line in replaced):
        return re.sub(r"(?<!\r)\n", "\r\n", candidate.replacement)
    return candidate.replacement


def _fits(candidate: Candidate, lines: list[str]) -> bool:
    return 1 <= candidate.start_line <= candidate.end_line <= len(lines)


def apply_all(text: str, candidates: Iterable[Candidate]) -> str:
    """`text` with every candidate applied (they must not overlap), bottom-up so line numbers hold."""
    lines = text.splitlines(keepends=True)
    for candidate in sorted(candidates, key=lambda c: c.start_line, reverse=True):
        replacement = _replacement_for(candidate, lines)
        lines[candidate.start_line - 1 : candidate.end_line] = [replacement]
    return "".join(lines)


def _split_lines(text: str) -> list[str]:
    """Lines as git counts them: ended by `\\n` only."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def file_diff(path: str, before: str, after: str) -> str:
    """A `git apply`-able unified diff of one file (with "\\ No newline at end of file" where due)."""
    body = difflib.unified_diff(_split_lines(before), _split_lines(after), f"a/{path}", f"b/{path}")
    out = []
    for line in body:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _where(outcome: Outcome) -> str:
    problem = outcome.problem
    return f"{problem.path}:{problem.line} {problem.tool} {problem.rule}"


def _mergeable(shown: Shown, files: _Files) -> tuple[dict[str, list[Candidate]], list[str]]:
    """The shown fixes grouped by file, without overlaps, and a warning for each fix left out."""
    merged: dict[str, list[Candidate]] = {}
    warnings: list[str] = []
    for index, attempted in sorted(shown.fixes.items()):
        outcome = shown.report.outcomes[index]
        candidate = attempted.candidate
        text = files.text(candidate.path)
        if text is None or not _fits(candidate, text.splitlines(keepends=True)):
            warnings.append(
                f"skipped the fix for {_where(outcome)}: {candidate.path} changed or is unreadable"
            )
            continue
        kept = merged.setdefault(candidate.path, [])
        if any(_same_edit(candidate, other) for other in kept):
            continue
        clash = next(
            (o for o in kept if o.start_line <= candidate.end_line and candidate.start_line <= o.end_line),
            None,
        )
        if clash is not None:
            warnings.append(
                f"skipped the fix for {_where(outcome)} (lines {candidate.start_line}-{candidate.end_line}): "
                f"it overlaps the fix of lines {clash.start_line}-{clash.end_line}, which is in the diff"
            )
            continue
        kept.append(candidate)
    return merged, warnings


def render_diff(shown: Shown, files: _Files) -> Rendered:
    """Every shown fix as one unified diff against the root."""
    merged, warnings = _mergeable(shown, files)
    parts = []
    for path in sorted(merged):
        before = files.text(path)
        assert before is not None  # _mergeable kept only readable files
        parts.append(file_diff(path, before, apply_all(before, merged[path])))
    return Rendered("".join(parts), tuple(warnings))


# ---------------------------------------------------------------- text


def _location(problem: Problem) -> str:
    return f"{problem.path}:{problem.line}:{problem.column}"


def _fix_lines(attempted: Attempted, files: _Files) -> list[str]:
    candidate = attempted.candidate
    checks = ", ".join(attempted.verdict.checks) or "nothing"
    lines = [
        f"  fix ({attempted.tier}, {candidate.source}): {candidate.description}",
        f"    proven: {checks}; the finding is gone and nothing new appeared",
    ]
    text = files.text(candidate.path)
    old = text.splitlines(keepends=True)[candidate.start_line - 1 : candidate.end_line] if text else []
    lines.append(f"    @@ lines {candidate.start_line}-{candidate.end_line} @@")
    lines.extend(f"    -{line.rstrip(chr(13) + chr(10))}" for line in old)
    lines.extend(f"    +{line}" for line in candidate.replacement.splitlines())
    return lines


def _tried(outcome: Outcome) -> str:
    tiers = sorted({attempt.tier for attempt in outcome.attempts})
    if not outcome.attempts:
        return "no candidate was found to try"
    return f"tried {len(outcome.attempts)} candidate(s) ({', '.join(tiers)}), none proven"


def _finding_text(index: int, outcome: Outcome, shown: Shown, files: _Files) -> list[str]:
    problem = outcome.problem
    lines = [f"{_location(problem)}: {problem.tool} {problem.rule}: {problem.message}"]
    if problem.why:
        lines.append(f"  why: {problem.why}")
    fix = shown.fix_of(index)
    if fix is not None:
        lines.extend(_fix_lines(fix, files))
    else:
        note = shown.note_of(index, outcome)
        lines.append(f"  no proven fix: {_tried(outcome)}" + (f"; {note}" if note else ""))
    return lines


def render_text(shown: Shown, files: _Files) -> Rendered:
    """One block per finding: where, which tool and rule, why, and the proven fix or what was tried."""
    report = shown.report
    lines: list[str] = []
    for index, outcome in enumerate(report.outcomes):
        lines.extend(_finding_text(index, outcome, shown, files))
    lines.extend(f"note: {note}" for note in report.notes)
    lines.append(f"checked: {report.baseline.summary()}")
    lines.append(f"{len(report.outcomes)} finding(s), {len(shown.fixes)} with a proven fix shown")
    return Rendered("\n".join(lines) + "\n")


# ---------------------------------------------------------------- JSON


def _fix_json(attempted: Attempted) -> dict[str, Any]:
    candidate = attempted.candidate
    return {
        "start_line": candidate.start_line,
        "end_line": candidate.end_line,
        "replacement": candidate.replacement,
        "source": candidate.source,
        "tier": attempted.tier,
        "description": candidate.description,
        "checks": list(attempted.verdict.checks),
    }


def _finding_json(index: int, outcome: Outcome, shown: Shown) -> dict[str, Any]:
    problem = outcome.problem
    fix = shown.fix_of(index)
    return {
        "tool": problem.tool,
        "rule": problem.rule,
        "message": problem.message,
        "path": problem.path,
        "line": problem.line,
        "end_line": problem.end_line,
        "column": problem.column,
        "end_column": problem.end_column,
        "why": problem.why,
        "fix": None if fix is None else _fix_json(fix),
        "note": shown.note_of(index, outcome),
        "attempts": len(outcome.attempts),
    }


def report_json(shown: Shown) -> dict[str, Any]:
    """The report as plain data with stable keys."""
    report = shown.report
    return {
        "version": JSON_VERSION,
        "findings": [_finding_json(i, outcome, shown) for i, outcome in enumerate(report.outcomes)],
        "baseline": {"summary": report.baseline.summary(), "checks": report.baseline.checks()},
        "notes": list(report.notes),
        "summary": {"findings": len(report.outcomes), "fixes": len(shown.fixes)},
    }


# ---------------------------------------------------------------- SARIF


def _rule_id(problem: Problem) -> str:
    return f"{problem.tool}/{problem.rule}"


def _severities(report: RepairReport) -> dict[tuple[str, str, int, int, str, str], Severity]:
    return {
        (d.tool, d.path, d.start_line, d.start_column, d.code, d.message): d.severity
        for d in report.baseline.diagnostics
    }


def _deleted_region(candidate: Candidate, text: str) -> dict[str, int]:
    """The replaced lines as a character range (offsets in code points, newlines included)."""
    lines = text.splitlines(keepends=True)
    offset = sum(len(line) for line in lines[: candidate.start_line - 1])
    length = sum(len(line) for line in lines[candidate.start_line - 1 : candidate.end_line])
    return {"charOffset": offset, "charLength": length}


def _sarif_fix(attempted: Attempted, files: _Files) -> dict[str, Any] | None:
    candidate = attempted.candidate
    text = files.text(candidate.path)
    if text is None or not _fits(candidate, text.splitlines(keepends=True)):
        return None
    checks = ", ".join(attempted.verdict.checks) or "nothing"
    replacement = _replacement_for(candidate, text.splitlines(keepends=True))
    return {
        "description": {"text": f"{candidate.description} (proven: {checks})"},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": quote(candidate.path), "uriBaseId": SOURCE_ROOT},
                "replacements": [
                    {
                        "deletedRegion": _deleted_region(candidate, text),
                        "insertedContent": {"text": replacement},
                    }
                ],
            }
        ],
    }


@dataclass(frozen=True)
class _SarifRun:
    """What every result of the run needs: the shown fixes, the files, the rule ids, the severities."""

    shown: Shown
    files: _Files
    rules: list[str]
    severities: dict[tuple[str, str, int, int, str, str], Severity]

    def severity(self, problem: Problem) -> Severity:
        key = (problem.tool, problem.path, problem.line, problem.column, problem.rule, problem.message)
        return self.severities.get(key, Severity.ERROR)


def _message(problem: Problem) -> str:
    why = f": {problem.why}" if problem.why else ""
    return f"{problem.message} ({problem.tool} {problem.rule}){why}"


def _sarif_result(index: int, outcome: Outcome, run: _SarifRun) -> dict[str, Any]:
    problem = outcome.problem
    shown = run.shown
    result: dict[str, Any] = {
        "ruleId": _rule_id(problem),
        "ruleIndex": run.rules.index(_rule_id(problem)),
        "level": run.severity(problem).value,
        "message": {"text": _message(problem)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(problem.path), "uriBaseId": SOURCE_ROOT},
                    "region": region(target_of(problem)),
                }
            }
        ],
        "properties": {"tool": problem.tool, "why": problem.why, "note": shown.note_of(index, outcome)},
    }
    fix = shown.fix_of(index)
    sarif_fix = None if fix is None else _sarif_fix(fix, run.files)
    if sarif_fix is not None:
        result["fixes"] = [sarif_fix]
    return result


def report_sarif(shown: Shown, files: _Files) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run of the "maze" driver; proven fixes as result `fixes`."""
    outcomes = shown.report.outcomes
    rules = sorted({_rule_id(outcome.problem) for outcome in outcomes})
    driver = {
        "name": "maze",
        "informationUri": INFORMATION_URI,
        "rules": [{"id": rule, "shortDescription": {"text": rule.replace("/", " ")}} for rule in rules],
    }
    context = _SarifRun(shown, files, rules, _severities(shown.report))
    results = [_sarif_result(i, outcome, context) for i, outcome in enumerate(outcomes)]
    run = {
        "tool": {"driver": driver},
        "automationDetails": {"id": "maze/review/"},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


# ---------------------------------------------------------------- entry point


def render(report: RepairReport, output_format: str, root: Path, *, max_fixes: int | None = None) -> Rendered:
    """The report in `output_format` (one of FORMATS), the fixes read against the files under `root`."""
    shown = choose_shown(report, max_fixes)
    files = _Files(root)
    if output_format == "diff":
        return render_diff(shown, files)
    if output_format == "text":
        return render_text(shown, files)
    if output_format == "json":
        return Rendered(json.dumps(report_json(shown), indent=2) + "\n")
    if output_format == "sarif":
        return Rendered(json.dumps(report_sarif(shown, files), indent=2) + "\n")
    raise ValueError(f"unknown output format {output_format!r}: expected one of {', '.join(FORMATS)}")
