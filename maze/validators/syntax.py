"""Syntax: tree-sitter's ERROR and MISSING nodes in every indexer language, and CPython's parser for Python.

Both parse only; nothing is compiled or run, so this validator needs no sandbox and no process.
"""

from __future__ import annotations

import ast
import importlib.metadata
import time
import warnings

import tree_sitter
from tree_sitter import Node

from maze.indexing.languages import detect, get
from maze.validators.context import ToolContext
from maze.validators.model import Diagnostic, Severity, ToolRun

TOOL = "syntax"


def _version() -> str:
    return f"tree-sitter {importlib.metadata.version('tree-sitter')}"


def _column(lines: list[bytes], row: int, byte_column: int) -> int:
    """tree-sitter's byte column as a 1-based code-point column."""
    line = lines[row] if row < len(lines) else b""
    return len(line[:byte_column].decode("utf-8", "replace")) + 1


def tree_sitter_diagnostics(path: str, source: bytes, language: str) -> list[Diagnostic]:
    """The outermost ERROR and MISSING nodes of the parse tree."""
    root = tree_sitter.Parser(get(language).ts_language).parse(source).root_node
    lines = source.split(b"\n")
    found: list[Diagnostic] = []
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if node.is_missing or node.type == "ERROR":
            missing = node.is_missing
            found.append(
                Diagnostic(
                    tool=TOOL,
                    path=path,
                    start_line=node.start_point.row + 1,
                    start_column=_column(lines, node.start_point.row, node.start_point.column),
                    end_line=node.end_point.row + 1,
                    end_column=_column(lines, node.end_point.row, node.end_point.column),
                    code="missing" if missing else "unexpected",
                    message=f"{language}: missing {node.type}"
                    if missing
                    else f"{language}: unexpected syntax",
                )
            )
        elif node.has_error:
            stack.extend(node.children)
    return sorted(found)


def python_parser_diagnostic(path: str, source: bytes) -> Diagnostic | None:
    """The first error CPython's parser reports, if any."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            ast.parse(source, filename=path)
    except SyntaxError as error:
        line = error.lineno or 1
        column = error.offset or 1
        return Diagnostic(
            tool=TOOL,
            path=path,
            start_line=line,
            start_column=column,
            end_line=error.end_lineno or line,
            end_column=max(error.end_offset or column, column),
            code="python",
            message=f"python: {error.msg}",
        )
    except ValueError as error:
        return Diagnostic(TOOL, path, 1, 1, 1, 1, "python", f"python: {error}", Severity.ERROR)
    return None


def check(context: ToolContext) -> ToolRun | None:
    """Syntax problems of every changed file in an indexer language; None when no such file changed."""
    started = time.perf_counter()
    found: list[Diagnostic] = []
    checked = 0
    for path in sorted(p for p in context.changed if context.snapshot.has(p)):
        source = (context.snapshot.root / path).read_bytes()
        language = detect(path, source.split(b"\n", 1)[0])
        if language is None:
            continue
        checked += 1
        found.extend(tree_sitter_diagnostics(path, source, language))
        if language == "python":
            parsed = python_parser_diagnostic(path, source)
            found.extend([parsed] if parsed is not None else [])
    if not checked:
        return None
    return ToolRun(TOOL, _version(), diagnostics=tuple(found), seconds=time.perf_counter() - started)
