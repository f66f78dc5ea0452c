"""Helpers of the validator tests: a counting runner, trees written in tmp_path, common settings."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from maze.sandbox.api import Runner, RunRequest, RunResult
from maze.validators.settings import ValidationSettings


class CountingRunner:
    """Wraps a real runner and records every command it is asked to run."""

    def __init__(self, inner: Runner) -> None:
        self.inner = inner
        self.name = inner.name
        self.isolated = inner.isolated
        self.commands: list[tuple[str, ...]] = []

    def run(self, request: RunRequest) -> RunResult:
        self.commands.append(tuple(request.argv))
        return self.inner.run(request)

    def count(self, word: str) -> int:
        """How many commands ran the tool `word`: "ruff" (a binary), "mypy" or "pytest" (`python -m`)."""
        return sum(
            1
            for command in self.commands
            if any(part == word or part.endswith(f"/{word}") for part in command)
        )


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write `files` (path -> dedented text) under `root` and return it."""
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


ONLY_LINT = ValidationSettings(type_checker="off", typescript=False, tests=False)
NO_TESTS = ValidationSettings(tests=False, typescript=False)
