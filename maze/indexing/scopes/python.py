"""Python scopes: function, lambda, comprehension, class-body and module frames, members and builtins.

Python has no block scope: every binding anywhere in a function body (outside nested functions, classes and
lambdas) is a local of that function. A class body is visible only to code directly in it, not to its methods.
"""

from __future__ import annotations

import builtins as _builtins
import types
from functools import cache

from tree_sitter import Node

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
from maze.indexing.signatures import signature, text
from maze.indexing.signatures import type_text as _type_text

_COMPREHENSIONS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)
_TARGET_LISTS = frozenset(
    {
        "pattern_list",
        "tuple_pattern",
        "list_pattern",
        "tuple",
        "list",
        "expression_list",
        "parenthesized_expression",
        "list_splat_pattern",
        "list_splat",
    }
)
_SEQUENCES = frozenset({"pattern_list", "tuple_pattern", "tuple", "expression_list"})
_LITERALS = {
    "integer": "int",
    "float": "float",
    "true": "bool",
    "false": "bool",
    "none": "None",
    "list": "list",
    "list_comprehension": "list",
    "dictionary": "dict",
    "dictionary_comprehension": "dict",
    "set": "set",
    "set_comprehension": "set",
    "tuple": "tuple",
}
_IMPLICIT_CLASSMETHODS = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})
_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "functools.cached_property"})
_ACCESSORS = (".setter", ".getter", ".deleter")
_MODULE_GLOBALS = (("__doc__", "str | None"), ("__file__", "str"), ("__name__", "str"))


def collect(root: Node, anchor: Node, row: int, source: bytes) -> Collected:
    line = row + 1
    found = Collected()
    deferred = False
    class_body_visible = True
    unbound: set[tuple[str, int]] = set()  # a class's name is bound only once its body has run
    for node, _ in ancestors(anchor):
        kind = node.type
        if kind in _COMPREHENSIONS:
            found.frames.append(_comprehension_targets(node))
            class_body_visible = False
        elif kind == "lambda":
            found.frames.append(_parameters(node, None))
            class_body_visible, deferred = False, True
        elif kind == "function_definition":
            frame = _parameters(node, _method_owner(node)) + _type_parameters(node)
            body = node.child_by_field_name("body")
            if body is not None:
                frame += [item for item, _ in _walk(body, "local", source) if item.visible_at(line)]
            found.frames.append(frame)
            found.enclosing.append(text(node.child_by_field_name("name")))
            class_body_visible, deferred = False, True
        elif kind == "class_definition":
            frame = _type_parameters(node)
            body = node.child_by_field_name("body")
            name = node.child_by_field_name("name")
            if class_body_visible and body is not None:
                frame += [item for item, _ in _walk(body, "class", source) if item.visible_at(line)]
            if not deferred and name is not None:
                unbound.add((text(name), line_of(name)))
            found.frames.append(frame)
            found.enclosing.append(text(name))
            class_body_visible = False
        elif kind == "module":
            module = [item for item, _ in _walk(node, "module", source)]
            found.frames.append(module if deferred else [item for item in module if item.visible_at(line)])
    found.enclosing = _qualify(found.enclosing)
    if unbound:
        found.frames = [
            [item for item in frame if (item.name, item.line) not in unbound] for frame in found.frames
        ]
    return found


def _qualify(innermost_first: list[str]) -> list[str]:
    names = [name for name in reversed(innermost_first) if name]
    return [".".join(names[: index + 1]) for index in range(len(names))]


# Bindings.


def _walk(body: Node, kind: ScopeKind, source: bytes) -> list[tuple[Binding, Node]]:
    """Every binding in a function body, class body or module, outside nested scopes, with its statement."""
    found: list[tuple[Binding, Node]] = []
    stack = list(reversed(body.children))
    while stack:
        node = stack.pop()
        found.extend((binding, node) for binding in _bindings_of(node, kind, source))
        stack.extend(reversed(_inner(node)))
    return found


