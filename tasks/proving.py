"""Prove candidates on the patched tree: a cheap single-file check first, then every validator.

The head's baseline is validated once and shared by all candidates of the run; each surviving candidate
gets a private copy of the tree with its file patched, validated through the sandbox, and judged against
the baseline (`maze.validators.differential`).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from maze.analysis import Problem, prove
from maze.sandbox.api import Runner, SandboxUnavailable
from maze.sandbox.factory import make_runner
from maze.suggestions import Candidate
from maze.validation import Baseline, Verdict
from maze.validators import differential
from maze.validators.cache import DiagnosticCache
from maze.validators.model import Diagnostic, Report
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from tasks.trees import patched_copy

log = logging.getLogger(__name__)

CANDIDATES_IN_PARALLEL = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Attempt:
    """One candidate to prove: the suggestion row, the edit, the finding it fixes, the file's text."""

    row_id: int
    candidate: Candidate
    problem: Problem
    text: str


@dataclass(frozen=True)
class TreeProof:
    """Verdicts per suggestion row, the baseline's summary, and notes for the review."""

    verdicts: dict[int, Verdict]
    baseline: str
    notes: tuple[str, ...]


def runner_for(mode: str) -> tuple[Runner | None, str | None]:
    """The sandbox for `mode`, or None and the sentence the review shows when it is unavailable."""
    try:
        return make_runner("none" if mode == "none" else "bubblewrap"), None
    except SandboxUnavailable as error:
        return None, f"Repository code (tests) was not run: {error}"


def quick_verdicts(attempts: Sequence[Attempt]) -> dict[int, Verdict]:
    """The single-file differential check (both parsers and ruff), in-process: cheap, so it goes first."""
    baselines: dict[str, Baseline] = {}
    verdicts: dict[int, Verdict] = {}
    for attempt in attempts:
        path = attempt.candidate.path
        baseline = baselines.get(path) or baselines.setdefault(path, Baseline.of(path, attempt.text))
        verdicts[attempt.row_id] = prove(attempt.candidate, attempt.problem, baseline)
    return verdicts


def target_of(problem: Problem) -> Diagnostic | None:
    """The finding as the tree validators name it; only tool diagnostics can be proven gone."""
    if problem.diagnostic is None or problem.tool != "ruff":
        return None
    return Diagnostic(
        "ruff", problem.path, problem.line, 1, problem.end_line, 1, problem.rule, problem.message
    )


def prove_on_tree(
    tree: Path,
    attempts: Sequence[Attempt],
    changed: Mapping[str, set[int] | None],
    *,
    runner: Runner | None,
    settings: ValidationSettings,
    cache: DiagnosticCache | None,
    state_dir: Path,
    scratch: Path,
) -> TreeProof:
    """Validate the head once, then each candidate's patched copy against it."""
    baseline = validate_tree(
        tree, changed, runner=runner, settings=settings, cache=cache, state_dir=state_dir
    )
    scratch.mkdir(parents=True, exist_ok=True)

    def judge(attempt: Attempt) -> Verdict:
        target = target_of(attempt.problem)
        if target is None:
            return Verdict(False, (), "no tool diagnostic to check the fix against")
        copy = patched_copy(tree, attempt.candidate.path, attempt.candidate.apply(attempt.text), scratch)
        try:
            lines = _candidate_lines(attempt.candidate, changed.get(attempt.candidate.path))
            report = validate_tree(
                copy,
                {**changed, attempt.candidate.path: lines},
                runner=runner,
                settings=settings,
                cache=cache,
                state_dir=state_dir,
                baseline=baseline,
            )
        finally:
            shutil.rmtree(copy, ignore_errors=True)
        return _as_verdict(differential.verdict(baseline, report, target), report)

    # The tools run as separate processes, so threads keep every core busy.
    with ThreadPoolExecutor(max_workers=CANDIDATES_IN_PARALLEL) as pool:
        verdicts = dict(zip([a.row_id for a in attempts], pool.map(judge, attempts), strict=True))
    return TreeProof(verdicts, baseline.summary(), _skipped_notes(baseline))


def _skipped_notes(baseline: Report) -> tuple[str, ...]:
    """A review note for each check that could not run on the head (nothing to check is not news)."""
    return tuple(
        f"{run.tool} did not run on this head: {run.skipped_reason}"
        for run in baseline.runs
        if not run.ran and run.skipped_reason and not run.skipped_reason.startswith("no ")
    )


def _candidate_lines(candidate: Candidate, changed: set[int] | None) -> set[int] | None:
    if changed is None:
        return None
    added = candidate.replacement.count("\n") or 1
    touched = set(range(candidate.start_line, candidate.start_line + added))
    return set(changed) | touched


def _as_verdict(judged: differential.Verdict, report: Report) -> Verdict:
    checks = tuple(part for part in report.checks().split(", ") if part and part != "nothing")
    return Verdict(
        judged.valid,
        checks,
        judged.reason,
        tuple(d.to_text() for d in judged.new_diagnostics) + judged.broken_tests,
    )
