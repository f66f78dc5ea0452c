"""JavaScript, TypeScript and TSX scopes: block scoping, hoisting, destructuring, class members, globals.

`let`, `const` and `class` count from their line on; function declarations, imports, TypeScript types and
interfaces are hoisted to the top of their block; `var` belongs to the whole function, from its line on.
"""

from __future__ import annotations

from functools import cache

from tree_sitter import Node

from maze.indexing import builtin_names
from maze.indexing.scopes.base import (
    Binding,
    Collected,
    Member,
    MemberKind,
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

_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})
_CLASSES = frozenset({"class_declaration", "abstract_class_declaration", "class"})
_NAMED_CONTAINERS = _CLASSES | {"interface_declaration", "enum_declaration"}
_HOISTED = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_signature",
        "interface_declaration",
        "type_alias_declaration",
        "enum_declaration",
        "import_statement",
    }
)
_DEFINITIONS = _HOISTED | {"class_declaration", "abstract_class_declaration"}
_STATEMENT_CONTAINERS = frozenset(
    {
        "statement_block",
        "if_statement",
        "else_clause",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "try_statement",
        "catch_clause",
        "finally_clause",
        "labeled_statement",
        "switch_statement",
        "switch_body",
        "switch_case",
        "switch_default",
    }
)
_LITERALS = {
    "string": "string",
    "template_string": "string",
    "true": "boolean",
    "false": "boolean",
    "null": "null",
    "undefined": "undefined",
    "regex": "RegExp",
}


def collect(root: Node, anchor: Node, row: int, source: bytes) -> Collected:
    line = row + 1
    found = Collected()
    chain = list(ancestors(anchor))
    deferred = any(node.type in _FUNCTIONS for node, _ in chain)
    for node, _ in chain:
        kind = node.type
        if kind in _FUNCTIONS:
            frame = _parameters(node) + _type_parameters(node)
            name = node.child_by_field_name("name")
            if kind in _FUNCTION_VALUES - {"arrow_function"} and name is not None:
                frame.append(
                    Binding(text(name), "local", signature(node, source), line_of(name), declared=True)
                )
            found.frames.append(frame)
        elif kind in _CLASSES:
            frame = _type_parameters(node)
            name = node.child_by_field_name("name")
            if kind == "class" and name is not None:
                frame.append(
                    Binding(text(name), "local", signature(node, source), line_of(name), declared=True)
                )
            found.frames.append(frame)
        elif kind in {"interface_declaration", "type_alias_declaration"}:
            found.frames.append(_type_parameters(node))
        elif kind in {"statement_block", "switch_body"}:
            function_body = node.parent is not None and node.parent.type in _FUNCTIONS
            found.frames.append(_block(node, "local", line, source, function_body, deferred=False))
        elif kind in {"for_statement", "for_in_statement"}:
            found.frames.append([item for item in _loop_header(node, source) if item.visible_at(line)])
        elif kind == "catch_clause":
            parameter = node.child_by_field_name("parameter")
            annotation = type_text(node.child_by_field_name("type"))
            found.frames.append(_pattern_bindings(parameter, "local", annotation))
        elif kind == "program":
            found.frames.append(_block(node, "module", line, source, True, deferred))
        definition = _definition_name(node)
        if definition:
            found.enclosing.append(definition)
    names = list(reversed(found.enclosing))
    found.enclosing = [".".join(names[: index + 1]) for index in range(len(names))]
    return found


def _definition_name(node: Node) -> str:
    """The name extraction gives a class, interface, enum, function or method, or `const f = () => ...`."""
    if node.type in _NAMED_CONTAINERS | {
        "function_declaration",
        "generator_function_declaration",
        "method_definition",
    }:
        return text(node.child_by_field_name("name"))
    parent = node.parent
    if node.type in _FUNCTIONS and parent is not None and parent.type == "variable_declarator":
        return text(parent.child_by_field_name("name"))
    return ""


# Declarations.


def _block(
    node: Node, kind: ScopeKind, line: int, source: bytes, function_body: bool, deferred: bool
) -> list[Binding]:
    """Declarations directly in a block (or a switch's cases) visible at `line`, plus a function's `var`s."""
    statements = list(node.named_children)
    if node.type == "switch_body":
        statements = [item for case in statements for item in case.children_by_field_name("body")]
    result: list[Binding] = []
    for statement in statements:
        hoisted = _unwrap(statement).type in _HOISTED
        for binding in _declarations(statement, kind, source):
            if hoisted or deferred or binding.visible_at(line):
                result.append(binding)
    if function_body:
        result.extend(
            item for item in _nested_vars(statements, kind, source) if deferred or item.visible_at(line)
        )
    return result