def _bindings_of(node: Node, kind: ScopeKind, source: bytes) -> list[Binding]:
    """The names one node binds in its own scope (not the scopes it opens)."""
    match node.type:
        case "function_definition" | "class_definition":
            name = node.child_by_field_name("name")
            if name is None:
                return []
            return [Binding(text(name), kind, signature(node, source), line_of(name), declared=True)]
        case "type_alias_statement":
            left = node.child_by_field_name("left")
            names = [child for child in (left.named_children if left else []) if child.type == "identifier"]
            return [
                Binding(text(name), kind, signature(node, source), line_of(name), declared=True)
                for name in names[:1]
            ]
        case "import_statement" | "import_from_statement":
            return _imports(node)
        case "assignment":
            right = node.child_by_field_name("right")
            bindings = _assignment(node, kind)
            return bindings if right is not None and right.type == "lambda" else bound_after(bindings, node)
        case "augmented_assignment":
            left = node.child_by_field_name("left")
            if left is None or left.type != "identifier":
                return []
            return bound_after([Binding(text(left), kind, None, line_of(left))], node)
        case "for_statement":
            return [
                Binding(text(name), kind, None, line_of(name))
                for name in _targets(node.child_by_field_name("left"))
            ]
        case "named_expression":
            name = node.child_by_field_name("name")
            if name is None:
                return []
            binding = Binding(text(name), kind, infer(node.child_by_field_name("value")), line_of(name))
            return bound_after([binding], node)
        case "as_pattern":
            return _as_pattern(node, kind)
        case "case_clause":
            patterns = [child for child in node.named_children if child.type == "case_pattern"]
            return [
                Binding(text(name), kind, None, line_of(name)) for p in patterns for name in _case_names(p)
            ]
    return []


def _inner(node: Node) -> list[Node]:
    """The children `_walk` descends into: none for a nested scope, never a comprehension's own targets."""
    kind = node.type
    if kind in {"function_definition", "class_definition", "lambda", "type_alias_statement"}:
        return []
    if kind in {"import_statement", "import_from_statement"}:
        return []
    if kind == "decorated_definition":
        definition = node.child_by_field_name("definition")
        return [definition] if definition is not None else []
    if kind in {"for_in_clause", "for_statement", "assignment", "augmented_assignment"}:
        left = node.child_by_field_name("left")
        return [child for child in node.named_children if left is None or child.id != left.id]
    if kind == "as_pattern":
        alias = node.child_by_field_name("alias")
        return [child for child in node.named_children[:1] if alias is None or child.id != alias.id]
    return list(node.named_children)


def _targets(node: Node | None) -> list[Node]:
    """Identifiers an assignment, `for` or `with` target binds; attributes and subscripts bind nothing."""
    if node is None:
        return []
    if node.type == "identifier":
        return [node]
    if node.type in _TARGET_LISTS:
        return [name for child in node.named_children for name in _targets(child)]
    return []


def _assignment(node: Node, kind: ScopeKind) -> list[Binding]:
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    annotation = type_text(node.child_by_field_name("type"))
    if left is not None and left.type == "identifier":
        if annotation is not None:
            return [Binding(text(left), kind, annotation, line_of(left), declared=True)]
        return [Binding(text(left), kind, infer(right), line_of(left))]
    return [Binding(text(name), kind, type_, line_of(name)) for name, type_ in _paired(left, right)]


def _paired(left: Node | None, right: Node | None) -> list[tuple[Node, str | None]]:
    """`a, (b, c) = 1, ("x", 2.0)` -> a: int, b: str, c: float; anything unpaired gets no type."""
    if left is not None and left.type == "identifier":
        return [(left, infer(right))]
    if (
        left is not None
        and right is not None
        and left.type in _SEQUENCES | {"list_pattern"}
        and right.type in _SEQUENCES | {"list"}
        and left.named_child_count == right.named_child_count
        and not any("splat" in child.type for child in left.named_children + right.named_children)
    ):
        return [
            pair
            for target, value in zip(left.named_children, right.named_children, strict=True)
            for pair in _paired(target, value)
        ]
    return [(name, None) for name in _targets(left)]


