"""Signature text, parameters, return type and docstring of a definition node, across the grammars.

The public functions take a node alone. The extractor calls the `*_of` variants, which take what it
already has at hand (the parent, the function node, the file's bytes) so no node is looked up twice;
both give the same results.
"""

from __future__ import annotations

from tree_sitter import Node

from maze.indexing.codec import ParameterRow
from maze.indexing.model import Parameter

MAX_SIGNATURE = 300

_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})
_DECLARATION_WRAPPERS = frozenset(
    {
        "type_declaration",
        "const_declaration",
        "var_declaration",
        "lexical_declaration",
        "variable_declaration",
    }
)
_SKIPPED_PARAMETERS = frozenset(
    {"comment", "line_comment", "block_comment", "positional_separator", "keyword_separator"}
)


def text(node: Node | None) -> str:
    """The node's source text; invalid UTF-8 is replaced, never raised."""
    if node is None:
        return ""
    value = node.text
    return "" if value is None else value.decode("utf-8", errors="replace")


def source_text(node: Node | None, source: bytes | None) -> str:
    """`text(node)` read from `source`, the bytes the tree was parsed from (faster than `node.text`)."""
    if source is None:
        return text(node)
    if node is None:
        return ""
    return source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _squash(value: str) -> str:
    return " ".join(value.split())


def function_node(node: Node) -> Node:
    """The node with parameters and body: `node`, or the function in `const f = () => ...`."""
    value = node.child_by_field_name("value")
    if value is not None and value.type in _FUNCTION_VALUES:
        return value
    return node


def signature(node: Node, source: bytes) -> str:
    """The definition's header up to its body, on one line: `def f(a: int) -> str`, `pub struct Point`."""
    return signature_of(node, node.parent, function_node(node), source)


def signature_of(node: Node, parent: Node | None, function: Node, source: bytes) -> str:
    """`signature(node, source)`, given the node's parent and its `function_node`."""
    start = node
    if parent is not None and parent.type in _DECLARATION_WRAPPERS and parent.named_child_count == 1:
        start = parent
    begin = start.start_byte
    body = function.child_by_field_name("body")
    if body is not None and body.start_byte > begin:
        header = source[begin : body.start_byte]
    else:
        end = start.end_byte
        newline = source.find(b"\n", begin, end)
        header = source[begin : end if newline < 0 else newline]
    squashed = _squash(header.decode("utf-8", errors="replace")).rstrip(" {:;")
    return squashed[:MAX_SIGNATURE]


def type_text(node: Node | None, source: bytes | None = None) -> str | None:
    """Annotation text without the `:` TypeScript keeps in its type_annotation node."""
    if node is None:
        return None
    value = _squash(source_text(node, source)).removeprefix(":").strip()
    return value or None


def return_type(node: Node) -> str | None:
    return return_type_of(function_node(node))


def return_type_of(function: Node, source: bytes | None = None) -> str | None:
    """`return_type` of a node whose `function_node` is `function`."""
    return type_text(
        function.child_by_field_name("return_type") or function.child_by_field_name("result"), source
    )


def parameters(node: Node) -> tuple[Parameter, ...]:
    """Declared parameters in order; `self`/`&self` receivers included, Go's `a, b int` split in two."""
    return tuple(Parameter(name, annotation) for name, annotation in parameters_of(function_node(node)))


def parameters_of(function: Node, source: bytes | None = None) -> list[ParameterRow]:
    """`parameters` of a node whose `function_node` is `function`, as (name, type) rows."""
    params = function.child_by_field_name("parameters")
    if params is None:
        single = function.child_by_field_name("parameter")
        return [(source_text(single, source), None)] if single is not None else []
    result: list[ParameterRow] = []
    for child in params.named_children:
        kind = child.type
        if kind in _SKIPPED_PARAMETERS:
            continue
        if child.child_count == 0:
            # A leaf (Python's bare `self`) has no fields: no type, no name, no pattern.
            name = "" if kind == "parameter_declaration" else _squash(source_text(child, source))
            result.append((name, None))
            continue
        annotation = type_text(child.child_by_field_name("type"), source)
        if annotation is not None and kind == "variadic_parameter_declaration":
            annotation = "..." + annotation
        names = child.children_by_field_name("name")
        if names:
            result.extend((source_text(name, source), annotation) for name in names)
        elif kind == "parameter_declaration":
            result.append(("", annotation))
        else:
            result.append((_parameter_name(child, source), annotation))
    return result


def _parameter_name(node: Node, source: bytes | None) -> str:
    pattern = node.child_by_field_name("pattern") or node.child_by_field_name("left")
    if pattern is not None:
        return source_text(pattern, source)
    if node.type == "typed_parameter" and node.named_child_count:
        return source_text(node.named_child(0), source)
    return _squash(source_text(node, source))


def docstring(node: Node, source: bytes | None = None) -> str | None:
    """First non-empty line of a Python docstring, if the body starts with a string statement."""
    body = node.child_by_field_name("body")
    if body is None or not body.named_child_count:
        return None
    first = body.named_child(0)
    if first is None or first.type != "expression_statement" or first.named_child_count != 1:
        return None
    string = first.named_child(0)
    if string is None or string.type != "string":
        return None
    content = "".join(
        source_text(part, source) for part in string.named_children if part.type == "string_content"
    )
    for line in content.splitlines():
        if line.strip():
            return line.strip()
    return None
