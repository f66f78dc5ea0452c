"""Rust scopes: items visible throughout their block or module, `let` bindings from their line on, patterns.

A nested `fn` item sees the items around it but not the enclosing function's locals or parameters, and the
body of a `mod { ... }` sees only its own items: both are Rust's rules, not simplifications.
"""

from __future__ import annotations

import re
from functools import cache

from tree_sitter import Node

from maze.indexing import builtin_names
from maze.indexing.imports import rust_use_tree
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

_ITEMS = frozenset(
    {
        "function_item",
        "function_signature_item",
        "struct_item",
        "enum_item",
        "union_item",
        "trait_item",
        "type_item",
        "const_item",
        "static_item",
        "mod_item",
        "macro_definition",
    }
)
_GENERIC_CONTAINERS = frozenset(
    {"impl_item", "trait_item", "struct_item", "enum_item", "union_item", "type_item"}
)
_SUFFIX = re.compile(r"(i8|i16|i32|i64|i128|isize|u8|u16|u32|u64|u128|usize|f32|f64)$")
_CONSTRUCTORS = frozenset({"new", "default", "from", "with_capacity"})
_SELF = re.compile(r"\bSelf\b")
_VARIANT_TYPES = {"Some": "Option", "None": "Option", "Ok": "Result", "Err": "Result"}


def collect(root: Node, anchor: Node, row: int, source: bytes) -> Collected:
    line = row + 1
    found = Collected()
    functions_crossed = 0
    inside_module = False
    for node, child in ancestors(anchor):
        kind = node.type
        locals_visible = functions_crossed == 0
        if kind == "function_item":
            if locals_visible:
                found.frames.append(_parameters(node) + _type_parameters(node))
            functions_crossed += 1
        elif kind == "closure_expression" and locals_visible:
            found.frames.append(_closure_parameters(node))
        elif kind == "block":
            frame = [item for statement in node.named_children for item in _item(statement, "local", source)]
            if locals_visible:
                frame += [item for item in _lets(node) if item.visible_at(line)]
            found.frames.append(frame)
        elif kind == "for_expression" and locals_visible and _is_field(node, child, "body"):
            found.frames.append(_pattern_bindings(node.child_by_field_name("pattern"), None))
        elif kind in {"if_expression", "while_expression"} and locals_visible:
            if _is_field(node, child, "consequence") or _is_field(node, child, "body"):
                found.frames.append(_let_conditions(node.child_by_field_name("condition")))
        elif kind == "match_arm" and locals_visible:
            found.frames.append(_pattern_bindings(node.child_by_field_name("pattern"), None))
        elif kind in _GENERIC_CONTAINERS and functions_crossed <= 1:
            found.frames.append(_type_parameters(node))
        elif kind == "declaration_list" and node.parent is not None and node.parent.type == "mod_item":
            if not inside_module:
                found.frames.append(
                    [item for statement in node.named_children for item in _item(statement, "module", source)]
                )
            inside_module = True
        elif kind == "source_file" and not inside_module:
            found.frames.append(
                [item for statement in node.named_children for item in _item(statement, "module", source)]
            )
        definition = _definition_name(node)
        if definition:
            found.enclosing.append(definition)
    names = list(reversed(found.enclosing))
    found.enclosing = [".".join(names[: index + 1]) for index in range(len(names))]
    return found


def _is_field(node: Node, child: Node | None, field: str) -> bool:
    target = node.child_by_field_name(field)
    return child is not None and target is not None and target.id == child.id


def _definition_name(node: Node) -> str:
    """The name extraction qualifies with: functions, structs, enums, unions, traits, and an impl's type."""
    if node.type == "impl_item":
        return base_type_name(node.child_by_field_name("type"))
    if node.type in {
        "function_item",
        "function_signature_item",
        "struct_item",
        "enum_item",
        "union_item",
        "trait_item",
    }:
        return text(node.child_by_field_name("name"))
    return ""