def _as_pattern(node: Node, kind: ScopeKind) -> list[Binding]:
    alias = node.child_by_field_name("alias")
    if alias is None:
        return []
    type_ = None
    if node.parent is not None and node.parent.type == "except_clause" and node.named_children:
        type_ = _exception_type(node.named_children[0])
    names = _targets(alias.named_children[0] if alias.named_children else None)
    return [Binding(text(name), kind, type_ if len(names) == 1 else None, line_of(name)) for name in names]


def _exception_type(node: Node) -> str | None:
    if node.type in {"identifier", "attribute"}:
        return text(node)
    if node.type == "tuple" and all(
        child.type in {"identifier", "attribute"} for child in node.named_children
    ):
        return " | ".join(text(child) for child in node.named_children) or None
    return None


def _case_names(node: Node) -> list[Node]:
    """Capture names in a `case` pattern: `Point(x=px)` binds px, `[a, *rest]` a and rest, `... as whole`."""
    kind = node.type
    if kind == "dotted_name":
        names = node.named_children
        return names if len(names) == 1 and text(names[0]) != "_" else []
    if kind == "identifier":
        return [node] if text(node) != "_" else []
    children = list(node.named_children)
    if kind == "class_pattern" or kind == "keyword_pattern":
        children = children[1:]
    elif kind == "dict_pattern":
        keys = {child.id for child in node.children_by_field_name("key")}
        children = [child for child in children if child.id not in keys]
    elif kind not in {
        "case_pattern",
        "as_pattern",
        "union_pattern",
        "list_pattern",
        "tuple_pattern",
        "splat_pattern",
    }:
        return []
    return [name for child in children for name in _case_names(child)]


def _comprehension_targets(node: Node) -> list[Binding]:
    return [
        Binding(text(name), "local", None, line_of(name))
        for clause in node.named_children
        if clause.type == "for_in_clause"
        for name in _targets(clause.child_by_field_name("left"))
    ]


def _imports(node: Node) -> list[Binding]:
    """`import a.b` binds a, `import a.b as c` c, `from m import x as y` y; a star import binds nothing."""
    if node.type == "import_statement":
        result = []
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                module = text(item.child_by_field_name("name"))
                bound = item.child_by_field_name("alias")
            else:
                module, bound = text(item), item.named_children[0] if item.named_children else None
            if bound is not None:
                result.append(Binding(text(bound), "import", None, line_of(bound), module))
        return result
    module = text(node.child_by_field_name("module_name"))
    result = []
    for item in node.children_by_field_name("name"):
        bound = item.child_by_field_name("alias") if item.type == "aliased_import" else item
        if bound is not None and bound.type in {"identifier", "dotted_name"}:
            result.append(Binding(text(bound), "import", None, line_of(bound), module))
    return result


# Parameters.


def _decorators(function: Node) -> list[str]:
    """`property`, `name.setter`, `functools.cache`: the decorator expressions without arguments."""
    outer = function.parent
    if outer is None or outer.type != "decorated_definition":
        return []
    found = []
    for decorator in outer.named_children:
        if decorator.type == "decorator" and decorator.named_children:
            expression = decorator.named_children[0]
            if expression.type == "call":
                expression = expression.child_by_field_name("function") or expression
            found.append(text(expression))
    return found


def _method_owner(function: Node) -> tuple[str, bool] | None:
    """(class name, whether the first parameter is the class) for a method; None otherwise or if static."""
    outer = function.parent
    if outer is not None and outer.type == "decorated_definition":
        outer = outer.parent
    owner = outer.parent if outer is not None and outer.type == "block" else None
    decorators = _decorators(function)
    if owner is None or owner.type != "class_definition" or "staticmethod" in decorators:
        return None
    name = text(function.child_by_field_name("name"))
    is_class = "classmethod" in decorators or name in _IMPLICIT_CLASSMETHODS
    return text(owner.child_by_field_name("name")), is_class


