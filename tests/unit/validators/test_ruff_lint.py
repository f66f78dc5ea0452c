"""ruff in the sandbox: the repository's configuration or ruff's defaults, and S rules on changed lines."""

from __future__ import annotations

from pathlib import Path

from maze.sandbox.api import Runner
from maze.validators.model import Severity
from maze.validators.suite import validate_tree
from tests.unit.validators.support import ONLY_LINT, write_tree

SOURCE = """
import os
import subprocess


def run(command: str) -> None:
    subprocess.call(command, shell=True)


def run_again(command: str) -> None:
    subprocess.call(command, shell=True)


def check(value: int) -> None:
    assert value > 0, "this line is long enough to break a line-length limit of forty characters"
"""


def _codes(tree: Path, runner: Runner, changed: dict[str, set[int] | None]) -> dict[str, list[str]]:
    report = validate_tree(tree, changed, runner=runner, settings=ONLY_LINT)
    return {run.tool: sorted(d.code for d in run.diagnostics) for run in report.runs if run.ran}


def test_defaults_without_configuration(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, {"app.py": SOURCE})

    codes = _codes(tmp_path, sandbox, {"app.py": None})

    assert codes["ruff"] == ["F401"]
    assert codes["security"] == ["S101", "S602", "S602"]


def test_pyproject_configuration_is_used(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(
        tmp_path,
        {
            "app.py": SOURCE,
            "pyproject.toml": '[tool.ruff]\nline-length = 40\n\n[tool.ruff.lint]\nselect = ["E501"]\n',
        },
    )

    codes = _codes(tmp_path, sandbox, {"app.py": None})

    assert codes["ruff"] == ["E501"]


def test_ruff_toml_configuration_is_used(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(
        tmp_path,
        {
            "app.py": SOURCE,
            "ruff.toml": 'line-length = 40\n\n[lint]\nselect = ["E501", "F401"]\n'
            '[lint.per-file-ignores]\n"app.py" = ["F401"]\n',
        },
    )

    codes = _codes(tmp_path, sandbox, {"app.py": None})

    assert codes["ruff"] == ["E501"]


def test_security_only_on_changed_lines(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, {"app.py": SOURCE})

    report = validate_tree(tmp_path, {"app.py": {6}}, runner=sandbox, settings=ONLY_LINT)
    security = report.run_of("security")

    assert security is not None and security.ran
    assert [(d.code, d.start_line, d.severity) for d in security.diagnostics] == [
        ("S602", 6, Severity.WARNING)
    ]
    assert report.summary() == "syntax, ruff, ruff S rules"


def test_assert_is_not_a_security_finding_in_tests(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, {"tests/test_app.py": "def test_a() -> None:\n    assert 1\n"})

    codes = _codes(tmp_path, sandbox, {"tests/test_app.py": None})

    assert codes["security"] == []


def test_unchanged_files_are_not_linted(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, {"app.py": SOURCE, "clean.py": "X = 1\n"})

    report = validate_tree(tmp_path, {"clean.py": None}, runner=sandbox, settings=ONLY_LINT)

    assert report.diagnostics == ()
    ruff = report.run_of("ruff")
    assert ruff is not None and ruff.targets == ("clean.py",)