def _unwrap(statement: Node) -> Node:
    """The declaration inside `export ...`, `declare ...` or a namespace's expression statement."""
    current = statement
    while True:
        if current.type == "export_statement":
            inner = current.child_by_field_name("declaration")
        elif current.type in {"ambient_declaration", "expression_statement"}:
            inner = current.named_children[0] if current.named_child_count == 1 else None
        else:
            return current
        if inner is None:
            return current
        current = inner


def _declarations(statement: Node, kind: ScopeKind, source: bytes) -> list[Binding]:
    node = _unwrap(statement)
    match node.type:
        case "lexical_declaration" | "variable_declaration":
            return [item for child in node.named_children for item in _declarator(child, kind, source)]
        case "import_statement":
            return _imports(node)
        case "internal_module" | "module":
            name = node.child_by_field_name("name")
            if name is None or name.type not in {"identifier", "nested_identifier"}:
                return []
            return [Binding(text(name), kind, f"namespace {text(name)}", line_of(name), declared=True)]
    if node.type in _DEFINITIONS:
        name = node.child_by_field_name("name")
        if name is not None:
            return [Binding(text(name), kind, signature(node, source), line_of(name), declared=True)]
    return []


def _declarator(node: Node, kind: ScopeKind, source: bytes) -> list[Binding]:
    if node.type != "variable_declarator":
        return []
    pattern = node.child_by_field_name("name")
    value = node.child_by_field_name("value")
    module = _required_module(value)
    if module is not None:
        return [
            Binding(text(name), "import", None, line_of(name), module) for name in _pattern_names(pattern)
        ]
    annotation = type_text(node.child_by_field_name("type"))
    if annotation is not None:
        return bound_after(_pattern_bindings(pattern, kind, annotation), node)
    if value is not None and value.type in _FUNCTION_VALUES:
        return _pattern_bindings(pattern, kind, signature(node, source), declared=True)
    if value is not None and value.type == "class":
        return _pattern_bindings(pattern, kind, signature(value, source), declared=True)
    return bound_after(_pattern_bindings(pattern, kind, infer(value), declared=False), node)


def _required_module(value: Node | None) -> str | None:
    """The module a `require("fs")` call loads, or None for any other value."""
    if value is None or value.type != "call_expression":
        return None
    function = value.child_by_field_name("function")
    arguments = value.child_by_field_name("arguments")
    if (
        function is None
        or text(function) != "require"
        or arguments is None
        or arguments.named_child_count != 1
    ):
        return None
    argument = arguments.named_children[0]
    return _string_value(argument) if argument.type == "string" else None


def _string_value(node: Node | None) -> str:
    return text(node)[1:-1] if node is not None else ""


def _imports(node: Node) -> list[Binding]:
    """Default, namespace, named and `import x = require("m")` bindings of one import statement."""
    module = _string_value(node.child_by_field_name("source"))
    bound: list[Node] = []
    for clause in node.named_children:
        if clause.type == "import_require_clause":
            module = _string_value(clause.child_by_field_name("source"))
            bound.extend(child for child in clause.named_children if child.type == "identifier")
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            if part.type == "identifier":
                bound.append(part)
            elif part.type == "namespace_import":
                bound.extend(child for child in part.named_children if child.type == "identifier")
            elif part.type == "named_imports":
                for specifier in part.named_children:
                    name = specifier.child_by_field_name("alias") or specifier.child_by_field_name("name")
                    if specifier.type == "import_specifier" and name is not None:
                        bound.append(name)
    return [Binding(text(name), "import", None, line_of(name), module) for name in bound]


def _nested_vars(statements: list[Node], kind: ScopeKind, source: bytes) -> list[Binding]:
    """`var` declarations in nested blocks and loop headers, which belong to the enclosing function."""
    result: list[Binding] = []
    stack = [
        child
        for statement in statements
        if statement.type in _STATEMENT_CONTAINERS
        for child in statement.named_children
    ]
    while stack:
        node = stack.pop()
        if node.type == "variable_declaration":
            result.extend(item for child in node.named_children for item in _declarator(child, kind, source))
        elif node.type == "for_in_statement" and text(node.child_by_field_name("kind")) == "var":
            result.extend(_pattern_bindings(node.child_by_field_name("left"), kind, None))
        if node.type in _STATEMENT_CONTAINERS:
            stack.extend(reversed(node.named_children))
    return result


