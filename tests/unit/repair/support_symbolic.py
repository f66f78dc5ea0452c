"""A tiny package on disk, its real findings (ruff and mypy), and proof that a candidate removes one.

workspace(root, source) -> Workspace
    Writes `LIBRARY` and `source` (as pkg/mod.py) under `root` and validates pkg/mod.py.
workspace.context(tool, rule, line_text) -> RepairContext
    The finding of that tool and rule on the line holding `line_text`.
workspace.assert_fixed(context, candidate)
    Applies the candidate, validates again: the finding is gone and nothing new appeared.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from maze.analysis import Problem
from maze.repair.context import RepairContext
from maze.repair.findings import findings_from_report
from maze.repair.project import Project
from maze.suggestions import Candidate
from maze.validators.model import Report
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree

PATH = "pkg/mod.py"
SETTINGS = ValidationSettings(tests=False)

LIBRARY = {
    "pkg/__init__.py": '"""The package."""\n',
    "pkg/shapes.py": '''"""Shapes to import."""

from __future__ import annotations


class Box:
    def __init__(self, size: int) -> None:
        self.size = size

    def grown(self, by: int) -> Box:
        return Box(self.size + by)


def scale(box: Box, factor: int, *, clamp: bool = False) -> Box:
    return box if clamp else Box(box.size * factor)


def frame(box: Box, *, margin: int) -> Box:
    return Box(box.size + 2 * margin)
''',
    "tests/test_shapes.py": '''"""A test that defines its own Box, which repairs must never import."""


class Box:
    pass


def test_box() -> None:
    assert Box()
''',
}


def _messages(report: Report) -> Counter[tuple[str, str, str]]:
    return Counter((item.tool, item.code, item.message) for item in report.diagnostics)


@dataclass(frozen=True)
class Workspace:
    root: Path
    text: str
    problems: list[Problem]
    project: Project
    baseline: Report

    def context(self, tool: str, rule: str, line_text: str, text: str | None = None) -> RepairContext:
        """The context of the `tool`/`rule` finding on the (first) line containing `line_text`."""
        lines = self.text.splitlines()
        line = next(number for number, item in enumerate(lines, 1) if line_text in item)
        problem = next(
            item for item in self.problems if (item.tool, item.rule, item.line) == (tool, rule, line)
        )
        return RepairContext(problem, self.text if text is None else text, self.project)

    def assert_fixed(self, context: RepairContext, candidate: Candidate) -> None:
        """Apply `candidate` on a copy of the tree: the finding disappears and no new diagnostic appears."""
        target = self.root / PATH
        try:
            target.write_text(candidate.apply(self.text))
            after = _validate(self.root)
        finally:
            target.write_text(self.text)
        problem = context.problem
        key = (problem.tool, problem.rule, problem.message)
        before = _messages(self.baseline)
        assert _messages(after)[key] < before[key]
        assert not _messages(after) - before, _messages(after) - before


def _validate(root: Path, settings: ValidationSettings = SETTINGS) -> Report:
    """Validate pkg/mod.py, keeping mypy's cache beside the tree so that later runs are incremental."""
    state = root.parent / f"{root.name}-state"
    return validate_tree(root, {PATH: None}, runner=None, settings=settings, state_dir=state)


def workspace(root: Path, source: str, settings: ValidationSettings = SETTINGS) -> Workspace:
    """`LIBRARY` plus `source` as pkg/mod.py under `root`, with the findings the validators report."""
    for path, text in {**LIBRARY, PATH: source}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    report = _validate(root, settings)
    problems = findings_from_report(report, {PATH: None}, {PATH: source})
    return Workspace(root, source, problems, Project.load(root), report)
