"""Which type checker runs: the repository's configuration picks pyright or mypy; pyright from npm."""

from __future__ import annotations

from pathlib import Path

import pytest

from maze.repo_config import parse_repo_config
from maze.sandbox.api import Runner
from maze.validators.node_tools import NOT_INSTALLED
from maze.validators.settings import TypeChecker, ValidationSettings
from maze.validators.suite import type_checker, validate_tree
from maze.validators.tree import Snapshot
from tests.unit.validators.support import write_tree

APP = {"app.py": "def f() -> int:\n    return 'no'\n"}


@pytest.mark.parametrize(
    ("files", "choice", "expected"),
    [
        ({}, "auto", "mypy"),
        ({"pyrightconfig.json": "{}"}, "auto", "pyright"),
        ({"pyproject.toml": "[tool.pyright]\nstrict = []\n"}, "auto", "pyright"),
        ({"pyproject.toml": "[tool.mypy]\nstrict = true\n"}, "auto", "mypy"),
        ({"pyproject.toml": "not toml ["}, "auto", "mypy"),
        ({"pyrightconfig.json": "{}"}, "mypy", "mypy"),
        ({}, "pyright", "pyright"),
        ({"pyrightconfig.json": "{}"}, "off", None),
    ],
)
def test_choice(tmp_path: Path, files: dict[str, str], choice: TypeChecker, expected: str | None) -> None:
    snapshot = Snapshot.of(write_tree(tmp_path, {**APP, **files}))

    assert type_checker(ValidationSettings(type_checker=choice), snapshot) == expected


def test_repository_config_selects_pyright(tmp_path: Path) -> None:
    settings = ValidationSettings.from_repo_config(parse_repo_config('[checks]\ntypes = "pyright"\n'))
    snapshot = Snapshot.of(write_tree(tmp_path, APP))

    assert type_checker(settings, snapshot) == "pyright"


@pytest.mark.usefixtures("node_tools")
def test_pyright_with_the_repository_configuration(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(
        tmp_path,
        {
            **APP,
            "helper.py": "def g(x):\n    return x\n",
            "pyrightconfig.json": '{"typeCheckingMode": "strict"}',
        },
    )

    report = validate_tree(
        tmp_path,
        {"app.py": None, "helper.py": None},
        runner=sandbox,
        settings=ValidationSettings(ruff=False, security=False, tests=False),
    )

    run = report.run_of("pyright")
    assert run is not None and run.ran, run
    assert run.version.startswith("pyright 1.")
    assert ("app.py", 2, "reportReturnType") in {(d.path, d.start_line, d.code) for d in run.diagnostics}
    assert "reportMissingParameterType" in {d.code for d in run.diagnostics if d.path == "helper.py"}
    assert report.run_of("mypy") is None


def test_pyright_not_installed_is_a_skip(tmp_path: Path, sandbox: Runner) -> None:
    write_tree(tmp_path / "tree", APP)

    report = validate_tree(
        tmp_path / "tree",
        {"app.py": None},
        runner=sandbox,
        settings=ValidationSettings(type_checker="pyright", tests=False, node_tools=tmp_path / "nothing"),
    )

    run = report.run_of("pyright")
    assert run is not None and not run.ran
    assert run.skipped_reason == NOT_INSTALLED
    assert report.summary().endswith(f"; skipped: pyright ({NOT_INSTALLED})")
