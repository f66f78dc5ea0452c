"""Go scopes: package-level declarations seen everywhere, block-scoped locals from their line on, methods.

An import binds its alias, or the package name guessed from the path as Go's conventions write it
(`github.com/jackc/pgx/v5` -> pgx, `gopkg.in/yaml.v3` -> yaml); blank and dot imports bind nothing.
"""

from __future__ import annotations

import re
from functools import cache

from tree_sitter import Node

from maze.indexing import builtin_names
from maze.indexing.scopes.base import (
    Binding,
    Collected,
    Member,
    Rules,
    ScopedName,
    ScopeKind,
    ancestors,
    bound_after,
    find_container,
    line_of,
    merge_members,
    without_parentheses,
)
from maze.indexing.signatures import return_type, signature, text, type_text

_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
_HEADERS = frozenset(
    {
        "if_statement",
        "for_statement",
        "expression_switch_statement",
        "type_switch_statement",
        "select_statement",
    }
)
_LITERALS = {
    "int_literal": "int",
    "float_literal": "float64",
    "imaginary_literal": "complex128",
    "rune_literal": "rune",
    "interpreted_string_literal": "string",
    "raw_string_literal": "string",
    "true": "bool",
    "false": "bool",
}
_BUILTIN_TYPES = frozenset(name for name, kind in builtin_names.GO if kind == "type")
_MAJOR_VERSION = re.compile(r"^v[0-9]+$")


def collect(root: Node, anchor: Node, row: int, source: bytes) -> Collected:
    line = row + 1
    found = Collected()
    for node, child in ancestors(anchor):
        kind = node.type
        if kind in _FUNCTIONS:
            found.frames.append(_signature_bindings(node))
        elif kind in {"statement_list", "block"}:
            found.frames.append([item for item in _locals(node, child, source) if item.visible_at(line)])
        elif kind in _HEADERS:
            found.frames.append([item for item in _header(node, child) if item.visible_at(line)])
        elif kind == "type_spec":
            found.frames.append(_type_parameters(node))
        elif kind == "communication_case":
            communication = node.child_by_field_name("communication")
            found.frames.append(_short_declaration(communication) if communication is not None else [])
        elif kind == "source_file":
            found.frames.append(_package(node, source))
        name = _definition_name(node)
        if name:
            found.enclosing.append(name)
    found.enclosing.reverse()
    return found


def _definition_name(node: Node) -> str:
    if node.type == "method_declaration":
        return f"{_receiver_type(node)}.{text(node.child_by_field_name('name'))}".lstrip(".")
    if node.type in {"function_declaration", "type_spec"}:
        return text(node.child_by_field_name("name"))
    return ""


def _receiver_type(method: Node) -> str:
    """`Repo` for `func (r *Repo[T]) ...`."""
    receiver = method.child_by_field_name("receiver")
    stack = [receiver] if receiver is not None else []
    while stack:
        current = stack.pop()
        if current.type == "type_identifier":
            return text(current)
        stack.extend(reversed(current.named_children))
    return ""


# Declarations.


def _package(root: Node, source: bytes) -> list[Binding]:
    """Package-level functions, types, variables, constants and imports; methods belong to their type."""
    result: list[Binding] = []
    for declaration in root.named_children:
        if declaration.type == "function_declaration":
            name = declaration.child_by_field_name("name")
            if name is not None:
                result.append(
                    Binding(
                        text(name), "module", signature(declaration, source), line_of(name), declared=True
                    )
                )
        elif declaration.type == "import_declaration":
            result.extend(_imports(declaration))
        else:
            result.extend(_declaration(declaration, "module", source))
    return result


def _locals(node: Node, child: Node | None, source: bytes) -> list[Binding]:
    """Declarations in a statement list; a block is read here only when the line is not in its list."""
    if node.type == "block" and child is not None and child.type == "statement_list":
        return []
    statements = node.named_children
    if node.type == "block":
        statements = [
            item for part in statements if part.type == "statement_list" for item in part.named_children
        ]
    return [binding for statement in statements for binding in _statement(statement, source)]


def _statement(node: Node, source: bytes) -> list[Binding]:
    if node.type == "short_var_declaration":
        return _short_declaration(node)
    return _declaration(node, "local", source)


def _declaration(node: Node, kind: ScopeKind, source: bytes) -> list[Binding]:
    """`var`, `const` and `type` declarations, grouped or not."""
    if node.type not in {"var_declaration", "const_declaration", "type_declaration"}:
        return []
    specs = [
        spec
        for child in node.named_children
        for spec in (child.named_children if child.type == "var_spec_list" else [child])
    ]
    result: list[Binding] = []
    for spec in specs:
        if spec.type in {"type_spec", "type_alias"}:
            name = spec.child_by_field_name("name")
            if name is not None:
                result.append(
                    Binding(text(name), kind, signature(spec, source), line_of(name), declared=True)
                )
        elif spec.type in {"var_spec", "const_spec"}:
            result.extend(_spec(spec, kind))
    return result


