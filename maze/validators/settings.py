"""Which validators run on a tree and with what limits, from a repository's `.github/maze.toml`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from maze.repo_config import RepoConfig
from maze.sandbox.api import Limits

TypeChecker = Literal["auto", "mypy", "pyright", "off"]

DEFAULT_MAX_TESTS = 30

_GIB = 1024**3
DEFAULT_LIMITS: Mapping[str, Limits] = MappingProxyType(
    {
        "ruff": Limits(wall_seconds=60, cpu_seconds=60),
        "security": Limits(wall_seconds=60, cpu_seconds=60),
        "mypy": Limits(wall_seconds=300, cpu_seconds=300, memory_bytes=4 * _GIB),
        "pyright": Limits(wall_seconds=300, cpu_seconds=300, memory_bytes=4 * _GIB),
        "tsc": Limits(wall_seconds=300, cpu_seconds=300, memory_bytes=4 * _GIB),
        "pytest": Limits(wall_seconds=600, cpu_seconds=600, memory_bytes=4 * _GIB),
    }
)


@dataclass(frozen=True)
class ValidationSettings:
    """The validators' switches. `type_checker="auto"` picks pyright when the repository configures it.

    `node_tools` is the directory holding `node_modules/.bin/{tsc,pyright}` (default: the `MAZE_NODE_TOOLS`
    environment variable, else `tools/` of the Maze checkout).
    """

    syntax: bool = True
    ruff: bool = True
    security: bool = True
    type_checker: TypeChecker = "auto"
    typescript: bool = True
    tests: bool = True
    max_tests: int = DEFAULT_MAX_TESTS
    limits: Mapping[str, Limits] = field(default_factory=lambda: DEFAULT_LIMITS)
    node_tools: Path | None = None

    def limits_for(self, tool: str) -> Limits:
        return self.limits.get(tool) or DEFAULT_LIMITS.get(tool) or Limits()

    @classmethod
    def from_repo_config(cls, config: RepoConfig, **overrides: Any) -> ValidationSettings:
        """Settings as the repository's `[checks]` table asks; `overrides` replace single fields."""
        checks = config.checks
        settings = cls(
            syntax=checks.syntax,
            ruff=checks.ruff,
            security=checks.security,
            type_checker=checks.types,
            typescript=checks.types != "off",
            tests=checks.tests,
            max_tests=checks.max_tests,
        )
        return replace(settings, **overrides) if overrides else settings
