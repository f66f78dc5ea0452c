"""Real findings for H2's strategy tests: a package in a tmp dir, the real validators, the repair context."""

from __future__ import annotations

from pathlib import Path

from maze.analysis import Problem
from maze.repair.context import RepairContext
from maze.repair.findings import findings_from_report
from maze.repair.project import Project
from maze.suggestions import Candidate
from maze.validators.settings import TypeChecker, ValidationSettings
from maze.validators.suite import validate_tree

MODULE = "pkg/mod.py"


def write_package(root: Path, text: str) -> Path:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "__init__.py").write_text('"""Package."""\n')
    (root / MODULE).write_text(text)
    return root


def findings(root: Path, *, type_checker: TypeChecker = "off") -> list[Problem]:
    """What the real validators (no tests) report on the package's module."""
    changed: dict[str, set[int] | None] = {MODULE: None}
    settings = ValidationSettings(tests=False, type_checker=type_checker)
    report = validate_tree(root, changed, runner=None, settings=settings)
    return findings_from_report(report, changed, {MODULE: (root / MODULE).read_text()})


def contexts(root: Path, text: str, *, type_checker: TypeChecker = "off") -> list[RepairContext]:
    """The repair context of every finding on the module written with `text`."""
    write_package(root, text)
    project = Project.load(root)
    return [RepairContext(problem, text, project) for problem in findings(root, type_checker=type_checker)]


def apply_all(text: str, candidates: list[Candidate]) -> str:
    """`text` with non-overlapping candidates applied, bottom first so line numbers hold."""
    for candidate in sorted(candidates, key=lambda item: item.start_line, reverse=True):
        text = candidate.apply(text)
    return text
