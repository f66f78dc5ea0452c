"""Type inhabitation on typed code: mypy's findings repaired with in-scope expressions of the right type."""

from __future__ import annotations

from pathlib import Path

import pytest

from maze.analysis import Problem
from maze.repair.context import RepairContext
from maze.repair.messages import TypeMismatch
from maze.repair.project import Project
from maze.repair.symbolic.inhabit import expressions_of_type, fits, normalise, repairs
from tests.unit.repair.support_inhabit import MODULE, apply_all, contexts, findings, write_package

SHAPES = '''"""Shapes."""

from typing import Optional

DEFAULT_SIZE = 3


class Box:
    def __init__(self, size: int) -> None:
        self.size = size
        self.label: Optional[str] = None

    def area(self) -> int:
        return self.size * self.size


def make_box() -> Box:
    return Box(DEFAULT_SIZE)


def repeat(text: str, count: int) -> str:
    return text * count


class Shelf:
    def __init__(self, size: int) -> None:
        self.size = size

    def describe(self, name: str) -> str:
        return repeat(name, name)


def stars(count: int, name: str) -> str:
    return repeat(name, name)


def newest(name: str) -> Box:
    return name


def sized(count: int, name: str) -> int:
    total: int = name
    return total


def label(count: int) -> str:
    return count
'''

# The line of each fault, and the expression expected to replace the offending one.
EXPECTED = {
    30: "self.size",
    34: "count",
    38: "make_box()",
    42: "count",
    47: "str(count)",
}


@pytest.fixture(scope="module")
def mismatches(tmp_path_factory: pytest.TempPathFactory) -> dict[int, RepairContext]:
    root = tmp_path_factory.mktemp("inhabit")
    found = contexts(root, SHAPES, type_checker="mypy")
    return {c.problem.line: c for c in found if isinstance(c.fact, TypeMismatch)}


def test_mypy_reports_each_fault_as_a_type_mismatch(mismatches: dict[int, RepairContext]) -> None:
    assert sorted(mismatches) == sorted(EXPECTED)
    assert {c.problem.rule for c in mismatches.values()} == {"arg-type", "return-value", "assignment"}


@pytest.mark.parametrize("line", sorted(EXPECTED))
def test_the_top_candidate_is_the_expression_of_the_expected_type(
    mismatches: dict[int, RepairContext], line: int
) -> None:
    context = mismatches[line]
    candidates = repairs(context)
    assert candidates
    top = candidates[0]
    assert top.source == "symbolic:inhabit"
    assert (top.start_line, top.end_line) == (line, line)
    assert f"`{EXPECTED[line]}`" in top.description
    assert EXPECTED[line] in top.replacement
    problem = context.problem
    replaced = context.text[context.offset(line, problem.column) : context.offset(line, problem.end_column)]
    assert all(f"`{replaced}`," not in candidate.description for candidate in candidates)


def test_the_descriptions_say_what_is_passed_returned_or_assigned(
    mismatches: dict[int, RepairContext],
) -> None:
    assert repairs(mismatches[30])[0].description == "Pass `self.size`, the `int` in scope"
    assert repairs(mismatches[38])[0].description == "Return `make_box()`, the `Box` in scope"
    assert repairs(mismatches[42])[0].description == "Assign `count`, the `int` in scope"
    assert repairs(mismatches[47])[0].description == "Convert the value with `str(count)`"


def test_applying_the_top_candidates_removes_the_findings_and_adds_none(
    mismatches: dict[int, RepairContext], tmp_path: Path
) -> None:
    fixed = apply_all(SHAPES, [repairs(context)[0] for context in mismatches.values()])
    write_package(tmp_path, fixed)
    assert findings(tmp_path, type_checker="mypy") == []


def test_the_replaced_expression_and_the_assigned_name_are_never_offered(
    mismatches: dict[int, RepairContext],
) -> None:
    sized = mismatches[42]
    offered = expressions_of_type(sized, "int", line=42, limit=20)
    assert "total" not in offered
    assert offered[0] == "count"
    stars = mismatches[34]
    assert "name" not in expressions_of_type(stars, "str", line=34, avoid=["name"])


