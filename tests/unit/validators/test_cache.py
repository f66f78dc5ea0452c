"""The diagnostic cache: keyed by tool, version, configuration and content; shared through the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from maze.sandbox.api import Runner
from maze.store import schema
from maze.validators.cache import CacheKey, DatabaseDiagnosticCache, MemoryDiagnosticCache
from maze.validators.model import Diagnostic, Severity, ToolOutput
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from tests.unit.validators.support import CountingRunner, write_tree

KEY = CacheKey.of("mypy", "mypy 2.4.1", "c" * 64, "d" * 64)
OUTPUT = ToolOutput(
    (Diagnostic("mypy", "a.py", 1, 1, 1, 2, "misc", "m", Severity.ERROR),), ("t::a",), ("t::b",)
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'maze.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    schema.upgrade(url)
    yield url
    schema.downgrade(url, "base")


def test_database_round_trip_and_first_writer_wins(database_url: str) -> None:
    cache = DatabaseDiagnosticCache(database_url)
    assert cache.get(KEY) is None

    cache.put(KEY, OUTPUT)
    cache.put(KEY, ToolOutput())

    assert cache.get(KEY) == OUTPUT
    assert cache.get(CacheKey.of("mypy", "mypy 2.4.2", "c" * 64, "d" * 64)) is None


def test_memory_cache_first_writer_wins() -> None:
    cache = MemoryDiagnosticCache()
    cache.put(KEY, OUTPUT)
    cache.put(KEY, ToolOutput())

    assert cache.get(KEY) == OUTPUT


def test_overlong_versions_are_hashed() -> None:
    key = CacheKey.of("tool", "v" * 500, "c", "d")

    assert key.tool_version.startswith("sha256:") and len(key.tool_version) <= 128
    assert key == CacheKey.of("tool", "v" * 500, "c", "d")


TREE = {
    "pkg/__init__.py": "",
    "pkg/core.py": "import os\n\n\ndef half(x: int) -> int:\n    return x / 2\n",
    "tests/test_core.py": "from pkg.core import half\n\n\ndef test_half():\n    assert half(4) == 2\n",
}


def test_second_run_does_not_invoke_the_tools(tmp_path: Path, sandbox: Runner) -> None:
    tree = write_tree(tmp_path / "tree", TREE)
    url = f"sqlite:///{tmp_path / 'maze.db'}"
    schema.upgrade(url)
    settings = ValidationSettings(typescript=False)
    changed: dict[str, set[int] | None] = {"pkg/core.py": None}

    first_runner = CountingRunner(sandbox)
    first = validate_tree(
        tree, changed, runner=first_runner, settings=settings, cache=DatabaseDiagnosticCache(url)
    )
    second_runner = CountingRunner(sandbox)
    second = validate_tree(
        tree, changed, runner=second_runner, settings=settings, cache=DatabaseDiagnosticCache(url)
    )

    assert [first_runner.count(tool) for tool in ("ruff", "mypy", "pytest")] == [2, 1, 1]
    assert second_runner.commands == []
    assert [run.cached for run in second.runs if run.tool != "syntax"] == [True, True, True, True]
    assert second.diagnostics == first.diagnostics
    assert second.summary() == first.summary() == "syntax, ruff, ruff S rules, mypy, 1 test"

    (tree / "pkg" / "core.py").write_text("def half(x: int) -> int:\n    return x // 2\n")
    third_runner = CountingRunner(sandbox)
    third = validate_tree(
        tree, changed, runner=third_runner, settings=settings, cache=DatabaseDiagnosticCache(url)
    )

    assert [third_runner.count(tool) for tool in ("ruff", "mypy", "pytest")] == [2, 1, 1]
    assert third.diagnostics == ()


def test_configuration_change_misses_the_cache(tmp_path: Path, sandbox: Runner) -> None:
    tree = write_tree(tmp_path, {"app.py": "import os\n"})
    cache = MemoryDiagnosticCache()
    settings = ValidationSettings(security=False, type_checker="off", typescript=False, tests=False)
    validate_tree(tree, {"app.py": None}, runner=sandbox, settings=settings, cache=cache)

    (tree / "ruff.toml").write_text('[lint]\nselect = ["E"]\n')
    counting = CountingRunner(sandbox)
    report = validate_tree(tree, {"app.py": None}, runner=counting, settings=settings, cache=cache)

    assert counting.count("ruff") == 1
    assert report.diagnostics == ()
