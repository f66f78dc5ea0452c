"""Syntax repair by search, on findings of the real syntax validator: the smallest edit restores the code."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from maze.analysis import Problem
from maze.repair.context import RepairContext
from maze.repair.project import Project
from maze.repair.symbolic.syntax_search import MAX_ATTEMPTS, Budget, Place, repairs, search
from maze.syntax import tree_sitter_errors
from tests.unit.repair.support_inhabit import MODULE, contexts

AREA = '''"""Areas."""


def area(width: int, height: int) -> int:
    return width * height
'''

TOTAL = '''"""Totals."""


def total(values: list[int]) -> int:
    result = sum(max(value, 0) for value in values)
    return result
'''

SHOW = '''"""Shows a value."""


def show(value: int) -> None:
    print(format(value, "d"))
'''

NAMES = '''"""Names."""

NAMES = [
    "alpha",
    "beta",
]


def first() -> str:
    return NAMES[0]
'''

ROUNDED = '''"""Rounding."""


def rounded(value: float) -> float:
    return round(value, 2)
'''

SIGNS = '''"""Signs."""


def signs(values: list[int]) -> list[str]:
    found = []
    for value in values:
        if value < 0:
            found.append("-")
        else:
            found.append("+")
    return found
'''

GREETING = '''"""Greeting."""


def greet(name: str) -> str:
    message = "hello"
    return f"{message} {name}"
'''

POSITIVE = '''"""Positive."""


def positive(value: int) -> bool:
    if value > 0:
        return True
    return False
'''

# (name, original, the broken text's change: (old, new) replaced once)
CASES = [
    ("missing colon", AREA, ("-> int:\n", "-> int\n")),
    ("missing closing parenthesis", TOTAL, ("in values)\n", "in values\n")),
    ("extra closing parenthesis", SHOW, ('"d"))\n', '"d")))\n')),
    ("missing bracket across lines", NAMES, ('    "beta",\n]\n', '    "beta",\n')),
    ("missing comma in a call", ROUNDED, ("round(value, 2)", "round(value 2)")),
    ("missing colon after else", SIGNS, ("else:\n", "else\n")),
    ("missing closing quote", GREETING, ('"hello"\n', '"hello\n')),
    ("missing indentation", POSITIVE, ("        return True\n", "    return True\n")),
]


def _broken(original: str, change: tuple[str, str]) -> str:
    old, new = change
    assert original.count(old) == 1
    return original.replace(old, new)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return not tree_sitter_errors(text)


@pytest.mark.parametrize(("name", "original", "change"), CASES, ids=[case[0] for case in CASES])
def test_the_top_candidate_restores_the_original(
    tmp_path: Path, name: str, original: str, change: tuple[str, str]
) -> None:
    broken = _broken(original, change)
    found = [context for context in contexts(tmp_path, broken) if context.problem.tool == "syntax"]
    assert found, f"the syntax validator reports nothing for the {name}"
    for context in found:
        candidates = repairs(context)
        assert candidates, f"no repair for {context.problem.message} ({name})"
        top = candidates[0]
        assert top.source == "symbolic:syntax"
        assert top.path == MODULE
        assert "`" in top.description
        fixed = top.apply(broken)
        assert fixed == original, f"{top.description}: {top.replacement!r}"
        assert _parses(fixed)
        for candidate in candidates:
            assert _parses(candidate.apply(broken))


def test_missing_colon_says_what_it_adds(tmp_path: Path) -> None:
    broken = _broken(AREA, CASES[0][2])
    context = next(c for c in contexts(tmp_path, broken) if c.problem.rule == "python")
    top = repairs(context)[0]
    assert top.description == "Add the missing `:`"
    assert (top.start_line, top.end_line) == (4, 4)
    assert top.replacement == "def area(width: int, height: int) -> int:\n"


HOPELESS = '''"""Five unrelated errors."""


def one(x)
    return x


def two(y):
    return [y, (y + 1]


class Three(:
    pass


def four(z):
    if z
        return z))


def five():
    return {1: 2: 3}
'''


def test_a_hopeless_file_gets_nothing_within_the_attempt_cap(tmp_path: Path) -> None:
    found = [context for context in contexts(tmp_path, HOPELESS) if context.problem.tool == "syntax"]
    assert found
    for context in found:
        candidates = repairs(context)
        for candidate in candidates:
            assert _parses(candidate.apply(HOPELESS))
    place = Place(MODULE, 4, 4, 0)
    budget = Budget(MAX_ATTEMPTS, math.inf)
    assert search(HOPELESS, place, budget) == []
    assert 0 <= budget.attempts < MAX_ATTEMPTS


def test_the_search_stops_when_its_budget_is_spent() -> None:
    broken = _broken(TOTAL, CASES[1][2])
    budget = Budget(3, math.inf)
    search(broken, Place(MODULE, 5, 5, 0), budget)
    assert budget.attempts == 0
    spent = Budget(0, math.inf)
    assert search(broken, Place(MODULE, 5, 5, 0), spent) == []


def test_other_findings_and_odd_input_get_nothing(tmp_path: Path) -> None:
    project = Project.load(tmp_path)
    lint = Problem("ruff", "F401", "`os` imported but unused", MODULE, 1, 1)
    assert repairs(RepairContext(lint, "import os\n", project)) == []
    parsing = Problem("syntax", "python", "python: expected ':'", MODULE, 1, 1)
    assert repairs(RepairContext(parsing, "x = 1\n", project)) == []
    outside = Problem("syntax", "python", "python: expected ':'", MODULE, 99, 120, column=7)
    assert repairs(RepairContext(outside, "def f()\n    pass\n", project))[0].replacement == "def f():\n"
    empty = Problem("syntax", "python", "python: invalid syntax", MODULE, 1, 1)
    assert repairs(RepairContext(empty, "", project)) == []
    nul = Problem("syntax", "python", "python: source code cannot contain null bytes", MODULE, 1, 1)
    assert isinstance(repairs(RepairContext(nul, "x = (1\x00\n", project)), list)
    javascript = Problem("syntax", "unexpected", "javascript: unexpected syntax", "web/app.js", 1, 1)
    assert repairs(RepairContext(javascript, "let x = (1;\n", project)) == []
