"""Choosing the tests a change should run, from the index's imports and from file names."""

from __future__ import annotations

import textwrap

from maze.indexing.extract import extract
from maze.validators.related_tests import is_test_file, module_names, node_ids, select_tests, still_present


def _sources(files: dict[str, str]) -> dict[str, bytes]:
    return {path: textwrap.dedent(text).encode() for path, text in files.items()}


TREE = _sources(
    {
        "pkg/__init__.py": "",
        "pkg/core.py": "def add(a, b):\n    return a + b\n",
        "pkg/api.py": "from pkg.core import add\n\ndef total(xs):\n    return add(*xs)\n",
        "pkg/other.py": "X = 1\n",
        "tests/test_api.py": """
            from pkg.api import total

            def test_total():
                assert total([1, 2]) == 3
            """,
        "tests/test_direct.py": """
            from pkg import core

            def test_one():
                assert core.add(1, 1) == 2

            class TestCore:
                def test_two(self):
                    assert core.add(2, 2) == 4

                def helper(self):
                    pass

            def helper():
                pass
            """,
        "tests/test_other.py": "from pkg.other import X\n\ndef test_x():\n    assert X == 1\n",
        "tests/core_test.py": "def test_named_after_core():\n    pass\n",
    }
)


def test_module_names_cover_root_and_src_layouts() -> None:
    assert module_names("pkg/core.py") == ["pkg.core"]
    assert module_names("pkg/__init__.py") == ["pkg"]
    assert module_names("src/pkg/core.py") == ["src.pkg.core", "pkg.core"]
    assert module_names("scripts/my-tool.py") == []
    assert module_names("README.md") == []


def test_test_file_names() -> None:
    assert is_test_file("tests/test_core.py")
    assert is_test_file("core_test.py")
    assert not is_test_file("tests/conftest.py")
    assert not is_test_file("testing.py")


def test_direct_importers_and_named_tests_first_then_transitive() -> None:
    selected = select_tests(TREE, ["pkg/core.py"], max_tests=30)

    assert selected == [
        "tests/core_test.py::test_named_after_core",
        "tests/test_direct.py::test_one",
        "tests/test_direct.py::TestCore::test_two",
        "tests/test_api.py::test_total",
    ]


def test_unrelated_tests_are_not_chosen() -> None:
    assert select_tests(TREE, ["pkg/other.py"], max_tests=30) == ["tests/test_other.py::test_x"]
    assert select_tests(TREE, ["README.md"], max_tests=30) == []


def test_cap_keeps_the_nearest() -> None:
    assert select_tests(TREE, ["pkg/core.py"], max_tests=2) == [
        "tests/core_test.py::test_named_after_core",
        "tests/test_direct.py::test_one",
    ]


def test_a_changed_test_file_is_chosen() -> None:
    assert select_tests(TREE, ["tests/test_other.py"], max_tests=30) == ["tests/test_other.py::test_x"]


def test_package_init_change_reaches_importers_of_its_modules() -> None:
    selected = select_tests(TREE, ["pkg/__init__.py"], max_tests=30)

    assert "tests/test_other.py::test_x" in selected
    assert "tests/test_api.py::test_total" in selected


def test_relative_imports_and_src_layout() -> None:
    tree = _sources(
        {
            "src/lib/__init__.py": "",
            "src/lib/base.py": "VALUE = 1\n",
            "src/lib/derived.py": "from .base import VALUE\n\nDOUBLE = VALUE * 2\n",
            "src/lib/tests/test_inner.py": "from ..derived import DOUBLE\n\ndef test_double():\n    pass\n",
            "tests/test_outer.py": "from lib.derived import DOUBLE\n\ndef test_outer():\n    pass\n",
        }
    )

    assert select_tests(tree, ["src/lib/base.py"], max_tests=30) == [
        "src/lib/tests/test_inner.py::test_double",
        "tests/test_outer.py::test_outer",
    ]


def test_unittest_classes_and_files_without_named_tests() -> None:
    tree = _sources(
        {
            "app.py": "A = 1\n",
            "test_app.py": "import unittest\nimport app\n\nclass AppCase(unittest.TestCase):\n"
            "    def test_a(self):\n        pass\n",
            "tests/test_script.py": "import app\n",
        }
    )

    assert select_tests(tree, ["app.py"], max_tests=30) == [
        "test_app.py::AppCase::test_a",
        "tests/test_script.py",
    ]


def test_ids_in_source_order() -> None:
    index = extract("tests/test_direct.py", TREE["tests/test_direct.py"], "python")

    assert node_ids(index) == ["tests/test_direct.py::test_one", "tests/test_direct.py::TestCore::test_two"]


def test_still_present_drops_tests_gone_from_the_tree() -> None:
    chosen = [
        "tests/test_direct.py::test_one",
        "tests/test_direct.py::test_gone",
        "tests/test_new.py::test_n",
    ]

    assert still_present(chosen, TREE) == ["tests/test_direct.py::test_one"]
