"""Undefined names: imports from the repository and the standard library, and renames of typos."""

from __future__ import annotations

from dataclasses import replace

import pytest

from maze.analysis import Problem
from maze.lint.ruff import check_source
from maze.repair.context import RepairContext
from maze.repair.symbolic import names
from tests.unit.repair.support_symbolic import Workspace, workspace

SOURCE = '''"""Uses of the shapes."""

from typing import Any


def area_of(size: int, extra: Any, limit: Optional[int]) -> int:
    box = Box(size)
    total = sise + 1
    print(os.getcwd(), extra, limit)
    return total + box.size
'''


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return workspace(tmp_path_factory.mktemp("names"), SOURCE)


def test_a_repository_class_is_imported_after_the_imports(space: Workspace) -> None:
    context = space.context("mypy", "name-defined", "box = Box(size)")
    candidates = names.repairs(context)
    top = candidates[0]
    assert (top.source, top.description) == ("symbolic:import", "Import `Box` from `pkg.shapes`")
    assert top.apply(SOURCE).startswith(
        '"""Uses of the shapes."""\n\nfrom typing import Any\n\nfrom pkg.shapes import Box\n\n\ndef area_of'
    )
    assert all("tests" not in candidate.description for candidate in candidates)
    space.assert_fixed(context, top)


def test_a_typing_name_joins_the_existing_from_import(space: Workspace) -> None:
    context = space.context("ruff", "F821", "limit: Optional[int]")
    top = names.repairs(context)[0]
    assert (top.start_line, top.end_line, top.replacement) == (3, 3, "from typing import Any, Optional\n")
    space.assert_fixed(context, top)


def test_a_standard_library_module_is_imported_whole(space: Workspace) -> None:
    context = space.context("mypy", "name-defined", "os.getcwd()")
    top = names.repairs(context)[0]
    assert top.description == "Import the standard library module `os`"
    assert "import os\nfrom typing import Any\n" in top.apply(SOURCE)
    space.assert_fixed(context, top)


def test_a_typo_becomes_the_nearest_name_in_scope(space: Workspace) -> None:
    context = space.context("ruff", "F821", "total = sise + 1")
    candidates = names.repairs(context)
    top = candidates[0]
    assert (top.source, top.replacement) == ("symbolic:name", "    total = size + 1\n")
    assert top.description == "Rename `sise` to `size`, a name in scope here"
    space.assert_fixed(context, top)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            '"""Doc."""\ndef f() -> object:\n    return Path("x")\n',
            '"""Doc."""\n\nfrom pathlib import Path\n\n\ndef f() -> object:\n    return Path("x")\n',
        ),
        (
            '#!/usr/bin/env python\nVALUE = Path("x")\n',
            '#!/usr/bin/env python\n\nfrom pathlib import Path\n\nVALUE = Path("x")\n',
        ),
        (
            '"""Doc."""\n\nfrom __future__ import annotations\n\nVALUE = Path("x")\n',
            '"""Doc."""\n\nfrom __future__ import annotations\n\nfrom pathlib import Path\n\n'
            'VALUE = Path("x")\n',
        ),
    ],
)
def test_the_first_import_goes_after_the_preamble_as_isort_would(
    space: Workspace, before: str, after: str
) -> None:
    finding = next(item for item in check_source("pkg/mod.py", before) if item.code == "F821")
    problem = Problem(
        "ruff", "F821", finding.message, "pkg/mod.py", finding.row, finding.row, column=finding.column
    )
    top = names.repairs(RepairContext(problem, before, space.project))[0]
    assert top.apply(before) == after
    assert check_source("pkg/mod.py", after, select=("F", "I", "E")) == []


def test_odd_input_gives_nothing(space: Workspace) -> None:
    context = space.context("ruff", "F821", "total = sise + 1")
    assert names.repairs(RepairContext(context.problem, "def area_of(:\n", space.project)) == []
    assert names.repairs(replace(context, problem=replace(context.problem, line=999))) == []
    other = space.context("mypy", "name-defined", "box = Box(size)")
    assert names.repairs(replace(other, text="")) == []


def test_distance_counts_a_transposition_as_one() -> None:
    assert names.distance("szie", "size") == 1
    assert names.closest("cont", ["count", "content", "cont"]) == ["count"]
    assert names.closest("x", ["yy", "zzz"]) == []


def test_not_a_name_finding(space: Workspace) -> None:
    context = space.context("mypy", "name-defined", "box = Box(size)")
    problem = replace(context.problem, message="Incompatible return value type")
    assert names.repairs(RepairContext(problem, SOURCE, space.project)) == []
