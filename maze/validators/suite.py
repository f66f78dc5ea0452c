"""Run every enabled validator on a tree and collect their runs into a Report.

`runner` is the sandbox; with `runner=None` (no sandbox on this machine) only the validators that do
not execute repository code run, as plain processes, and the others are reported as skipped.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from maze.sandbox.api import Runner
from maze.validators import mypy_check, pyright_check, pytest_check, ruff_lint, syntax, tsc_check
from maze.validators.cache import DiagnosticCache
from maze.validators.context import ToolContext
from maze.validators.model import Report, ToolRun
from maze.validators.settings import ValidationSettings
from maze.validators.tree import Snapshot

Step = Callable[[ToolContext], ToolRun | None]


def _plain_runner() -> Runner:
    from maze.sandbox.plain import UnsandboxedRunner

    return UnsandboxedRunner()


def type_checker(settings: ValidationSettings, snapshot: Snapshot) -> str | None:
    """ "mypy", "pyright" or None: the repository's choice, where `auto` follows its configuration."""
    if settings.type_checker == "off":
        return None
    if settings.type_checker == "auto":
        return "pyright" if pyright_check.configured(snapshot) else "mypy"
    return settings.type_checker


def steps(settings: ValidationSettings, snapshot: Snapshot) -> list[Step]:
    """The validators to run, in order; pytest last, since tests may write into the tree."""
    chosen: list[Step] = []
    if settings.syntax:
        chosen.append(syntax.check)
    if settings.ruff:
        chosen.append(ruff_lint.lint)
    if settings.security:
        chosen.append(ruff_lint.security)
    checker = type_checker(settings, snapshot)
    if checker == "mypy":
        chosen.append(mypy_check.check)
    elif checker == "pyright":
        chosen.append(pyright_check.check)
    if settings.typescript:
        chosen.append(tsc_check.check)
    if settings.tests:
        chosen.append(pytest_check.check)
    return chosen


def validate_tree(
    tree: Path,
    changed: Mapping[str, set[int] | None],
    *,
    runner: Runner | None,
    settings: ValidationSettings | None = None,
    cache: DiagnosticCache | None = None,
    state_dir: Path | None = None,
    baseline: Report | None = None,
) -> Report:
    """Validate `tree` where `changed` says (path -> changed lines, None for the whole file).

    `state_dir` keeps tools' incremental state (mypy's cache) between runs on the same repository.
    `baseline`, the report of the unpatched tree, makes a candidate's run execute the same tests.
    """
    settings = settings or ValidationSettings()
    snapshot = Snapshot.of(tree)
    with tempfile.TemporaryDirectory(prefix="maze-validate-") as scratch:
        workdir = Path(scratch) / "tree"
        workdir.mkdir()
        snapshot.copy_to(workdir)
        context = ToolContext(
            snapshot=snapshot,
            workdir=workdir,
            scratch=Path(scratch),
            changed=changed,
            sandbox=runner,
            tools=runner if runner is not None else _plain_runner(),
            settings=settings,
            cache=cache,
            state_dir=state_dir,
            baseline=baseline,
        )
        runs = [run for step in steps(settings, snapshot) if (run := step(context)) is not None]
    return Report(tuple(runs))
