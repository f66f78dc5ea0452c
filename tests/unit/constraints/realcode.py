"""Fragments of real code, cut at test time from pinned releases (click, rxjs) to test grammars against.

Python: simple statements, expressions, compound statements and function bodies from click's sources,
each taken whole from its lines, without comments or backslash continuations. TypeScript: statements
and expressions from rxjs's sources, cut with tree-sitter. The archives come from `benches.corpora`
(pinned URL and sha256, cached under `.maze/bench-cache/`).
"""

from __future__ import annotations

import ast
import io
import tarfile
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from benches.corpora import CLICK, RXJS, Archive, fetch

COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)


@dataclass(frozen=True)
class Fragment:
    text: str
    indent: str
    origin: str


@cache
def sources(archive: Archive, suffix: str) -> tuple[tuple[str, str], ...]:
    """(path, text) of the archive's files ending with `suffix`, in archive order."""
    found = []
    with tarfile.open(fetch(archive), mode="r:*") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(suffix):
                handle = tar.extractfile(member)
                if handle is not None:
                    found.append((member.name, handle.read().decode("utf-8")))
    return tuple(found)


def click_sources() -> tuple[tuple[str, str], ...]:
    return tuple(item for item in sources(CLICK, ".py") if "/src/" in item[0])


def rxjs_sources() -> tuple[tuple[str, str], ...]:
    return tuple(
        item for item in sources(RXJS, ".ts") if "/src/internal/" in item[0] and not item[0].endswith(".d.ts")
    )


def _unclean_lines(text: str) -> set[int]:
    """1-based lines holding a comment or ending in a backslash continuation."""
    lines = {number for number, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith("\\")}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            lines.add(token.start[0])
    return lines


def python_fragments(kind: str) -> Iterator[Fragment]:
    """`kind`: "statement" (simple), "expression", "block" (compound statement) or "body" (of a function)."""
    for path, text in click_sources():
        tree = ast.parse(text)
        lines = text.splitlines(keepends=True)
        unclean = _unclean_lines(text)
        for node in ast.walk(tree):
            yield from _pick(kind, node, lines, unclean, path)


def _whole_lines(node: ast.AST, lines: list[str], unclean: set[int]) -> tuple[str, str] | None:
    """(text, indentation) when `node` covers whole, clean lines; else None."""
    start, end = node.lineno, node.end_lineno or node.lineno
    if any(number in unclean for number in range(start, end + 1)):
        return None
    first = lines[start - 1]
    indent = first[: len(first) - len(first.lstrip(" "))]
    if node.col_offset != len(indent) or lines[end - 1][node.end_col_offset or 0 :].strip():
        return None
    return "".join(lines[start - 1 : end]), indent


def _pick(kind: str, node: ast.AST, lines: list[str], unclean: set[int], path: str) -> Iterator[Fragment]:
    origin = f"{path}:{getattr(node, 'lineno', 0)}"
    if (
        kind == "statement"
        and isinstance(node, ast.stmt)
        and not isinstance(node, (*COMPOUND, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match))
    ):
        found = _whole_lines(node, lines, unclean)
        if found is not None:
            yield Fragment(found[0][len(found[1]) :].rstrip("\n"), "", origin)
    elif kind == "block" and isinstance(node, COMPOUND):
        found = _whole_lines(node, lines, unclean)
        if found is not None and not found[0].lstrip().startswith("elif "):
            yield Fragment(found[0], found[1], origin)
    elif kind == "body" and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        first, last = node.body[0], node.body[-1]
        start, end = first.lineno, last.end_lineno or last.lineno
        if not any(number in unclean for number in range(start, end + 1)):
            text = "".join(lines[start - 1 : end])
            indent = lines[start - 1][: first.col_offset]
            if lines[start - 1][: first.col_offset].strip() == "":
                yield Fragment(text, indent, origin)
    elif (
        kind == "expression"
        and isinstance(node, ast.Assign | ast.Return | ast.Expr)
        and node.value is not None
    ):
        value = node.value
        if value.lineno == value.end_lineno and value.lineno not in unclean:
            segment = ast.get_source_segment("".join(lines), value)
            if (
                segment
                and not isinstance(value, ast.Tuple)
                and not isinstance(value, ast.Yield | ast.YieldFrom)
            ):
                yield Fragment(segment, "", origin)


TS_STATEMENTS = frozenset(
    {
        "lexical_declaration",
        "variable_declaration",
        "expression_statement",
        "return_statement",
        "throw_statement",
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "try_statement",
    }
)


def typescript_fragments(kind: str) -> Iterator[Fragment]:
    """`kind`: "statement" (whole lines, first line's indentation removed) or "expression" (initialisers,
    return values and call arguments)."""
    from tree_sitter import Node, Parser

    from maze.indexing.languages import get

    parser = Parser(get("typescript").ts_language)
    for path, text in rxjs_sources():
        data = text.encode("utf-8")
        lines = data.split(b"\n")
        pending: list[Node] = [parser.parse(data).root_node]
        while pending:
            node = pending.pop()
            pending.extend(reversed(node.children))
            if node.has_error or _has_comment(node):
                continue
            origin = f"{path}:{node.start_point.row + 1}"
            if kind == "statement" and node.type in TS_STATEMENTS:
                line = lines[node.start_point.row]
                end_line = lines[node.end_point.row]
                if line[: node.start_point.column].strip() or end_line[node.end_point.column :].strip():
                    continue
                yield Fragment(data[node.start_byte : node.end_byte].decode("utf-8"), "", origin)
            elif kind == "expression" and node.parent is not None and _expression_position(node):
                yield Fragment(data[node.start_byte : node.end_byte].decode("utf-8"), "", origin)


def _has_comment(node: object) -> bool:
    from tree_sitter import Node

    assert isinstance(node, Node)
    pending = [node]
    while pending:
        current = pending.pop()
        if current.type == "comment":
            return True
        pending.extend(current.children)
    return False


def _expression_position(node: object) -> bool:
    from tree_sitter import Node

    assert isinstance(node, Node) and node.parent is not None
    parent = node.parent
    if parent.type == "arguments":
        return node.is_named and node.type != "spread_element"
    if parent.type == "variable_declarator":
        return parent.child_by_field_name("value") == node
    if parent.type == "return_statement":
        return node.is_named
    return False


def typescript_parses(text: str, kind: str) -> bool:
    """Whether tree-sitter parses `text` (a statement, or an expression in `x = (...);`) without errors."""
    from tree_sitter import Parser

    from maze.indexing.languages import get

    source = text if kind == "statement" else f"x = (\n{text}\n);"
    tree = Parser(get("typescript").ts_language).parse(source.encode("utf-8"))
    return not tree.root_node.has_error
