"""The differential verdict: a candidate is valid only if it removes its target and breaks nothing.

Diagnostics are compared by what they say, not where (`Diagnostic.key`), counting repeats: the patched
tree may have no more of any finding than the baseline had. Tests are compared by id: every test that
passed on the baseline must pass on the patched tree; tests that failed before do not block.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from maze.validators.model import TEST_TOOL, Diagnostic, Report

_SHOWN = 3


@dataclass(frozen=True)
class Verdict:
    """Whether the candidate is proven, what ran (for the review comment) and, if not, why."""

    valid: bool
    checks: str
    reason: str = ""
    new_diagnostics: tuple[Diagnostic, ...] = ()
    fixed_target: bool = False
    broken_tests: tuple[str, ...] = ()


def new_diagnostics(baseline: Report, patched: Report) -> tuple[Diagnostic, ...]:
    """Diagnostics of `patched` beyond the baseline's count of the same finding (test outcomes excluded)."""
    before = Counter(d.key for d in baseline.diagnostics if d.tool != TEST_TOOL)
    seen: Counter[tuple[str, str, str, str]] = Counter()
    extra: list[Diagnostic] = []
    for diagnostic in sorted(d for d in patched.diagnostics if d.tool != TEST_TOOL):
        seen[diagnostic.key] += 1
        if seen[diagnostic.key] > before[diagnostic.key]:
            extra.append(diagnostic)
    return tuple(extra)


def broken_tests(baseline: Report, patched: Report) -> tuple[str, ...]:
    """Tests that passed on the baseline and did not pass on the patched tree."""
    return tuple(sorted(baseline.tests_passed - patched.tests_passed))


def _shown(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return "; ".join(items[:_SHOWN]) + more


def verdict(baseline: Report, patched: Report, target: Diagnostic | None) -> Verdict:
    """Judge the patched tree against the baseline for a candidate fixing `target` (None: no target)."""
    checks = patched.summary()
    for run in baseline.runs:
        after = patched.run_of(run.tool)
        if run.ran and (after is None or not after.ran):
            why = after.skipped_reason if after is not None else "it did not run"
            return Verdict(False, checks, f"{run.tool} could not check the patched tree: {why}")
    fixed = False
    if target is not None:
        before = sum(1 for d in baseline.diagnostics if d.key == target.key)
        remaining = sum(1 for d in patched.diagnostics if d.key == target.key)
        if before == 0:
            reason = f"the target is not reported on the unpatched tree: {target.to_text()}"
            return Verdict(False, checks, reason)
        fixed = remaining < before
        if not fixed:
            return Verdict(False, checks, f"{target.tool} still reports {target.code}: {target.message}")
    appeared = new_diagnostics(baseline, patched)
    broken = broken_tests(baseline, patched)
    if appeared:
        reason = "new diagnostics: " + _shown([d.to_text() for d in appeared])
        return Verdict(False, checks, reason, appeared, fixed, broken)
    if broken:
        reason = "tests that passed before fail now: " + _shown(list(broken))
        return Verdict(False, checks, reason, (), fixed, broken)
    return Verdict(True, checks, "", (), fixed)