def base_type_name(node: Node | None) -> str:
    """`Point` for `Point<T>`, `&mut Point`, `crate::geo::Point<f64>`."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if current.type == "type_identifier":
            return text(current)
        stack.extend(reversed(current.named_children))
    return ""


# Items and bindings.


def _item(node: Node, kind: ScopeKind, source: bytes) -> list[Binding]:
    """Names an item binds in its module or block: definitions, `use` imports, `extern crate`."""
    if node.type == "use_declaration":
        argument = node.child_by_field_name("argument")
        result = []
        for imported in rust_use_tree(argument, "") if argument is not None else []:
            bound = imported.alias or imported.name
            if bound == "self":
                bound = imported.module.rsplit("::", 1)[-1]
            if bound != "*":
                result.append(Binding(bound, "import", None, imported.line, imported.module))
        return result
    if node.type == "extern_crate_declaration":
        name = node.child_by_field_name("alias") or node.child_by_field_name("name")
        crate = text(node.child_by_field_name("name"))
        return [Binding(text(name), "import", None, line_of(name), crate)] if name is not None else []
    if node.type == "foreign_mod_item":
        body = node.child_by_field_name("body")
        return [
            item
            for child in (body.named_children if body is not None else [])
            for item in _item(child, kind, source)
        ]
    if node.type not in _ITEMS:
        return []
    name = node.child_by_field_name("name")
    if name is None:
        return []
    if node.type in {"const_item", "static_item"}:
        declared = type_text(node.child_by_field_name("type"))
        return [Binding(text(name), kind, declared, line_of(name), declared=declared is not None)]
    type_ = "macro" if node.type == "macro_definition" else signature(node, source)
    return [Binding(text(name), kind, type_, line_of(name), declared=True)]


def _lets(block: Node) -> list[Binding]:
    result: list[Binding] = []
    for statement in block.named_children:
        if statement.type == "let_declaration":
            pattern = statement.child_by_field_name("pattern")
            declared = type_text(statement.child_by_field_name("type"))
            value = statement.child_by_field_name("value")
            result.extend(bound_after(_typed_pattern(pattern, declared, value), statement))
    return result


def _typed_pattern(pattern: Node | None, declared: str | None, value: Node | None) -> list[Binding]:
    """Bindings of `let pattern: declared = value`, pairing tuple patterns with tuple types or values."""
    if pattern is None:
        return []
    if pattern.type == "identifier":
        if declared is not None:
            return [Binding(text(pattern), "local", declared, line_of(pattern), declared=True)]
        return _pattern_bindings(pattern, infer(value))
    if pattern.type == "mut_pattern" and pattern.named_children:
        return _typed_pattern(pattern.named_children[-1], declared, value)
    if pattern.type == "tuple_pattern":
        parts = pattern.named_children
        types = _tuple_parts(declared)
        values = value.named_children if value is not None and value.type == "tuple_expression" else []
        if declared is not None and len(types) == len(parts):
            return [
                item
                for part, type_ in zip(parts, types, strict=True)
                for item in _typed_pattern(part, type_, None)
            ]
        if declared is None and len(values) == len(parts):
            return [
                item
                for part, item_value in zip(parts, values, strict=True)
                for item in _typed_pattern(part, None, item_value)
            ]
    return _pattern_bindings(pattern, None)


def _tuple_parts(declared: str | None) -> list[str]:
    """`(i32, Vec<(u8, u8)>)` -> ["i32", "Vec<(u8, u8)>"]: split on top-level commas."""
    if declared is None or not declared.startswith("(") or not declared.endswith(")"):
        return []
    parts, depth, current = [], 0, ""
    for char in declared[1:-1]:
        if char in "(<[":
            depth += 1
        elif char in ")>]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _pattern_bindings(pattern: Node | None, type_: str | None) -> list[Binding]:
    """Bindings of a pattern; `type_` applies only when the pattern is a plain (`mut`/`ref`) name."""
    names = _pattern_names(pattern)
    plain = (
        pattern is not None
        and pattern.type in {"identifier", "mut_pattern", "ref_pattern"}
        and len(names) == 1
    )
    return [Binding(text(name), "local", type_ if plain else None, line_of(name)) for name in names]


def _pattern_names(node: Node | None) -> list[Node]:
    """Identifiers a pattern binds; a capitalised identifier is a constant or unit variant, not a binding."""
    if node is None:
        return []
    kind = node.type
    if kind == "identifier":
        return [node] if not text(node)[:1].isupper() else []
    if kind == "shorthand_field_identifier":
        return [node]
    if kind == "field_pattern":
        inner = node.child_by_field_name("pattern")
        name = node.child_by_field_name("name")
        if inner is None:
            return [name] if name is not None and name.type == "shorthand_field_identifier" else []
        return _pattern_names(inner)
    if kind in {"tuple_struct_pattern", "struct_pattern"}:
        type_ = node.child_by_field_name("type")
        return [
            name
            for child in node.named_children
            if type_ is None or child.id != type_.id
            for name in _pattern_names(child)
        ]
    if kind == "or_pattern":
        first = node.named_children[0] if node.named_children else None
        names = {text(name) for name in _pattern_names(first)}
        rest = [
            name
            for child in node.named_children[1:]
            for name in _pattern_names(child)
            if text(name) not in names
        ]
        return _pattern_names(first) + rest
    if kind == "match_pattern":
        guard = node.child_by_field_name("condition")
        return [
            name
            for child in node.named_children
            if guard is None or child.id != guard.id
            for name in _pattern_names(child)
        ]
    if kind in {
        "tuple_pattern",
        "slice_pattern",
        "ref_pattern",
        "mut_pattern",
        "reference_pattern",
        "captured_pattern",
    }:
        return [name for child in node.named_children for name in _pattern_names(child)]
    return []


def _let_conditions(condition: Node | None) -> list[Binding]:
    """Bindings of `if let` / `while let` conditions, including `let` chains."""
    if condition is None:
        return []
    if condition.type == "let_condition":
        return _typed_pattern(condition.child_by_field_name("pattern"), None, None)
    if condition.type == "let_chain":
        return [item for child in condition.named_children for item in _let_conditions(child)]
    return []


# Parameters.


def _parameters(function: Node) -> list[Binding]:
    params = function.child_by_field_name("parameters")
    result: list[Binding] = []
    for param in params.named_children if params is not None else []:
        if param.type == "self_parameter":
            result.append(
                Binding("self", "parameter", _self_type(param, function), line_of(param), declared=True)
            )
        elif param.type == "parameter":
            pattern = param.child_by_field_name("pattern")
            declared = type_text(param.child_by_field_name("type"))
            if pattern is not None and pattern.type == "self":
                result.append(
                    Binding("self", "parameter", declared, line_of(pattern), declared=declared is not None)
                )
                continue
            result.extend(
                Binding(item.name, "parameter", item.type, item.line, declared=item.type is not None)
                for item in _typed_pattern(pattern, declared, None)
            )
    return result


def _self_type(param: Node, function: Node) -> str:
    """`&self` in `impl<T> Point<T>` -> `&Point<T>`; in a trait, `&Self`."""
    owner_type = "Self"
    container = function.parent.parent if function.parent is not None else None
    if container is not None and container.type == "impl_item":
        owner_type = text(container.child_by_field_name("type")) or "Self"
    prefix = " ".join(text(param).split()).removesuffix("self").strip()
    if prefix == "&":
        return f"&{owner_type}"
    return f"{prefix} {owner_type}" if prefix.startswith("&") else owner_type


def _closure_parameters(closure: Node) -> list[Binding]:
    params = closure.child_by_field_name("parameters")
    result: list[Binding] = []
    for param in params.named_children if params is not None else []:
        if param.type == "parameter":
            pattern = param.child_by_field_name("pattern")
            declared = type_text(param.child_by_field_name("type"))
            bindings = _typed_pattern(pattern, declared, None)
        else:
            bindings = _pattern_bindings(param, None)
        result.extend(
            Binding(item.name, "parameter", item.type, item.line, declared=item.type is not None)
            for item in bindings
        )
    return result


def _type_parameters(node: Node) -> list[Binding]:
    params = node.child_by_field_name("type_parameters")
    result = []
    for param in params.named_children if params is not None else []:
        name = param.child_by_field_name("name")
        if param.type == "type_parameter" and name is not None:
            bounds = param.child_by_field_name("bounds")
            bound = text(bounds).lstrip(":").strip() if bounds is not None else ""
            result.append(Binding(text(name), "type_parameter", bound or None, line_of(name)))
        elif param.type == "const_parameter" and name is not None:
            declared = type_text(param.child_by_field_name("type"))
            result.append(
                Binding(text(name), "parameter", declared, line_of(name), declared=declared is not None)
            )
    return result


# Types.


def infer(node: Node | None) -> str | None:
    """Literals (with suffixes), `Foo { .. }`, `Foo::new()`, `Some(..)`, `x as T`, `vec![]`, `format!()`."""
    node = without_parentheses(node)
    if node is None:
        return None
    kind = node.type
    if kind == "integer_literal":
        suffix = _SUFFIX.search(text(node))
        return suffix.group(1) if suffix else "i32"
    if kind == "float_literal":
        suffix = _SUFFIX.search(text(node))
        return suffix.group(1) if suffix and suffix.group(1).startswith("f") else "f64"
    if kind in {"string_literal", "raw_string_literal"}:
        return "&str"
    if kind == "char_literal":
        return "char"
    if kind == "boolean_literal":
        return "bool"
    if kind == "struct_expression":
        return _struct_type(node.child_by_field_name("name"))
    if kind == "type_cast_expression":
        return type_text(node.child_by_field_name("type"))
    if kind == "macro_invocation":
        return {"vec": "Vec", "format": "String"}.get(text(node.child_by_field_name("macro")))
    if kind == "identifier" and text(node) == "None":
        return "Option"
    if kind == "call_expression":
        return _call_type(node.child_by_field_name("function"))
    if kind == "reference_expression":
        inner = infer(node.child_by_field_name("value"))
        return f"&{inner}" if inner else None
    return None


def _struct_type(name: Node | None) -> str | None:
    """`Point` for `Point { .. }`, `Shape` for the enum variant `Shape::Circle { .. }`."""
    if name is None:
        return None
    path = name.child_by_field_name("path") if name.type == "scoped_type_identifier" else None
    if path is not None and text(path).rsplit("::", 1)[-1][:1].isupper():
        return text(path)
    return text(name)


def _call_type(function: Node | None) -> str | None:
    if function is None:
        return None
    if function.type == "identifier":
        name = text(function)
        return _VARIANT_TYPES.get(name, name if name[:1].isupper() else None)
    if function.type != "scoped_identifier":
        return None
    path = function.child_by_field_name("path")
    method = text(function.child_by_field_name("name"))
    owner = text(path).rsplit("::", 1)[-1] if path is not None else ""
    if owner[:1].isupper() and (method in _CONSTRUCTORS or method.startswith("new_")):
        return text(path)
    return None


# Members.


def members(root: Node, container: str, source: bytes) -> list[Member]:
    definitions: list[tuple[str, Node]] = []
    impls: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in {"struct_item", "enum_item", "union_item", "trait_item"}:
            definitions.append((text(node.child_by_field_name("name")), node))
        elif node.type == "impl_item":
            impls.append(node)
        stack.extend(reversed(node.named_children))
    matches = find_container(definitions, container)
    name = (
        text(matches[0].child_by_field_name("name"))
        if matches
        else container.replace("::", ".").rsplit(".", 1)[-1]
    )
    found: list[Member] = []
    if matches:
        found.extend(_definition_members(matches[0], source))
    for impl in impls:
        if base_type_name(impl.child_by_field_name("type")) == name:
            owner = text(impl.child_by_field_name("type"))
            body = impl.child_by_field_name("body")
            found.extend(
                item
                for child in (body.named_children if body is not None else [])
                for item in _associated(child, source, owner)
            )
    return merge_members(found)


def _definition_members(node: Node, source: bytes) -> list[Member]:
    body = node.child_by_field_name("body")
    children = body.named_children if body is not None else []
    if node.type == "enum_item":
        return [
            Member(text(name), "variant", None, " ".join(text(child).split()), line_of(name))
            for child in children
            if child.type == "enum_variant" and (name := child.child_by_field_name("name")) is not None
        ]
    if node.type == "trait_item":
        return [item for child in children for item in _associated(child, source)]
    if body is not None and body.type == "ordered_field_declaration_list":
        types = body.children_by_field_name("type")
        return [
            Member(str(index), "field", text(type_), None, line_of(type_))
            for index, type_ in enumerate(types)
        ]
    return [
        Member(text(name), "field", type_text(child.child_by_field_name("type")), None, line_of(name))
        for child in children
        if child.type == "field_declaration" and (name := child.child_by_field_name("name")) is not None
    ]


def _associated(node: Node, source: bytes, owner: str = "Self") -> list[Member]:
    """An `impl` or trait item: methods (with `self`), associated functions, constants and types.

    A return type of `Self` is spelled as the implementing type.
    """
    name = node.child_by_field_name("name")
    if name is None:
        return []
    if node.type in {"function_item", "function_signature_item"}:
        params = node.child_by_field_name("parameters")
        first = params.named_children[0] if params is not None and params.named_children else None
        has_self = first is not None and (
            first.type == "self_parameter" or text(first.child_by_field_name("pattern")) == "self"
        )
        kind: MemberKind = "method" if has_self else "function"
        returned = return_type(node)
        if returned is not None:
            returned = _SELF.sub(owner, returned)
        return [Member(text(name), kind, returned, signature(node, source), line_of(name))]
    if node.type == "const_item":
        return [
            Member(text(name), "constant", type_text(node.child_by_field_name("type")), None, line_of(name))
        ]
    if node.type in {"type_item", "associated_type"}:
        declared = type_text(node.child_by_field_name("type"))
        return [Member(text(name), "type", declared, " ".join(text(node).split()).rstrip(";"), line_of(name))]
    return []


# Builtins.


@cache
def builtins() -> tuple[ScopedName, ...]:
    found = {
        name: ScopedName(name, "builtin", kind, None, origin)
        for name, kind, origin in builtin_names.RUST_PRELUDE
    }
    for name in builtin_names.RUST_PRIMITIVES:
        found.setdefault(name, ScopedName(name, "builtin", "primitive", None))
    for name in builtin_names.RUST_MACROS:
        found.setdefault(name, ScopedName(name, "builtin", "macro", None, "std"))
    return tuple(sorted(found.values(), key=lambda item: item.name))


RULES = Rules(collect=collect, members=members, builtins=builtins)