def _spec(spec: Node, kind: ScopeKind) -> list[Binding]:
    names = spec.children_by_field_name("name")
    declared = type_text(spec.child_by_field_name("type"))
    values = spec.child_by_field_name("value")
    inferred = _paired_types(len(names), values)
    bindings = [
        Binding(text(name), kind, declared or inferred[index], line_of(name), declared=declared is not None)
        for index, name in enumerate(names)
        if text(name) != "_"
    ]
    return bound_after(bindings, spec)


def _short_declaration(node: Node) -> list[Binding]:
    """`a, b := 1, "s"`, and the `v := <-ch` of a select case; a plain `=` binds nothing."""
    if not any(child.type == ":=" for child in node.children):
        return []
    left = node.child_by_field_name("left")
    names = [child for child in left.named_children if child.type == "identifier"] if left is not None else []
    inferred = _paired_types(len(names), node.child_by_field_name("right"))
    bindings = [
        Binding(text(name), "local", inferred[index], line_of(name))
        for index, name in enumerate(names)
        if text(name) != "_"
    ]
    return bound_after(bindings, node)


def _paired_types(count: int, values: Node | None) -> list[str | None]:
    expressions = (
        list(values.named_children) if values is not None and values.type == "expression_list" else []
    )
    if values is not None and values.type != "expression_list":
        expressions = [values]
    if len(expressions) != count:
        return [None] * count
    return [infer(expression) for expression in expressions]


def _header(node: Node, child: Node | None) -> list[Binding]:
    """Names an `if`/`for`/`switch` header declares, visible in the statement's blocks and cases."""
    result: list[Binding] = []
    initializer = node.child_by_field_name("initializer")
    if initializer is not None:
        result.extend(_short_declaration(initializer))
    for clause in node.named_children:
        if clause.type == "for_clause":
            inner = clause.child_by_field_name("initializer")
            result.extend(_short_declaration(inner) if inner is not None else [])
        elif clause.type == "range_clause":
            result.extend(Binding(item.name, "local", None, item.line) for item in _short_declaration(clause))
    alias = node.child_by_field_name("alias")
    if node.type == "type_switch_statement" and alias is not None:
        types = (
            child.children_by_field_name("type") if child is not None and child.type == "type_case" else []
        )
        type_ = text(types[0]) if len(types) == 1 and text(types[0]) != "nil" else None
        result.extend(
            Binding(text(name), "local", type_, line_of(name))
            for name in alias.named_children
            if text(name) != "_"
        )
    return result


def _signature_bindings(function: Node) -> list[Binding]:
    """Receiver, parameters, named results and type parameters of a function, method or literal."""
    result: list[Binding] = []
    for field in ("receiver", "parameters", "result"):
        params = function.child_by_field_name(field)
        if params is None or params.type != "parameter_list":
            continue
        for param in params.named_children:
            type_ = type_text(param.child_by_field_name("type"))
            if param.type == "variadic_parameter_declaration" and type_ is not None:
                type_ = f"[]{type_}"
            for name in param.children_by_field_name("name"):
                if text(name) != "_":
                    result.append(
                        Binding(text(name), "parameter", type_, line_of(name), declared=type_ is not None)
                    )
    return result + _type_parameters(function) + _receiver_type_parameters(function)


def _type_parameters(node: Node) -> list[Binding]:
    """`[T any, K comparable]` of a generic function or type, with the constraint as the type."""
    params = node.child_by_field_name("type_parameters")
    result: list[Binding] = []
    for param in params.named_children if params is not None else []:
        constraint = type_text(param.child_by_field_name("type"))
        names = param.children_by_field_name("name")
        result.extend(Binding(text(name), "type_parameter", constraint, line_of(name)) for name in names)
    return result


def _receiver_type_parameters(method: Node) -> list[Binding]:
    """The T and K a method on `*List[T, K]` names for its type's parameters."""
    receiver = method.child_by_field_name("receiver")
    stack = [receiver] if receiver is not None else []
    while stack:
        current = stack.pop()
        if current.type == "type_arguments":
            names = [
                part.named_children[0] if part.type == "type_elem" and part.named_children else part
                for part in current.named_children
            ]
            return [
                Binding(text(name), "type_parameter", None, line_of(name))
                for name in names
                if name.type == "type_identifier"
            ]
        stack.extend(current.named_children)
    return []


