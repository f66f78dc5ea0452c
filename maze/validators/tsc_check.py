"""TypeScript: `tsc --noEmit -p tsconfig.json` on a tree whose root has a tsconfig.json.

tsc checks the whole project its tsconfig.json describes (types cross files), so every diagnostic of
the project is reported; the differential verdict compares them with the baseline's.
"""

from __future__ import annotations

import re

from maze.validators.context import ToolContext
from maze.validators.model import Diagnostic, Severity, ToolOutput, ToolRun
from maze.validators.node_tools import NOT_INSTALLED, find
from maze.validators.process import ToolFailed, repo_path, run_tool

TOOL = "tsc"
SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".json")
CHANGED_SUFFIXES = (".ts", ".tsx", ".mts", ".cts")
CONFIG_FILES = ("tsconfig.json", "package.json")
_FLAGS = ("--noEmit", "-p", "tsconfig.json", "--pretty", "false")
_KIND = r"(?P<severity>error|warning|message) (?P<code>TS\d+): (?P<message>.*)$"
_LINE = re.compile(r"^(?P<path>.+?)\((?P<line>\d+),(?P<column>\d+)\): " + _KIND)
_GENERAL = re.compile(r"^" + _KIND)
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "message": Severity.NOTE}


def parse(stdout: bytes, context: ToolContext) -> tuple[Diagnostic, ...]:
    """Diagnostics from `--pretty false` output; one without a location is placed on tsconfig.json."""
    found: list[Diagnostic] = []
    for line in stdout.decode("utf-8", "replace").splitlines():
        located = _LINE.match(line)
        if located is not None:
            path = repo_path(located["path"], context.workdir)
            row, column = int(located["line"]), int(located["column"])
        elif (general := _GENERAL.match(line)) is not None:
            located, path, row, column = general, "tsconfig.json", 1, 1
        else:
            continue
        if path is not None:
            severity = _SEVERITIES[located["severity"]]
            found.append(
                Diagnostic(
                    TOOL, path, row, column, row, column, located["code"], located["message"], severity
                )
            )
    return tuple(sorted(found))


def check(context: ToolContext) -> ToolRun | None:
    """tsc's diagnostics for the project, when a TypeScript file changed; None otherwise."""
    if not context.changed_files(CHANGED_SUFFIXES):
        return None
    if not context.snapshot.has("tsconfig.json"):
        return ToolRun.skipped(TOOL, "no tsconfig.json at the repository root")
    tool = find(TOOL, context.tools, context.settings.node_tools)
    if tool is None:
        return ToolRun.skipped(TOOL, NOT_INSTALLED)
    argv = (*tool.argv, *_FLAGS)

    def produce() -> ToolOutput:
        result = run_tool(
            context.tools,
            context.workdir,
            argv,
            tool=TOOL,
            limits=context.settings.limits_for(TOOL),
            ok_codes=(0, 1, 2),
            mounts=tool.mounts,
        )
        found = parse(result.stdout, context)
        if result.exit_code != 0 and not found:
            raise ToolFailed(f"tsc exited with {result.exit_code}: {result.stdout[-400:]!r}")
        return ToolOutput(found)

    return context.run_cached(
        TOOL,
        tool.version,
        config_hash=context.snapshot.config_hash(CONFIG_FILES, extra=_FLAGS),
        content_hash=context.snapshot.content_hash(context.snapshot.paths(SUFFIXES)),
        produce=produce,
    )