def _parameters(function: Node, owner: tuple[str, bool] | None) -> list[Binding]:
    params = function.child_by_field_name("parameters")
    result: list[Binding] = []
    for index, child in enumerate(params.named_children if params is not None else []):
        name, annotation = _parameter(child)
        if name is None:
            continue
        if index == 0 and owner is not None and annotation is None and child.type == "identifier":
            annotation = f"type[{owner[0]}]" if owner[1] else owner[0]
        result.append(
            Binding(text(name), "parameter", annotation, line_of(name), declared=annotation is not None)
        )
    return result


def _parameter(node: Node) -> tuple[Node | None, str | None]:
    """(name node, the type the name has inside the function) for one parameter node."""
    kind = node.type
    if kind == "identifier":
        return node, None
    if kind in {"list_splat_pattern", "dictionary_splat_pattern"}:
        return (node.named_children[0] if node.named_children else None), None
    annotation = type_text(node.child_by_field_name("type"))
    if kind in {"default_parameter", "typed_default_parameter"}:
        return node.child_by_field_name("name"), annotation
    if kind == "typed_parameter" and node.named_children:
        first = node.named_children[0]
        if first.type == "list_splat_pattern":
            return _parameter(first)[0], f"tuple[{annotation}, ...]" if annotation else None
        if first.type == "dictionary_splat_pattern":
            return _parameter(first)[0], f"dict[str, {annotation}]" if annotation else None
        return (first if first.type == "identifier" else None), annotation
    return None, None


def _type_parameters(node: Node) -> list[Binding]:
    """PEP 695 type parameters: `[T, K: str, *Ts, **P]`, with K's bound as its type."""
    params = node.child_by_field_name("type_parameters")
    result = []
    for param in params.named_children if params is not None else []:
        inner = param.named_children[0] if param.type == "type" and param.named_children else param
        name = _first_identifier(inner)
        if name is not None:
            constrained = inner.type == "constrained_type" and inner.named_child_count > 1
            bound = text(inner.named_children[1]) if constrained else None
            result.append(Binding(text(name), "type_parameter", bound or None, line_of(name)))
    return result


def _first_identifier(node: Node) -> Node | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            return current
        stack.extend(reversed(current.named_children))
    return None


# Types.


def type_text(node: Node | None) -> str | None:
    """An annotation's text, unquoted when it is a forward reference: `"Repo"` -> Repo."""
    value = _type_text(node)
    if value is not None and len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip() or None
    return value


def infer(node: Node | None) -> str | None:
    """A value's type when the expression alone says it: literals, `Foo(...)`, builtin types, `cast(T, v)`."""
    node = without_parentheses(node)
    if node is None:
        return None
    kind = node.type
    if kind in _LITERALS:
        return _LITERALS[kind]
    if kind == "string":
        start = node.named_children[0] if node.named_children else None
        return "bytes" if start is not None and "b" in text(start).lower() else "str"
    if kind == "concatenated_string" and node.named_children:
        return infer(node.named_children[0])
    if kind == "unary_operator":
        operand = infer(node.child_by_field_name("argument"))
        return operand if operand in {"int", "float"} else None
    if kind in {"assignment", "named_expression"}:
        return infer(node.child_by_field_name("right") or node.child_by_field_name("value"))
    if kind == "call":
        return _call_type(node)
    return None


def _call_type(node: Node) -> str | None:
    function = node.child_by_field_name("function")
    if function is None or not _is_dotted(function):
        return None
    name = text(function)
    last = name.rsplit(".", 1)[-1]
    if last == "cast":
        arguments = node.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        return text(first) if first is not None and first.type != "keyword_argument" else None
    if function.type == "identifier" and isinstance(getattr(_builtins, name, None), type):
        return name
    return name if last[:1].isupper() else None


def _is_dotted(node: Node) -> bool:
    if node.type == "identifier":
        return True
    value = node.child_by_field_name("object")
    return node.type == "attribute" and value is not None and _is_dotted(value)


# Members.


