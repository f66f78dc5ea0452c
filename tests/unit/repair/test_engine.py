"""The engine on a real tree: findings from the real validators, sources cheapest first, proof, choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from maze.repair.engine import EngineOptions, Focus, RepairReport, repair_tree, tier_of
from maze.repair.findings import findings_from_report, why
from maze.repair.select import change_size, choose
from maze.suggestions import Candidate
from maze.validators.model import Diagnostic, Report, ToolRun
from maze.validators.settings import ValidationSettings

SHAPES = '''"""Shapes."""


class Box:
    def __init__(self, size: int) -> None:
        self.size = size

    def area(self) -> int:
        return self.size * self.size
'''

USE = '''"""Uses shapes."""
import os

from pkg.shapes import Box


def total(boxes: list[Box]) -> int:
    count = 0
    for box in boxes:
        count += box.area()
    return cuont
'''

SETTINGS = ValidationSettings(tests=False)


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text('"""Package."""\n')
    (root / "pkg" / "shapes.py").write_text(SHAPES)
    (root / "pkg" / "use.py").write_text(USE)
    return root


def _run(root: Path, **options: object) -> RepairReport:
    return repair_tree(
        root,
        {"pkg/use.py": None},
        runner=None,
        settings=SETTINGS,
        options=EngineOptions(**options),  # type: ignore[arg-type]
        scratch=root.parent / "scratch",
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    return _tree(root)


def test_autofix_and_symbolic_fixes_are_proven_and_the_duplicate_finding_shares_one(tree: Path) -> None:
    report = _run(tree)
    by_rule = {(o.problem.tool, o.problem.rule): o for o in report.outcomes}
    unused = by_rule[("ruff", "F401")]
    assert unused.chosen is not None and unused.chosen.tier == "autofix"
    assert "import os" not in unused.chosen.candidate.apply(USE)
    typo = by_rule[("mypy", "name-defined")]
    assert typo.chosen is not None and typo.chosen.tier == "symbolic"
    assert typo.chosen.candidate.replacement == "    return count\n"
    assert {"ruff", "mypy"} <= set(typo.chosen.verdict.checks)
    echo = by_rule[("ruff", "F821")]
    assert echo.chosen is not None and echo.chosen.candidate == typo.chosen.candidate
    assert all(o.problem.why for o in report.outcomes)


def test_autofix_alone_leaves_what_it_cannot_fix(tree: Path) -> None:
    report = _run(tree, tiers=("autofix",))
    fixed = {(o.problem.tool, o.problem.rule) for o in report.proven()}
    assert fixed == {("ruff", "F401")}
    typo = next(o for o in report.outcomes if o.problem.rule == "name-defined")
    assert typo.chosen is None and typo.note == "no candidate fix was found"


def test_focus_keeps_only_the_findings_on_those_lines(tree: Path) -> None:
    report = _run(tree, focus=Focus("pkg/use.py", 11, 11))
    assert {o.problem.line for o in report.outcomes} == {11}


def test_a_fix_that_breaks_the_type_checker_is_never_chosen(tree: Path) -> None:
    (tree / "pkg" / "use.py").write_text(USE.replace("return cuont", "return boxes.cuont"))
    report = _run(tree)
    attribute = next(o for o in report.outcomes if o.problem.rule == "attr-defined")
    assert attribute.chosen is None
    assert all(not a.verdict.valid for a in attribute.attempts)


def test_smallest_change_wins() -> None:
    text = "x = 1\nprint(vaule)\n"
    small = Candidate("m.py", 2, 2, "print(value)\n", "symbolic:name", "F821", "rename")
    large = Candidate("m.py", 2, 2, "print(str(x))\n", "model", "F821", "rewrite")

    class Proven:
        def __init__(self, candidate: Candidate, tier: str) -> None:
            self.candidate, self.tier = candidate, tier

    assert change_size(small, text) < change_size(large, text)
    picked = choose([Proven(large, "model"), Proven(small, "symbolic")], text)
    assert picked is not None and picked.candidate is small
    assert choose([], text) is None


def test_findings_drop_echoes_of_a_syntax_error_and_say_why() -> None:
    def diagnostic(tool: str, code: str, line: int) -> Diagnostic:
        return Diagnostic(tool, "a.py", line, 1, line, 2, code, f"{tool} says")

    report = Report(
        (
            ToolRun("syntax", diagnostics=(diagnostic("syntax", "python", 3),)),
            ToolRun(
                "ruff", diagnostics=(diagnostic("ruff", "invalid-syntax", 3), diagnostic("ruff", "F401", 9))
            ),
            ToolRun("security", diagnostics=(diagnostic("security", "invalid-syntax", 3),)),
            ToolRun("mypy", diagnostics=(diagnostic("mypy", "syntax", 3),)),
        )
    )
    problems = findings_from_report(report, {"a.py": {3}})
    assert [(p.tool, p.rule) for p in problems] == [("syntax", "python")]
    assert problems[0].why == why("syntax", "python")


def test_tiers_of_sources() -> None:
    assert tier_of("ruff-fix") == "autofix"
    assert tier_of("symbolic:import") == "symbolic"
    assert tier_of("model") == "model"