def test_names_members_and_calls_are_searched_to_the_depth_asked(
    mismatches: dict[int, RepairContext],
) -> None:
    context = mismatches[30]
    assert expressions_of_type(context, "int", line=30, depth=0) == ["DEFAULT_SIZE"]
    assert expressions_of_type(context, "int", line=30, depth=1)[:2] == ["self.size", "DEFAULT_SIZE"]
    boxes = expressions_of_type(context, "Box", line=38, limit=10)
    assert boxes[0] == "make_box()"
    assert "Box(DEFAULT_SIZE)" in boxes
    assert "newest(name)" not in expressions_of_type(mismatches[38], "Box", line=38, limit=10)
    assert expressions_of_type(context, "int", line=30, limit=1) == ["self.size"]


def test_type_texts_are_compared_normalised(mismatches: dict[int, RepairContext]) -> None:
    assert normalise("typing.Optional[typing.List[int]]") == {"list[int]", "None"}
    assert normalise("Union[str, None]") == normalise("None | str")
    assert fits("int", "float")
    assert not fits("float", "int")
    assert fits("str", "Optional[str]")
    assert not fits("Optional[str]", "str")
    assert fits("List[int]", "list[int]")
    context = mismatches[30]
    assert "self.label" not in expressions_of_type(context, "str", line=14, limit=10)
    assert expressions_of_type(context, "str | None", line=14)[0] == "self.label"
    assert expressions_of_type(context, "typing.Optional[str]", line=14)[0] == "self.label"
    assert expressions_of_type(context, "object", line=30) == []
    assert expressions_of_type(context, "Any", line=30) == []


def test_locals_and_parameters_come_before_module_names(tmp_path: Path) -> None:
    text = '"""Sizes."""\n\nLIMIT = 10\n\n\ndef scale(factor: int) -> int:\n    step = 2\n    return step\n'
    write_package(tmp_path, text)
    problem = Problem("mypy", "assignment", "Incompatible types", MODULE, 8, 8)
    context = RepairContext(problem, text, Project.load(tmp_path))
    assert expressions_of_type(context, "int", line=8) == ["step", "factor", "LIMIT"]


def test_other_findings_and_odd_input_get_nothing(tmp_path: Path) -> None:
    project = Project.load(tmp_path)
    lint = Problem("ruff", "F401", "`os` imported but unused", MODULE, 1, 1)
    assert repairs(RepairContext(lint, "import os\n", project)) == []
    message = 'Argument 1 to "f" has incompatible type "str"; expected "int"'
    outside = Problem("mypy", "arg-type", message, MODULE, 40, 40, column=3, end_column=9)
    assert repairs(RepairContext(outside, "f('x')\n", project)) == []
    broken = Problem("mypy", "arg-type", message, MODULE, 1, 1, column=3, end_column=6)
    assert isinstance(repairs(RepairContext(broken, "f('x'\n", project)), list)
    assert expressions_of_type(RepairContext(broken, "", project), "int", line=5) == []


CALLS = '''"""Calls."""


def take(count: int, name: str) -> str:
    return name * count


def use(size: int, text: str) -> str:
    first = take(
        text,
        text,
    )
    return take(size, name=size) + first
'''


def test_without_a_column_span_the_value_is_found_on_the_line(tmp_path: Path) -> None:
    write_package(tmp_path, CALLS)
    project = Project.load(tmp_path)
    keyword = 'Argument "name" to "take" has incompatible type "int"; expected "str"'
    positional = 'Argument 1 to "take" has incompatible type "str"; expected "int"'
    returned = 'Incompatible return value type (got "int", expected "str")'
    cases = [
        (Problem("mypy", "arg-type", keyword, MODULE, 13, 13), "    return take(size, name=text) + first\n"),
        (Problem("mypy", "arg-type", positional, MODULE, 10, 10), "        size,\n"),
        (Problem("mypy", "return-value", returned, MODULE, 13, 13), "    return text\n"),
    ]
    for problem, replacement in cases:
        assert repairs(RepairContext(problem, CALLS, project))[0].replacement == replacement