def members(root: Node, container: str, source: bytes) -> list[Member]:
    nodes = find_container(_classes(root), container)
    if not nodes:
        return []
    body = nodes[0].child_by_field_name("body")
    if body is None:
        return []
    found: list[Member] = []
    for binding, node in _walk(body, "class", source):
        if binding.kind == "import":
            continue
        if node.type == "function_definition":
            found.append(_method(node, binding.name, binding.line, source))
        elif node.type == "class_definition":
            found.append(Member(binding.name, "class", None, binding.type, binding.line))
        else:
            found.append(Member(binding.name, "field", binding.type, None, binding.line))
    for statement in body.named_children:
        function = (
            statement.child_by_field_name("definition")
            if statement.type == "decorated_definition"
            else statement
        )
        if function is not None and function.type == "function_definition":
            found.extend(_instance_attributes(function))
    return merge_members(found)


def _classes(root: Node) -> list[tuple[str, Node]]:
    result: list[tuple[str, Node]] = []
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        if node.type in {"class_definition", "function_definition"}:
            name = text(node.child_by_field_name("name"))
            prefix = f"{prefix}.{name}" if prefix else name
            if node.type == "class_definition":
                result.append((prefix, node))
        stack.extend((child, prefix) for child in reversed(node.named_children))
    return result


def _method(node: Node, name: str, line: int, source: bytes) -> Member:
    decorators = _decorators(node)
    kind: MemberKind = "method"
    if any(item in _PROPERTY_DECORATORS or item.endswith(_ACCESSORS) for item in decorators):
        kind = "property"
    returned = type_text(node.child_by_field_name("return_type"))
    return Member(name, kind, returned, signature(node, source), line)


def _instance_attributes(function: Node) -> list[Member]:
    """`self.x = ...` (and `self.x: T = ...`) in a method body, outside nested functions and classes."""
    owner = _method_owner(function)
    params = function.child_by_field_name("parameters")
    if owner is None or params is None or not params.named_children:
        return []
    receiver = _parameter(params.named_children[0])[0]
    if receiver is None:
        return []
    annotated = {}
    for child in params.named_children:
        name, annotation = _parameter(child)
        if name is not None and annotation is not None:
            annotated[text(name)] = annotation
    found: list[Member] = []
    body = function.child_by_field_name("body")
    stack = list(reversed(body.named_children)) if body is not None else []
    while stack:
        node = stack.pop()
        if node.type in {"function_definition", "class_definition", "lambda"}:
            continue
        if node.type in {"assignment", "augmented_assignment"}:
            found.extend(_attribute_assignment(node, text(receiver), annotated))
        stack.extend(reversed(node.named_children))
    return found


def _attribute_assignment(node: Node, receiver: str, annotated: dict[str, str]) -> list[Member]:
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    annotation = type_text(node.child_by_field_name("type"))
    pairs: list[tuple[Node, Node | None]] = []
    if left is not None and left.type == "attribute":
        pairs.append((left, right))
    elif left is not None and left.type in _TARGET_LISTS:
        pairs.extend((child, None) for child in left.named_children if child.type == "attribute")
    result = []
    for target, value in pairs:
        owner = target.child_by_field_name("object")
        attribute = target.child_by_field_name("attribute")
        if owner is None or attribute is None or owner.type != "identifier" or text(owner) != receiver:
            continue
        type_ = annotation
        if type_ is None and value is not None:
            type_ = annotated.get(text(value)) if value.type == "identifier" else infer(value)
        result.append(Member(text(attribute), "attribute", type_, None, line_of(attribute)))
    return result


# Builtins.


@cache
def builtins() -> tuple[ScopedName, ...]:
    """The running interpreter's builtins (public names plus `__import__`), and a module's own dunders."""
    found = [ScopedName(name, "builtin", type_, None) for name, type_ in _MODULE_GLOBALS]
    for name in dir(_builtins):
        if name.startswith("_") and name not in {"__import__", "__build_class__", "__debug__"}:
            continue
        value = getattr(_builtins, name)
        if isinstance(value, type):
            type_ = "type"
        elif isinstance(value, types.BuiltinFunctionType | types.FunctionType):
            type_ = "function"
        elif value is None:
            type_ = "None"
        else:
            type_ = type(value).__name__
        found.append(ScopedName(name, "builtin", type_, None))
    return tuple(sorted(found, key=lambda item: item.name))


RULES = Rules(collect=collect, members=members, builtins=builtins)
