"""pyright on the changed Python files, with the repository's pyrightconfig.json or [tool.pyright].

The interpreter pyright asks for import paths is always Maze's own (`--pythonpath`), never one the
repository's configuration names, so no repository program runs even without a sandbox.
"""

from __future__ import annotations

import json
import sys
import tomllib

from maze.validators.context import ToolContext
from maze.validators.model import Diagnostic, Severity, ToolOutput, ToolRun
from maze.validators.node_tools import NOT_INSTALLED, find
from maze.validators.process import ToolFailed, repo_path, run_tool
from maze.validators.tree import PYTHON_SUFFIXES, Snapshot

TOOL = "pyright"
CONFIG_FILES = ("pyrightconfig.json", "pyproject.toml")
_FLAGS = ("--outputjson", "--pythonpath", sys.executable)
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "information": Severity.NOTE}


def configured(snapshot: Snapshot) -> bool:
    """Whether the repository configures pyright (pyrightconfig.json, or [tool.pyright] in pyproject.toml)."""
    if snapshot.has("pyrightconfig.json"):
        return True
    if not snapshot.has("pyproject.toml"):
        return False
    try:
        tool = tomllib.loads(snapshot.read_text("pyproject.toml")).get("tool", {})
    except tomllib.TOMLDecodeError:
        return False
    return isinstance(tool, dict) and "pyright" in tool


def parse(stdout: bytes, context: ToolContext) -> tuple[Diagnostic, ...]:
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise ToolFailed(f"pyright printed no JSON report: {stdout[:200]!r}") from error
    found: list[Diagnostic] = []
    for item in report.get("generalDiagnostics", []):
        path = repo_path(str(item.get("file", "")), context.workdir)
        if path is None:
            continue
        start = item.get("range", {}).get("start", {"line": 0, "character": 0})
        end = item.get("range", {}).get("end", start)
        found.append(
            Diagnostic(
                tool=TOOL,
                path=path,
                start_line=int(start["line"]) + 1,
                start_column=int(start["character"]) + 1,
                end_line=int(end["line"]) + 1,
                end_column=int(end["character"]) + 1,
                code=str(item.get("rule") or item.get("severity") or "error"),
                message=str(item.get("message", "")),
                severity=_SEVERITIES.get(str(item.get("severity")), Severity.ERROR),
            )
        )
    return tuple(sorted(found))


def check(context: ToolContext) -> ToolRun | None:
    """pyright's diagnostics for the changed Python files; skipped when pyright is not installed."""
    files = context.changed_files(PYTHON_SUFFIXES)
    if not files:
        return None
    tool = find(TOOL, context.tools, context.settings.node_tools)
    if tool is None:
        return ToolRun.skipped(TOOL, NOT_INSTALLED)
    # pyright takes no "--": "./" keeps a file named like an option from being read as one.
    argv = (*tool.argv, *_FLAGS, *(f"./{path}" for path in files))

    def produce() -> ToolOutput:
        result = run_tool(
            context.tools,
            context.workdir,
            argv,
            tool=TOOL,
            limits=context.settings.limits_for(TOOL),
            mounts=tool.mounts,
        )
        return ToolOutput(parse(result.stdout, context))

    return context.run_cached(
        TOOL,
        tool.version,
        config_hash=context.snapshot.config_hash(CONFIG_FILES, extra=_FLAGS),
        content_hash=context.snapshot.content_hash(context.snapshot.paths(PYTHON_SUFFIXES), extra=files),
        produce=produce,
        targets=tuple(files),
    )