def _loop_header(node: Node, source: bytes) -> list[Binding]:
    if node.type == "for_statement":
        initializer = node.child_by_field_name("initializer")
        return _declarations(initializer, "local", source) if initializer is not None else []
    if node.child_by_field_name("kind") is None:
        return []
    return _pattern_bindings(node.child_by_field_name("left"), "local", None)


# Patterns and parameters.


def _pattern_names(node: Node | None) -> list[Node]:
    """Identifiers a binding pattern introduces: `{a, b: [c, ...d], e = 1}` -> a, c, d, e."""
    if node is None:
        return []
    kind = node.type
    if kind in {"identifier", "shorthand_property_identifier_pattern"}:
        return [node]
    if kind == "pair_pattern":
        return _pattern_names(node.child_by_field_name("value"))
    if kind in {"assignment_pattern", "object_assignment_pattern"}:
        return _pattern_names(node.child_by_field_name("left"))
    if kind in {"object_pattern", "array_pattern", "rest_pattern"}:
        return [name for child in node.named_children for name in _pattern_names(child)]
    return []


def _pattern_bindings(
    pattern: Node | None, kind: ScopeKind, type_: str | None, declared: bool = True
) -> list[Binding]:
    """Bindings of a pattern; the type applies only when the pattern is a plain name (or `...name`)."""
    names = _pattern_names(pattern)
    plain = pattern is not None and (
        pattern.type == "identifier"
        or (
            pattern.type == "rest_pattern"
            and len(names) == 1
            and pattern.named_children[0].type == "identifier"
        )
    )
    return [
        Binding(
            text(name),
            kind,
            type_ if plain else None,
            line_of(name),
            declared=declared and plain and type_ is not None,
        )
        for name in names
    ]


def _parameters(function: Node) -> list[Binding]:
    params = function.child_by_field_name("parameters")
    if params is None:
        return _pattern_bindings(function.child_by_field_name("parameter"), "parameter", None)
    result: list[Binding] = []
    for child in params.named_children:
        if child.type in {"required_parameter", "optional_parameter"}:
            annotation = type_text(child.child_by_field_name("type"))
            pattern = child.child_by_field_name("pattern")
            if annotation is None:
                result.extend(
                    _pattern_bindings(pattern, "parameter", infer(child.child_by_field_name("value")), False)
                )
            else:
                result.extend(_pattern_bindings(pattern, "parameter", annotation))
        else:
            result.extend(_pattern_bindings(child, "parameter", None))
    return result


def _type_parameters(node: Node) -> list[Binding]:
    params = node.child_by_field_name("type_parameters")
    result = []
    for param in params.named_children if params is not None else []:
        name = param.child_by_field_name("name")
        if param.type == "type_parameter" and name is not None:
            constraint = param.child_by_field_name("constraint")
            bound = text(constraint).removeprefix("extends").strip() if constraint is not None else None
            result.append(Binding(text(name), "type_parameter", bound or None, line_of(name)))
    return result


# Types.


def infer(node: Node | None) -> str | None:
    """Literals, `new Foo<T>()` -> `Foo<T>`, `x as T` -> T; anything else is not known for sure."""
    node = without_parentheses(node)
    if node is None:
        return None
    kind = node.type
    if kind in _LITERALS:
        return _LITERALS[kind]
    if kind == "number":
        return "bigint" if text(node).endswith("n") else "number"
    if kind == "new_expression":
        constructor = node.child_by_field_name("constructor")
        if constructor is None or constructor.type not in {"identifier", "member_expression"}:
            return None
        arguments = node.child_by_field_name("type_arguments")
        return text(constructor) + (text(arguments) if arguments is not None else "")
    if kind == "as_expression" and node.named_child_count == 2:
        cast = text(node.named_children[1])
        return None if cast == "const" else cast
    return None


# Members.


def members(root: Node, container: str, source: bytes) -> list[Member]:
    nodes = find_container(_containers(root), container)
    if not nodes:
        return []
    node = nodes[0]
    body = node.child_by_field_name("body") or node.child_by_field_name("value")
    if body is None:
        return []
    if node.type == "enum_declaration":
        return _enum_members(body)
    found: list[Member] = []
    for child in body.named_children:
        found.extend(_member(child, source))
    return merge_members(found)


