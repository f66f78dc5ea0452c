"""Diagnostics, tool runs and reports: identity without positions, JSON round trips, summaries."""

from __future__ import annotations

from maze.validators.model import Diagnostic, Report, Severity, ToolOutput, ToolRun


def _diagnostic(line: int = 3, message: str = "Name 'x' is not defined") -> Diagnostic:
    return Diagnostic("mypy", "pkg/a.py", line, 5, line, 6, "name-defined", message, Severity.ERROR)


def test_key_ignores_positions() -> None:
    assert _diagnostic(3).key == _diagnostic(40).key
    assert _diagnostic(3).key != _diagnostic(3, "other").key
    assert _diagnostic(3).key == ("mypy", "pkg/a.py", "name-defined", "Name 'x' is not defined")


def test_json_round_trips() -> None:
    diagnostic = _diagnostic()
    output = ToolOutput((diagnostic,), ("t.py::test_a",), ("t.py::test_b",))

    assert Diagnostic.from_json(diagnostic.to_json()) == diagnostic
    assert ToolOutput.from_json(output.to_json()) == output
    assert diagnostic.to_json()["severity"] == "error"


def test_text_form() -> None:
    assert _diagnostic().to_text() == "pkg/a.py:3:5: error: Name 'x' is not defined [mypy name-defined]"


def test_summary_names_what_ran_and_counts_tests() -> None:
    report = Report(
        (
            ToolRun("mypy", "mypy 2"),
            ToolRun("ruff", "ruff 0.17"),
            ToolRun(
                "pytest", tests_passed=tuple(f"t.py::test_{n}" for n in range(11)), tests_failed=("t.py::x",)
            ),
        )
    )

    assert report.summary() == "mypy, ruff, 12 tests"
    assert report.checks() == "mypy, ruff, 12 tests"


def test_summary_names_skipped_tools_and_why() -> None:
    report = Report(
        (
            ToolRun("syntax"),
            ToolRun("security"),
            ToolRun("pytest", tests_passed=("t.py::test_a",)),
            ToolRun.skipped("pyright", "not installed: run `npm ci --prefix tools`"),
        )
    )

    assert report.summary() == (
        "syntax, ruff S rules, 1 test; skipped: pyright (not installed: run `npm ci --prefix tools`)"
    )


def test_empty_report() -> None:
    assert Report().summary() == "nothing"
    assert Report().diagnostics == ()
