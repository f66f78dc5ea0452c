"""Calls that do not fit the signature: surplus arguments, unknown keywords, missing arguments."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from maze.repair.context import RepairContext
from maze.repair.symbolic import calls
from maze.validators.settings import ValidationSettings
from tests.unit.repair.support_symbolic import Workspace, workspace

SOURCE = '''"""Calls of the shapes."""

from pkg.shapes import Box, frame, scale


def grow(box: Box, count: int) -> list[Box]:
    first = scale(box, 2, 3)
    second = scale(box, 2, clam=True)
    third = scale(box)
    fourth = box.grown(1, 2)
    fifth = frame(box)
    return [first, second, third, fourth, fifth]
'''


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return workspace(tmp_path_factory.mktemp("calls"), SOURCE)


def _replacements(space: Workspace, line_text: str) -> list[str]:
    return [item.replacement for item in calls.repairs(space.context("mypy", "call-arg", line_text))]


def test_too_many_arguments_drops_the_last_first(space: Workspace) -> None:
    context = space.context("mypy", "call-arg", "scale(box, 2, 3)")
    candidates = calls.repairs(context)
    assert [item.replacement for item in candidates] == [
        "    first = scale(box, 2)\n",
        "    first = scale(box, 3)\n",
        "    first = scale(2, 3)\n",
    ]
    assert candidates[0].description == "Drop the extra argument `3` from the call to `scale`"
    space.assert_fixed(context, candidates[0])


def test_an_unexpected_keyword_is_renamed_or_dropped(space: Workspace) -> None:
    context = space.context("mypy", "call-arg", "clam=True")
    candidates = calls.repairs(context)
    assert [item.replacement for item in candidates] == [
        "    second = scale(box, 2, clamp=True)\n",
        "    second = scale(box, 2)\n",
    ]
    assert candidates[0].description == "Rename the keyword `clam` to `clamp`, a parameter of `scale`"
    space.assert_fixed(context, candidates[0])


def test_a_missing_argument_comes_from_a_value_of_its_type_in_scope(space: Workspace) -> None:
    context = space.context("mypy", "call-arg", "third = scale(box)")
    candidates = calls.repairs(context)
    assert candidates[0].replacement == "    third = scale(box, count)\n"
    assert candidates[0].description == "Pass `count` as `factor` to `scale`"
    assert all("count" in item.replacement or "size" in item.replacement for item in candidates)
    space.assert_fixed(context, candidates[0])


def test_a_method_call_and_a_keyword_only_parameter(space: Workspace) -> None:
    assert _replacements(space, "box.grown(1, 2)")[0] == "    fourth = box.grown(1)\n"
    assert _replacements(space, "fifth = frame(box)")[0] == "    fifth = frame(box, margin=count)\n"


def test_pyright_names_no_callee_so_the_call_at_the_column_is_used(tmp_path: Path) -> None:
    settings = ValidationSettings(tests=False, type_checker="pyright")
    checked = workspace(tmp_path, SOURCE, settings)
    by_line = {
        problem.line: calls.repairs(RepairContext(problem, SOURCE, checked.project))
        for problem in checked.problems
        if problem.rule == "reportCallIssue"
    }
    assert [found[0].replacement for _, found in sorted(by_line.items())] == [
        "    first = scale(box, 2)\n",
        "    second = scale(box, 2, clamp=True)\n",
        "    third = scale(box, count)\n",
        "    fourth = box.grown(1)\n",
        "    fifth = frame(box, margin=count)\n",
    ]


def test_odd_input_gives_nothing(space: Workspace) -> None:
    context = space.context("mypy", "call-arg", "scale(box, 2, 3)")
    assert calls.repairs(replace(context, text="first = scale(box, 2, 3\n")) == []
    assert calls.repairs(replace(context, problem=replace(context.problem, line=999))) == []
    assert calls.repairs(replace(context, text=SOURCE.replace("scale(box, 2, 3)", "scale"))) == []


def test_signatures_keep_parameter_kinds() -> None:
    params = calls.parse_signature("def f(a, /, b: int = 1, *rest: str, c: bool, d=2, **more) -> None")
    assert params is not None
    assert [(item.name, item.kind, item.required, item.annotation) for item in params] == [
        ("a", "positional_only", True, None),
        ("b", "positional", False, "int"),
        ("rest", "var_positional", False, None),
        ("c", "keyword_only", True, "bool"),
        ("d", "keyword_only", False, None),
        ("more", "var_keyword", False, None),
    ]
    assert calls.parse_signature("def broken(:") is None