def _containers(root: Node) -> list[tuple[str, Node]]:
    result: list[tuple[str, Node]] = []
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        name = _definition_name(node)
        parent = node.parent
        if node.type == "class" and parent is not None and parent.type == "variable_declarator":
            result.append((_join(prefix, text(parent.child_by_field_name("name"))), node))
        if node.type == "type_alias_declaration":
            value = node.child_by_field_name("value")
            if value is not None and value.type == "object_type":
                result.append((_join(prefix, text(node.child_by_field_name("name"))), node))
        if name:
            prefix = _join(prefix, name)
            if node.type in _NAMED_CONTAINERS:
                result.append((prefix, node))
        stack.extend((child, prefix) for child in reversed(node.named_children))
    return result


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _member(node: Node, source: bytes) -> list[Member]:
    kind = node.type
    name = node.child_by_field_name("name") or node.child_by_field_name("property")
    if name is None:
        return []
    line = line_of(name)
    if kind in {"method_definition", "method_signature", "abstract_method_signature"}:
        keywords = {child.type for child in node.children if not child.is_named}
        member_kind: MemberKind = "method"
        if text(name) == "constructor":
            member_kind = "constructor"
        elif keywords & {"get", "set"}:
            member_kind = "property"
        found = [Member(text(name), member_kind, return_type(node), signature(node, source), line)]
        if member_kind == "constructor":
            found.extend(_parameter_properties(node))
        body = node.child_by_field_name("body")
        if body is not None:
            found.extend(_this_assignments(body))
        return found
    if kind in {"public_field_definition", "field_definition", "property_signature"}:
        annotation = type_text(node.child_by_field_name("type"))
        type_ = annotation if annotation is not None else infer(node.child_by_field_name("value"))
        return [Member(text(name), "field", type_, None, line)]
    return []


def _parameter_properties(constructor: Node) -> list[Member]:
    """`constructor(private readonly r: number)` declares the field r."""
    params = constructor.child_by_field_name("parameters")
    result = []
    for param in params.named_children if params is not None else []:
        modifiers = {child.type for child in param.children} & {
            "accessibility_modifier",
            "readonly",
            "override_modifier",
        }
        pattern = param.child_by_field_name("pattern")
        if modifiers and pattern is not None and pattern.type == "identifier":
            type_ = type_text(param.child_by_field_name("type")) or infer(param.child_by_field_name("value"))
            result.append(Member(text(pattern), "field", type_, None, line_of(pattern)))
    return result


def _this_assignments(body: Node) -> list[Member]:
    """`this.x = ...` in a method body, outside nested non-arrow functions and classes."""
    result = []
    stack = list(reversed(body.named_children))
    while stack:
        node = stack.pop()
        if node.type in _FUNCTIONS - {"arrow_function"} or node.type in _CLASSES:
            continue
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            target = (
                left.child_by_field_name("object")
                if left is not None and left.type == "member_expression"
                else None
            )
            name = left.child_by_field_name("property") if left is not None else None
            if target is not None and target.type == "this" and name is not None:
                result.append(
                    Member(
                        text(name), "attribute", infer(node.child_by_field_name("right")), None, line_of(name)
                    )
                )
        stack.extend(reversed(node.named_children))
    return result


def _enum_members(body: Node) -> list[Member]:
    result = []
    for child in body.named_children:
        name = child if child.type == "property_identifier" else child.child_by_field_name("name")
        if name is not None and child.type in {"property_identifier", "enum_assignment"}:
            result.append(Member(text(name), "variant", None, None, line_of(name)))
    return result


# Builtins.


@cache
def _javascript_builtins() -> tuple[ScopedName, ...]:
    found = {name: ScopedName(name, "builtin", type_, None) for name, type_ in builtin_names.ECMASCRIPT}
    found.update(
        (name, ScopedName(name, "builtin", type_, None)) for name, type_ in builtin_names.JAVASCRIPT_HOST
    )
    return tuple(sorted(found.values(), key=lambda item: item.name))


@cache
def _typescript_builtins() -> tuple[ScopedName, ...]:
    found = {item.name: item for item in _javascript_builtins()}
    for name in builtin_names.TYPESCRIPT_TYPES:
        found.setdefault(name, ScopedName(name, "builtin", "type", None))
    return tuple(sorted(found.values(), key=lambda item: item.name))


JAVASCRIPT = Rules(collect=collect, members=members, builtins=_javascript_builtins)
TYPESCRIPT = Rules(collect=collect, members=members, builtins=_typescript_builtins)
