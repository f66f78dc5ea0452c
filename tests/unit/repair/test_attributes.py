"""Unknown attributes: members of repository classes, standard library modules and repository modules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from maze.repair.context import RepairContext
from maze.repair.symbolic import attributes
from tests.unit.repair.support_symbolic import Workspace, workspace

SOURCE = '''"""Reads of the shapes."""

import os

from pkg import shapes
from pkg.shapes import Box


def describe(box: Box) -> str:
    width = box.sise * 2
    return os.pth.join(str(width), "x")


def maybe(box: Box | None) -> int:
    return box.sise


def made() -> int:
    return shapes.scal(Box(1), 2).size
'''


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return workspace(tmp_path_factory.mktemp("attributes"), SOURCE)


def test_a_member_of_a_repository_class(space: Workspace) -> None:
    context = space.context("mypy", "attr-defined", "width = box.sise * 2")
    top = attributes.repairs(context)[0]
    assert (top.source, top.replacement) == ("symbolic:attribute", "    width = box.size * 2\n")
    assert top.description == "Rename `sise` to `size`, a member of `Box`"
    space.assert_fixed(context, top)


def test_a_member_of_a_standard_library_module(space: Workspace) -> None:
    context = space.context("mypy", "attr-defined", "os.pth.join")
    top = attributes.repairs(context)[0]
    assert top.replacement == '    return os.path.join(str(width), "x")\n'
    assert top.description == "Rename `pth` to `path`, a member of module `os`"
    space.assert_fixed(context, top)


def test_a_member_of_a_repository_module(space: Workspace) -> None:
    context = space.context("mypy", "attr-defined", "shapes.scal(")
    top = attributes.repairs(context)[0]
    assert top.replacement == "    return shapes.scale(Box(1), 2).size\n"
    assert top.description == "Rename `scal` to `scale`, a member of module `pkg.shapes`"


def test_an_optional_receiver_is_looked_up_without_none(space: Workspace) -> None:
    found = [item for item in space.problems if item.rule == "union-attr"]
    assert {item.message for item in found} == {
        'Item "Box" of "Box | None" has no attribute "sise"',
        'Item "None" of "Box | None" has no attribute "sise"',
    }
    for problem in found:
        top = attributes.repairs(RepairContext(problem, SOURCE, space.project))[0]
        assert top.replacement == "    return box.size\n"


def test_odd_input_gives_nothing(space: Workspace) -> None:
    context = space.context("mypy", "attr-defined", "width = box.sise * 2")
    assert attributes.repairs(replace(context, text="def describe(:\n    pass\n")) == []
    assert attributes.repairs(replace(context, problem=replace(context.problem, line=999))) == []
    unknown = replace(context.problem, message='"Crate" has no attribute "sise"')
    assert attributes.repairs(replace(context, problem=unknown)) == []
