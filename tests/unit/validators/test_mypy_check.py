"""mypy through the sandbox: diagnostics with positions, imports followed, an incremental cache, plugins."""

from __future__ import annotations

from pathlib import Path

from maze.sandbox.api import Runner
from maze.validators.context import NO_SANDBOX
from maze.validators.model import Severity
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from tests.unit.validators.support import CountingRunner, write_tree

ONLY_MYPY = ValidationSettings(ruff=False, security=False, syntax=False, typescript=False, tests=False)
TREE = {
    "pkg/__init__.py": "",
    "pkg/util.py": "def name() -> str:\n    return 'x'\n",
    "pkg/app.py": "from pkg.util import name\n\ncount: int = name()\n",
}


def test_errors_with_codes_and_positions(tmp_path: Path, sandbox: Runner, mypy_state: Path) -> None:
    write_tree(tmp_path, TREE)

    report = validate_tree(
        tmp_path, {"pkg/app.py": None}, runner=sandbox, settings=ONLY_MYPY, state_dir=mypy_state
    )

    run = report.run_of("mypy")
    assert run is not None and run.ran and run.version.startswith("mypy ")
    [diagnostic] = run.diagnostics
    assert (diagnostic.path, diagnostic.code, diagnostic.severity) == (
        "pkg/app.py",
        "assignment",
        Severity.ERROR,
    )
    assert (diagnostic.start_line, diagnostic.start_column, diagnostic.end_column) == (3, 14, 20)
    assert 'expression has type "str"' in diagnostic.message


def test_imports_are_followed_and_reported(tmp_path: Path, sandbox: Runner, mypy_state: Path) -> None:
    write_tree(tmp_path, {**TREE, "pkg/util.py": "def name() -> str:\n    return 1\n"})

    report = validate_tree(
        tmp_path, {"pkg/app.py": None}, runner=sandbox, settings=ONLY_MYPY, state_dir=mypy_state
    )

    assert {(d.path, d.code) for d in report.diagnostics} == {
        ("pkg/app.py", "assignment"),
        ("pkg/util.py", "return-value"),
    }


def test_incremental_cache_is_stored_and_reused(tmp_path: Path, sandbox: Runner) -> None:
    state = tmp_path / "state"
    tree = write_tree(tmp_path / "tree", TREE)
    first = validate_tree(tree, {"pkg/app.py": None}, runner=sandbox, settings=ONLY_MYPY, state_dir=state)
    stored = sorted(p.name for p in (state / "mypy").rglob("*") if p.is_file())

    (tree / "pkg" / "app.py").write_text(
        "from pkg.util import name\n\ncount: str = name()\nmore: int = 'y'\n"
    )
    counting = CountingRunner(sandbox)
    second = validate_tree(tree, {"pkg/app.py": None}, runner=counting, settings=ONLY_MYPY, state_dir=state)

    assert stored, "the first run stores mypy's cache"
    assert [d.code for d in first.diagnostics] == ["assignment"]
    assert [(d.start_line, d.code) for d in second.diagnostics] == [(4, "assignment")]
    assert counting.count("mypy") == 1
    assert any(part.startswith("--cache-dir=") for part in counting.commands[0])


def test_plugins_need_the_sandbox(tmp_path: Path) -> None:
    write_tree(tmp_path, {**TREE, "mypy.ini": "[mypy]\nplugins = pkg.plugin\n"})

    report = validate_tree(tmp_path, {"pkg/app.py": None}, runner=None, settings=ONLY_MYPY)

    run = report.run_of("mypy")
    assert run is not None and not run.ran
    assert run.skipped_reason == f"{NO_SANDBOX} (mypy plugins: pkg.plugin)"


def test_without_a_sandbox_mypy_runs_and_tests_are_skipped(tmp_path: Path, mypy_state: Path) -> None:
    write_tree(
        tmp_path, {**TREE, "tests/test_app.py": "from pkg.app import count\n\ndef test_c():\n    pass\n"}
    )

    report = validate_tree(
        tmp_path,
        {"pkg/app.py": None},
        runner=None,
        settings=ValidationSettings(typescript=False),
        state_dir=mypy_state,
    )

    assert [d.code for d in report.diagnostics] == ["assignment"]
    pytest_run = report.run_of("pytest")
    assert pytest_run is not None and not pytest_run.ran
    assert pytest_run.skipped_reason == "bubblewrap is missing: repository code is not executed" == NO_SANDBOX
    assert report.summary() == f"syntax, ruff, ruff S rules, mypy; skipped: pytest ({NO_SANDBOX})"


def test_a_crash_is_reported_as_a_failed_run(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path, {"one/helpers.py": "X = 1\n", "two/helpers.py": "X = 2\n"})

    report = validate_tree(
        tmp_path, {"one/helpers.py": None, "two/helpers.py": None}, runner=sandbox, settings=ONLY_MYPY
    )

    run = report.run_of("mypy")
    assert run is not None and not run.ran
    assert run.skipped_reason.startswith("failed: mypy exited with 2")
    assert "Duplicate module named" in run.skipped_reason
