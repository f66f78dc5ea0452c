"""Python syntax through tree-sitter: parse errors and the symbol enclosing a line."""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from functools import cache

import tree_sitter_python
from tree_sitter import Language, Node, Parser

_SCOPES = {"function_definition": "def", "class_definition": "class"}


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    message: str


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_python.language()))


def parse(source: str) -> Node:
    return _parser().parse(source.encode("utf-8")).root_node


def tree_sitter_errors(source: str) -> list[SyntaxProblem]:
    """Every ERROR or MISSING node, as a 1-based line and what was wrong."""
    problems: list[SyntaxProblem] = []
    stack = [parse(source)]
    while stack:
        node = stack.pop()
        if not node.has_error:
            continue
        if node.is_missing:
            problems.append(SyntaxProblem(node.start_point.row + 1, f"missing {node.type}"))
        elif node.type == "ERROR":
            problems.append(SyntaxProblem(node.start_point.row + 1, "unexpected syntax"))
        stack.extend(node.children)
    return sorted(problems, key=lambda p: p.line)


def python_parser_error(source: str, path: str) -> SyntaxProblem | None:
    """The first error CPython's own parser reports; the code is parsed, never compiled or run."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            ast.parse(source, filename=path)
    except SyntaxError as error:
        return SyntaxProblem(error.lineno or 0, error.msg)
    return None


def enclosing_symbol(source: str, line: int) -> str:
    """Dotted name of the innermost class or function around 1-based `line`; "" at module level."""
    names: list[str] = []
    node: Node | None = parse(source)
    row = line - 1
    while node is not None:
        inner = next(
            (child for child in node.named_children if child.start_point.row <= row <= child.end_point.row),
            None,
        )
        if inner is not None and inner.type in _SCOPES:
            name = inner.child_by_field_name("name")
            if name is not None and name.text is not None:
                names.append(name.text.decode("utf-8", "replace"))
        node = inner
    return ".".join(names)
