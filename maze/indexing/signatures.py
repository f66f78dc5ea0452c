"""Signature text, parameters, return type and docstring of a definition node, across the grammars."""

from __future__ import annotations

from tree_sitter import Node

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
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


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
    start = node
    parent = node.parent
    if parent is not None and parent.type in _DECLARATION_WRAPPERS and parent.named_child_count == 1:
        start = parent
    body = function_node(node).child_by_field_name("body")
    if body is not None and body.start_byte > start.start_byte:
        header = source[start.start_byte : body.start_byte]
    else:
        header = source[start.start_byte : start.end_byte].split(b"\n", 1)[0]
    squashed = _squash(header.decode("utf-8", errors="replace")).rstrip(" {:;")
    return squashed[:MAX_SIGNATURE]


def type_text(node: Node | None) -> str | None:
    """Annotation text without the `:` TypeScript keeps in its type_annotation node."""
    if node is None:
        return None
    value = _squash(text(node)).removeprefix(":").strip()
    return value or None


def return_type(node: Node) -> str | None:
    function = function_node(node)
    return type_text(function.child_by_field_name("return_type") or function.child_by_field_name("result"))


def parameters(node: Node) -> tuple[Parameter, ...]:
    """Declared parameters in order; `self`/`&self` receivers included, Go's `a, b int` split in two."""
    function = function_node(node)
    params = function.child_by_field_name("parameters")
    if params is None:
        single = function.child_by_field_name("parameter")
        return (Parameter(text(single)),) if single is not None else ()
    result: list[Parameter] = []
    for child in params.named_children:
        if child.type in _SKIPPED_PARAMETERS:
            continue
        annotation = type_text(child.child_by_field_name("type"))
        if annotation is not None and child.type == "variadic_parameter_declaration":
            annotation = "..." + annotation
        names = child.children_by_field_name("name")
        if names:
            result.extend(Parameter(text(name), annotation) for name in names)
        elif child.type == "parameter_declaration":
            result.append(Parameter("", annotation))
        else:
            result.append(Parameter(_parameter_name(child), annotation))
    return tuple(result)


def _parameter_name(node: Node) -> str:
    pattern = node.child_by_field_name("pattern") or node.child_by_field_name("left")
    if pattern is not None:
        return text(pattern)
    if node.type == "typed_parameter" and node.named_children:
        return text(node.named_children[0])
    return _squash(text(node))


def docstring(node: Node) -> str | None:
    """First non-empty line of a Python docstring, if the body starts with a string statement."""
    body = node.child_by_field_name("body")
    if body is None or not body.named_children:
        return None
    first = body.named_children[0]
    if first.type != "expression_statement" or first.named_child_count != 1:
        return None
    string = first.named_children[0]
    if string.type != "string":
        return None
    content = "".join(text(part) for part in string.named_children if part.type == "string_content")
    for line in content.splitlines():
        if line.strip():
            return line.strip()
    return None