def _imports(declaration: Node) -> list[Binding]:
    specs = [
        spec
        for child in declaration.named_children
        for spec in (child.named_children if child.type == "import_spec_list" else [child])
    ]
    result = []
    for spec in specs:
        if spec.type != "import_spec":
            continue
        path = text(spec.child_by_field_name("path")).strip('"`')
        alias = spec.child_by_field_name("name")
        if alias is not None and alias.type != "package_identifier":
            continue
        name = text(alias) if alias is not None else package_name(path)
        if name:
            result.append(Binding(name, "import", None, line_of(spec), path))
    return result


def package_name(path: str) -> str:
    """The package name an import path conventionally declares."""
    parts = [part for part in path.split("/") if part]
    if len(parts) > 1 and _MAJOR_VERSION.match(parts[-1]):
        parts.pop()
    last = parts[-1] if parts else ""
    last = re.sub(r"\.v[0-9]+$", "", last).removeprefix("go-").removesuffix("-go").removesuffix(".go")
    return last.replace("-", "_").replace(".", "_")


# Types.


def infer(node: Node | None) -> str | None:
    """Literals, `T{}`, `&T{}`, `new(T)`, `make(T, n)`, conversions to builtin types, func literals."""
    node = without_parentheses(node)
    if node is None:
        return None
    kind = node.type
    if kind in _LITERALS:
        return _LITERALS[kind]
    if kind == "composite_literal":
        return type_text(node.child_by_field_name("type"))
    if kind == "unary_expression" and text(node.child_by_field_name("operator")) == "&":
        operand = node.child_by_field_name("operand")
        inner = infer(operand) if operand is not None and operand.type == "composite_literal" else None
        return f"*{inner}" if inner else None
    if kind == "func_literal":
        body = node.child_by_field_name("body")
        end = body.start_byte if body is not None else node.end_byte
        header = (node.text or b"")[: end - node.start_byte].decode("utf-8", errors="replace")
        return " ".join(header.split()) or None
    if kind == "call_expression":
        function = text(node.child_by_field_name("function"))
        arguments = node.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        if function == "new" and first is not None:
            return f"*{text(first)}"
        if function == "make" and first is not None:
            return text(first)
        if function in _BUILTIN_TYPES and arguments is not None and arguments.named_child_count == 1:
            return function
    return None


# Members.


def members(root: Node, container: str, source: bytes) -> list[Member]:
    specs = [(text(node.child_by_field_name("name")), node) for node in _type_specs(root)]
    matches = find_container(specs, container)
    name = text(matches[0].child_by_field_name("name")) if matches else container.rsplit(".", 1)[-1]
    found: list[Member] = []
    type_node = matches[0].child_by_field_name("type") if matches else None
    if type_node is not None and type_node.type == "struct_type":
        found.extend(_fields(type_node))
    elif type_node is not None and type_node.type == "interface_type":
        for element in type_node.named_children:
            method = element.child_by_field_name("name")
            if element.type == "method_elem" and method is not None:
                result = element.child_by_field_name("result")
                header = " ".join(text(element).split())
                found.append(Member(text(method), "method", type_text(result), header, line_of(method)))
    for declaration in root.named_children:
        method = declaration.child_by_field_name("name")
        if (
            declaration.type == "method_declaration"
            and method is not None
            and _receiver_type(declaration) == name
        ):
            found.append(
                Member(
                    text(method),
                    "method",
                    return_type(declaration),
                    signature(declaration, source),
                    line_of(method),
                )
            )
    return merge_members(found)


def _type_specs(root: Node) -> list[Node]:
    result = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "type_spec":
            result.append(node)
        elif (
            node.type in {"source_file", "type_declaration", "block", "statement_list"}
            or node.type in _FUNCTIONS
        ):
            stack.extend(reversed(node.named_children))
    return result


def _fields(struct: Node) -> list[Member]:
    """Named fields, and embedded ones under their type's name (`*pg.Conn` -> Conn)."""
    result: list[Member] = []
    for fields in struct.named_children:
        for declaration in fields.named_children if fields.type == "field_declaration_list" else []:
            if declaration.type != "field_declaration":
                continue
            type_ = type_text(declaration.child_by_field_name("type"))
            names = declaration.children_by_field_name("name")
            if names:
                result.extend(Member(text(name), "field", type_, None, line_of(name)) for name in names)
            elif type_ is not None:
                embedded = type_.split("[", 1)[0].rsplit(".", 1)[-1]
                pointer = "*" if any(child.type == "*" for child in declaration.children) else ""
                result.append(Member(embedded, "field", pointer + type_, None, line_of(declaration)))
    return result


# Builtins.


@cache
def builtins() -> tuple[ScopedName, ...]:
    return tuple(
        sorted(
            (ScopedName(name, "builtin", type_, None) for name, type_ in builtin_names.GO),
            key=lambda item: item.name,
        )
    )


RULES = Rules(collect=collect, members=members, builtins=builtins)
