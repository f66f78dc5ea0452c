"""pytest in the sandbox on the related tests, read back from JUnit XML."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from maze.sandbox.api import Runner
from maze.validators.model import Report, Severity, ToolRun
from maze.validators.process import ToolFailed
from maze.validators.pytest_check import parse_junit
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from tests.unit.validators.support import write_tree

ONLY_TESTS = ValidationSettings(
    ruff=False, security=False, syntax=False, type_checker="off", typescript=False
)
TREE = {
    "calc.py": "def add(a, b):\n    return a + b\n",
    "tests/test_calc.py": """
        import pytest

        from calc import add


        def test_add():
            assert add(1, 2) == 3


        def test_wrong():
            assert add(1, 1) == 3


        @pytest.mark.parametrize("n", [1, 2])
        def test_param(n):
            assert add(n, 0) == n


        class TestMore:
            def test_skip(self):
                pytest.skip("not today")
        """,
    "tests/test_unrelated.py": "def test_other():\n    assert False\n",
}

JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="6">
<testcase classname="tests.test_a" name="test_ok" file="tests/test_a.py" line="3" time="0.01"/>
<testcase classname="tests.test_a.TestX" name="test_m[1]" file="tests/test_a.py" line="9" time="0.01">
  <failure message="assert 1 == 2&#10;more">trace</failure></testcase>
<testcase classname="tests.test_a.TestX" name="test_skip" file="tests/test_a.py" line="12" time="0">
  <skipped message="no"/></testcase>
<testcase classname="tests.test_a" name="test_teardown" file="tests/test_a.py" line="20" time="0"/>
<testcase classname="tests.test_a" name="test_teardown" file="tests/test_a.py" line="20" time="0">
  <error message="failed on teardown"/></testcase>
<testcase classname="" name="tests.test_broken" time="0"><error message="collection failure"/></testcase>
</testsuite></testsuites>
"""


def test_junit_outcomes_and_node_ids() -> None:
    output = parse_junit(JUNIT)

    assert output.tests_passed == ("tests/test_a.py::test_ok",)
    assert output.tests_failed == (
        "tests.test_broken",
        "tests/test_a.py::TestX::test_m[1]",
        "tests/test_a.py::test_teardown",
    )
    failure = next(d for d in output.diagnostics if d.code == "failure")
    assert (failure.path, failure.start_line, failure.severity) == ("tests/test_a.py", 10, Severity.ERROR)
    assert failure.message == "tests/test_a.py::TestX::test_m[1] failed: assert 1 == 2"
    assert "tests/test_broken.py" in {d.path for d in output.diagnostics}


def test_junit_that_is_not_xml() -> None:
    with pytest.raises(ToolFailed, match="not XML"):
        parse_junit(b"<testsuites")


def test_related_tests_run_in_the_sandbox(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, TREE)

    report = validate_tree(tmp_path, {"calc.py": None}, runner=sandbox, settings=ONLY_TESTS)

    run = report.run_of("pytest")
    assert run is not None and run.ran, run
    assert run.targets == (
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_wrong",
        "tests/test_calc.py::test_param",
        "tests/test_calc.py::TestMore::test_skip",
    )
    assert run.tests_passed == (
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_param[1]",
        "tests/test_calc.py::test_param[2]",
    )
    assert run.tests_failed == ("tests/test_calc.py::test_wrong",)
    assert report.summary() == "4 tests"
    assert [d.start_line for d in run.diagnostics] == [10]


def test_cap_on_how_many_run(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, TREE)

    report = validate_tree(
        tmp_path,
        {"calc.py": None},
        runner=sandbox,
        settings=replace(ONLY_TESTS, max_tests=1),
    )

    run = report.run_of("pytest")
    assert run is not None and run.targets == ("tests/test_calc.py::test_add",)
    assert run.tests_passed == ("tests/test_calc.py::test_add",)


def test_candidate_runs_the_baseline_selection(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(
        tmp_path, {"calc.py": TREE["calc.py"], "tests/test_unrelated.py": "def test_other():\n    pass\n"}
    )
    baseline = Report((ToolRun("pytest", targets=("tests/test_unrelated.py::test_other",)),))

    report = validate_tree(
        tmp_path, {"calc.py": None}, runner=sandbox, settings=ONLY_TESTS, baseline=baseline
    )

    run = report.run_of("pytest")
    assert run is not None and run.tests_passed == ("tests/test_unrelated.py::test_other",)


def test_no_related_tests(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(
        tmp_path, {"calc.py": TREE["calc.py"], "tests/test_unrelated.py": TREE["tests/test_unrelated.py"]}
    )

    report = validate_tree(tmp_path, {"calc.py": None}, runner=sandbox, settings=ONLY_TESTS)

    assert report.summary() == "nothing; skipped: pytest (no tests relate to the changed files)"


def test_without_a_sandbox_tests_are_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, TREE)

    report = validate_tree(tmp_path, {"calc.py": None}, runner=None, settings=ONLY_TESTS)

    run = report.run_of("pytest")
    assert run is not None and not run.ran
    assert run.skipped_reason == "bubblewrap is missing: repository code is not executed"
