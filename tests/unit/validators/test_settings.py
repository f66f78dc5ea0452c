"""Validation settings from a repository's `[checks]` table."""

from __future__ import annotations

from pathlib import Path

from maze.repo_config import parse_repo_config
from maze.sandbox.api import Limits
from maze.validators.settings import DEFAULT_MAX_TESTS, ValidationSettings


def test_defaults() -> None:
    settings = ValidationSettings()

    assert settings.type_checker == "auto"
    assert settings.tests and settings.security and settings.ruff and settings.syntax
    assert settings.max_tests == DEFAULT_MAX_TESTS == 30
    assert settings.limits_for("pytest").wall_seconds == 600
    assert settings.limits_for("unknown tool") == Limits()


def test_from_repo_config() -> None:
    config = parse_repo_config(
        '[checks]\nruff = false\ntypes = "pyright"\ntests = false\nmax_tests = 7\nsecurity = false\n'
    )

    settings = ValidationSettings.from_repo_config(config, node_tools=Path("/opt/tools"))

    assert not settings.ruff
    assert settings.type_checker == "pyright"
    assert settings.typescript
    assert not settings.tests
    assert settings.max_tests == 7
    assert not settings.security
    assert settings.node_tools == Path("/opt/tools")


def test_types_off_turns_off_typescript_too() -> None:
    settings = ValidationSettings.from_repo_config(parse_repo_config('checks.types = "off"\n'))

    assert settings.type_checker == "off"
    assert not settings.typescript
