"""ruff: lint with the repository's own configuration, and its S rules (bandit's checks) on changed lines.

ruff finds `pyproject.toml` ([tool.ruff]), `ruff.toml` and `.ruff.toml` in the tree itself; a tree without
any runs isolated with the rules Maze's finder uses (`maze.lint.ruff.DEFAULT_SELECT`), never with a
configuration from outside the tree.
"""

from __future__ import annotations

import json
import tomllib

from maze.lint.ruff import DEFAULT_SELECT, ruff_binary
from maze.validators.context import ToolContext
from maze.validators.model import Diagnostic, Severity, ToolOutput, ToolRun
from maze.validators.process import ToolFailed, host_version, repo_path, run_tool
from maze.validators.related_tests import is_test_file
from maze.validators.tree import PYTHON_SUFFIXES, Snapshot

LINT = "ruff"
SECURITY = "security"
CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml")
ASSERT_RULE = "S101"
"""`assert` is how tests check things: S101 is reported outside test code only."""
_FLAGS = ("check", "--output-format", "json", "--no-cache", "--force-exclude", "--exit-zero", "--quiet")


def _is_test_code(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return is_test_file(path) or name == "conftest.py" or any(d in f"/{path}" for d in ("/tests/", "/test/"))


def has_ruff_config(snapshot: Snapshot) -> bool:
    """Whether any ruff configuration file is in the tree (a pyproject.toml counts with [tool.ruff])."""
    for path in snapshot.files:
        name = path.rsplit("/", 1)[-1]
        if name in ("ruff.toml", ".ruff.toml"):
            return True
        if name == "pyproject.toml":
            try:
                data = tomllib.loads(snapshot.read_text(path))
            except tomllib.TOMLDecodeError:
                continue
            if isinstance(data.get("tool"), dict) and "ruff" in data["tool"]:
                return True
    return False


def version() -> str:
    return host_version((ruff_binary(), "--version"))


def _parse(stdout: bytes, context: ToolContext, tool: str, severity: Severity) -> tuple[Diagnostic, ...]:
    try:
        items = json.loads(stdout or b"[]")
    except json.JSONDecodeError as error:
        raise ToolFailed(f"ruff printed no JSON report: {stdout[:200]!r}") from error
    found: list[Diagnostic] = []
    for item in items:
        path = repo_path(str(item.get("filename", "")), context.workdir)
        if path is None:
            continue
        start, end = item["location"], item["end_location"]
        code = item.get("code")
        found.append(
            Diagnostic(
                tool=tool,
                path=path,
                start_line=int(start["row"]),
                start_column=int(start["column"]),
                end_line=int(end["row"]),
                end_column=int(end["column"]),
                code=str(code or "syntax-error"),
                message=str(item["message"]),
                severity=severity,
            )
        )
    return tuple(sorted(found))


def _run(context: ToolContext, tool: str, select: tuple[str, ...], severity: Severity) -> ToolRun | None:
    files = context.changed_files(PYTHON_SUFFIXES)
    if not files:
        return None
    configured = has_ruff_config(context.snapshot)
    isolated = () if configured else ("--isolated",)
    if not select and not configured:
        select = ("--select", ",".join(DEFAULT_SELECT))
    argv = (ruff_binary(), *_FLAGS, *isolated, *select, "--", *files)

    def produce() -> ToolOutput:
        result = run_tool(
            context.tools, context.workdir, argv, tool=tool, limits=context.settings.limits_for(tool)
        )
        return ToolOutput(_parse(result.stdout, context, tool, severity))

    return context.run_cached(
        tool,
        version(),
        config_hash=context.snapshot.config_hash(CONFIG_FILES, extra=(*_FLAGS, *isolated, *select)),
        content_hash=context.snapshot.content_hash(files, extra=files),
        produce=produce,
        targets=tuple(files),
    )


def lint(context: ToolContext) -> ToolRun | None:
    """ruff on the changed Python files; None when no Python file changed."""
    return _run(context, LINT, (), Severity.ERROR)


def security(context: ToolContext) -> ToolRun | None:
    """ruff's S rules on the changed Python files, kept only where they touch a changed line."""
    run = _run(context, SECURITY, ("--select", "S"), Severity.WARNING)
    if run is None or not run.ran:
        return run
    kept = tuple(
        d
        for d in run.diagnostics
        if context.on_changed_line(d) and not (d.code == ASSERT_RULE and _is_test_code(d.path))
    )
    return ToolRun.of(
        SECURITY, run.version, ToolOutput(kept), seconds=run.seconds, cached=run.cached, targets=run.targets
    )
