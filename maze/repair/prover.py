"""Prove candidates on a tree: a cheap single-file check first, then every validator, differentially.

The head is validated once (the baseline) and shared by all candidates; each candidate that passes the
single-file check gets a private copy of the tree with its file patched, validated the same way (the
sandbox runs what executes repository code), and is judged against the baseline
(`maze.validators.differential`): its finding must be gone, nothing new may appear, no test that passed
may fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from maze.analysis import Problem, quick_check
from maze.repair.findings import target_of
from maze.sandbox.api import Runner
from maze.suggestions import Candidate
from maze.validation import Baseline, Verdict
from maze.validators import differential
from maze.validators.cache import DiagnosticCache
from maze.validators.model import Report
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree

READY_MARK = ".maze-tree-complete"
CANDIDATES_IN_PARALLEL = max(1, min(4, os.cpu_count() or 1))


def patched_copy(tree: Path, path: str, text: str, parent: Path) -> Path:
    """A private copy of `tree` with `path` replaced by `text`."""
    copy = Path(tempfile.mkdtemp(prefix="candidate-", dir=parent))
    shutil.copytree(tree, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns(READY_MARK))
    target = copy / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return copy


def candidate_lines(candidate: Candidate, changed: set[int] | None) -> set[int] | None:
    """The changed lines of the candidate's file once it is applied: the PR's and the replacement's."""
    if changed is None:
        return None
    added = candidate.replacement.count("\n") or 1
    return set(changed) | set(range(candidate.start_line, candidate.start_line + added))


def as_verdict(judged: differential.Verdict, report: Report) -> Verdict:
    checks = tuple(part for part in report.checks().split(", ") if part and part != "nothing")
    return Verdict(
        judged.valid,
        checks,
        judged.reason,
        tuple(d.to_text() for d in judged.new_diagnostics) + judged.broken_tests,
    )


def skipped_notes(baseline: Report) -> tuple[str, ...]:
    """A review note for each check that could not run on the head (nothing to check is not news)."""
    return tuple(
        f"{run.tool} did not run on this head: {run.skipped_reason}"
        for run in baseline.runs
        if not run.ran and run.skipped_reason and not run.skipped_reason.startswith("no ")
    )


class TreeProver:
    """Proves candidates for findings on one tree (the head) where `changed` lines are the PR's."""

    def __init__(
        self,
        tree: Path,
        changed: Mapping[str, set[int] | None],
        *,
        runner: Runner | None,
        settings: ValidationSettings,
        cache: DiagnosticCache | None = None,
        state_dir: Path | None = None,
        scratch: Path | None = None,
        baseline: Report | None = None,
    ) -> None:
        self.tree = tree
        self.changed = dict(changed)
        self.runner = runner
        self.settings = settings
        self.cache = cache
        self.state_dir = state_dir
        self.scratch = scratch or Path(tempfile.gettempdir()) / "maze-candidates"
        self._baseline = baseline
        self._files: dict[str, Baseline] = {}
        self._lock = threading.Lock()

    @property
    def baseline(self) -> Report:
        """The head's report, computed on first use."""
        with self._lock:
            if self._baseline is None:
                self._baseline = self._validate(self.tree, self.changed, None)
            return self._baseline

    def _validate(
        self, tree: Path, changed: Mapping[str, set[int] | None], baseline: Report | None
    ) -> Report:
        return validate_tree(
            tree,
            changed,
            runner=self.runner,
            settings=self.settings,
            cache=self.cache,
            state_dir=self.state_dir,
            baseline=baseline,
        )

    def _file_baseline(self, path: str, text: str) -> Baseline:
        with self._lock:
            found = self._files.get(path)
            if found is None or found.text != text:
                found = self._files[path] = Baseline.of(path, text)
            return found

    def quick(self, candidate: Candidate, problem: Problem, text: str) -> Verdict:
        """The single-file check alone."""
        return quick_check(candidate, problem, self._file_baseline(candidate.path, text))

    def prove(self, candidate: Candidate, problem: Problem, text: str) -> Verdict:
        """Whether `candidate` (an edit of `text`, the head's file) fixes `problem` and breaks nothing."""
        quick = self.quick(candidate, problem, text)
        if not quick.valid:
            return quick
        baseline = self.baseline
        self.scratch.mkdir(parents=True, exist_ok=True)
        copy = patched_copy(self.tree, candidate.path, candidate.apply(text), self.scratch)
        try:
            lines = candidate_lines(candidate, self.changed.get(candidate.path))
            report = self._validate(copy, {**self.changed, candidate.path: lines}, baseline)
        finally:
            shutil.rmtree(copy, ignore_errors=True)
        return as_verdict(differential.verdict(baseline, report, target_of(problem)), report)
