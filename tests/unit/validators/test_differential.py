"""The differential verdict: target gone, nothing new, tests that passed still pass."""

from __future__ import annotations

from pathlib import Path

from maze.sandbox.api import Runner
from maze.validators.differential import new_diagnostics, verdict
from maze.validators.model import Diagnostic, Report, Severity, ToolRun
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from tests.unit.validators.support import write_tree


def _d(code: str, line: int, tool: str = "ruff", message: str = "") -> Diagnostic:
    return Diagnostic(tool, "app.py", line, 1, line, 2, code, message or f"{code} message", Severity.ERROR)


def _report(*diagnostics: Diagnostic, passed: tuple[str, ...] = (), failed: tuple[str, ...] = ()) -> Report:
    return Report(
        (
            ToolRun("ruff", "ruff 1", diagnostics=tuple(d for d in diagnostics if d.tool == "ruff")),
            ToolRun("mypy", "mypy 2", diagnostics=tuple(d for d in diagnostics if d.tool == "mypy")),
            ToolRun("pytest", "pytest 9", tests_passed=passed, tests_failed=failed),
        )
    )


def test_target_gone_and_nothing_new_is_valid() -> None:
    baseline = _report(_d("F401", 1), _d("E711", 9), passed=("t::a",))
    patched = _report(_d("E711", 8), passed=("t::a",))

    result = verdict(baseline, patched, _d("F401", 1))

    assert result.valid and result.fixed_target
    assert result.checks == "ruff, mypy, 1 test"
    assert result.reason == ""


def test_target_still_reported_is_invalid() -> None:
    baseline = _report(_d("F401", 1, message="`os` imported but unused"))
    patched = _report(_d("F401", 3, message="`os` imported but unused"))

    result = verdict(baseline, patched, baseline.diagnostics[0])

    assert not result.valid and not result.fixed_target
    assert result.reason == "ruff still reports F401: `os` imported but unused"


def test_one_of_two_identical_findings_fixed_counts() -> None:
    baseline = _report(_d("F401", 1), _d("F401", 2))

    assert verdict(baseline, _report(_d("F401", 1)), _d("F401", 2)).valid


def test_target_missing_from_the_baseline_is_invalid() -> None:
    result = verdict(_report(), _report(), _d("F401", 1))

    assert not result.valid
    assert result.reason.startswith("the target is not reported on the unpatched tree")


def test_new_diagnostic_is_invalid() -> None:
    baseline = _report(_d("F401", 1))
    patched = _report(_d("arg-type", 4, tool="mypy"))

    result = verdict(baseline, patched, _d("F401", 1))

    assert not result.valid and result.fixed_target
    assert result.new_diagnostics == (_d("arg-type", 4, tool="mypy"),)
    assert result.reason == "new diagnostics: app.py:4:1: error: arg-type message [mypy arg-type]"


def test_moved_diagnostics_are_not_new() -> None:
    baseline = _report(_d("E711", 10), _d("E711", 20))

    assert new_diagnostics(baseline, _report(_d("E711", 11), _d("E711", 21))) == ()
    assert new_diagnostics(baseline, _report(_d("E711", 11), _d("E711", 21), _d("E711", 30))) == (
        _d("E711", 30),
    )


def test_previously_passing_test_that_fails_is_invalid() -> None:
    baseline = _report(_d("F401", 1), passed=("t::a", "t::b"))
    patched = _report(passed=("t::a",), failed=("t::b",))

    result = verdict(baseline, patched, _d("F401", 1))

    assert not result.valid
    assert result.broken_tests == ("t::b",)
    assert result.reason == "tests that passed before fail now: t::b"


def test_a_test_that_vanished_counts_as_broken() -> None:
    baseline = _report(passed=("t::a",))

    assert not verdict(baseline, _report(), None).valid


def test_unchanged_failing_tests_do_not_block() -> None:
    baseline = _report(_d("F401", 1), passed=("t::a",), failed=("t::old",))
    patched = _report(passed=("t::a",), failed=("t::old",))

    assert verdict(baseline, patched, _d("F401", 1)).valid


def test_a_tool_that_fails_on_the_patched_tree_is_invalid() -> None:
    baseline = _report(_d("F401", 1))
    patched = Report(
        (
            ToolRun("ruff", "ruff 1"),
            ToolRun.skipped("mypy", "failed: mypy exited with 2: boom"),
            ToolRun("pytest"),
        )
    )

    result = verdict(baseline, patched, _d("F401", 1))

    assert not result.valid
    assert result.reason == "mypy could not check the patched tree: failed: mypy exited with 2: boom"


TREE = {
    "shapes.py": """
        import os


        def area(width: int, height: int) -> int:
            return width * height
        """,
    "tests/test_shapes.py": """
        from shapes import area


        def test_area():
            assert area(2, 3) == 6


        def test_already_failing():
            assert area(1, 1) == 2
        """,
}
SETTINGS = ValidationSettings(typescript=False)


def _patched(tmp_path: Path, name: str, shapes: str) -> Path:
    return write_tree(tmp_path / name, {**TREE, "shapes.py": shapes})


def test_real_tools_candidate_cases(tmp_path: Path, sandbox: Runner, mypy_state: Path) -> None:
    head = write_tree(tmp_path / "head", TREE)
    changed: dict[str, set[int] | None] = {"shapes.py": None}
    baseline = validate_tree(head, changed, runner=sandbox, settings=SETTINGS, state_dir=mypy_state)
    target = next(d for d in baseline.diagnostics if d.code == "F401")

    def judge(name: str, shapes: str) -> tuple[bool, str]:
        patched = validate_tree(
            _patched(tmp_path, name, shapes),
            changed,
            runner=sandbox,
            settings=SETTINGS,
            state_dir=mypy_state,
            baseline=baseline,
        )
        result = verdict(baseline, patched, target)
        return result.valid, result.reason

    good = "def area(width: int, height: int) -> int:\n    return width * height\n"
    new_type_error = "def area(width: int, height: int) -> int:\n    return str(width * height)\n"
    breaks_a_test = "def area(width: int, height: int) -> int:\n    return width + height\n"

    assert baseline.summary() == "syntax, ruff, ruff S rules, mypy, 2 tests"
    assert judge("good", good) == (True, "")
    valid, reason = judge("type-error", new_type_error)
    assert not valid and reason.startswith(
        "new diagnostics: shapes.py:2:12: error: Incompatible return value"
    )
    assert judge("breaks", breaks_a_test) == (
        False,
        "tests that passed before fail now: tests/test_shapes.py::test_area",
    )
