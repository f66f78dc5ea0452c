"""Turn `@import` query matches into Import records, including Rust's nested `use` trees."""

from __future__ import annotations

from tree_sitter import Node

from maze.indexing.model import Import
from maze.indexing.signatures import text

Captures = dict[str, list[Node]]

_QUOTES = "\"'`"


def _line(node: Node) -> int:
    return node.start_point.row + 1


def _first(captures: Captures, name: str) -> Node | None:
    nodes = captures.get(name)
    return nodes[0] if nodes else None


def from_matches(matches: list[Captures]) -> list[Import]:
    """One Import per match; a bare-module match is dropped when its statement also imports names."""
    named_statements = set()
    for captures in matches:
        statement = _first(captures, "import")
        if statement is not None and _is_named(captures):
            named_statements.add(statement.id)
    result: list[Import] = []
    for captures in matches:
        statement = _first(captures, "import")
        if statement is None:
            continue
        tree = _first(captures, "import.tree")
        if tree is not None:
            result.extend(rust_use_tree(tree, ""))
            continue
        if not _is_named(captures) and statement.id in named_statements:
            continue
        result.append(_record(captures, statement))
    return result


def _is_named(captures: Captures) -> bool:
    return any(key in captures for key in ("import.name", "import.default", "import.namespace"))


def _record(captures: Captures, statement: Node) -> Import:
    module_node = _first(captures, "import.module")
    module = text(module_node).strip(_QUOTES)
    alias_node = _first(captures, "import.alias")
    name_node = _first(captures, "import.name")
    if name_node is not None:
        name = text(name_node)
    elif "import.default" in captures:
        name, alias_node = "default", _first(captures, "import.default")
    elif "import.namespace" in captures:
        name, alias_node = "*", _first(captures, "import.namespace")
    else:
        name = module
    anchor = name_node or alias_node or module_node or statement
    return Import(name, module, text(alias_node) if alias_node is not None else None, _line(anchor))


def _join(prefix: str, path: str) -> str:
    return f"{prefix}::{path}" if prefix and path else prefix or path


def rust_use_tree(node: Node, prefix: str) -> list[Import]:
    """`use a::{b, c::d as e, f::*}` -> (a, b), (a::c, d, alias e), (a::f, *)."""
    kind = node.type
    if kind == "scoped_identifier":
        module = _join(prefix, text(node.child_by_field_name("path")))
        return [Import(text(node.child_by_field_name("name")), module, None, _line(node))]
    if kind == "use_as_clause":
        path = node.child_by_field_name("path")
        alias = text(node.child_by_field_name("alias"))
        inner = rust_use_tree(path, prefix) if path is not None else []
        return [Import(item.name, item.module, alias, item.line) for item in inner]
    if kind == "use_wildcard":
        path = node.named_children[0] if node.named_children else None
        return [Import("*", _join(prefix, text(path)), None, _line(node))]
    if kind == "scoped_use_list":
        inner_prefix = _join(prefix, text(node.child_by_field_name("path")))
        items = node.child_by_field_name("list")
        return rust_use_tree(items, inner_prefix) if items is not None else []
    if kind == "use_list":
        return [item for child in node.named_children for item in rust_use_tree(child, prefix)]
    if kind in {"line_comment", "block_comment"}:
        return []
    name = text(node)
    return [Import(name, prefix or name, None, _line(node))]
