"""Extract definitions, imports, references and syntax errors from one file with tree-sitter tag queries."""

from __future__ import annotations

from functools import cache

from tree_sitter import Node, Parser, QueryCursor

from maze.indexing import imports, signatures
from maze.indexing.languages import get
from maze.indexing.model import (
    Definition,
    DefinitionKind,
    FileIndex,
    Reference,
    ReferenceKind,
    SyntaxErrorRange,
)
from maze.indexing.signatures import text

Captures = dict[str, list[Node]]

# When one node is captured under several kinds, the first kind here wins (a method is also a function).
_PRIORITY: tuple[DefinitionKind, ...] = ("method", "function", "class", "type", "constant", "variable")
_RANK: dict[DefinitionKind, int] = {kind: rank for rank, kind in enumerate(_PRIORITY)}
_DEFINITION_KINDS: dict[str, DefinitionKind] = {f"definition.{kind}": kind for kind in _PRIORITY}
_REFERENCE_KINDS: dict[str, ReferenceKind] = {"reference.call": "call", "reference.type": "type"}
_REFERENCE_ROLES = frozenset(_REFERENCE_KINDS)
_SCOPE_KINDS = frozenset({"class", "function", "method"})
_CALLABLE_KINDS = frozenset({"function", "method"})


def extract(path: str, source: bytes, language: str) -> FileIndex:
    """Index one file. Syntax errors are reported, and whatever the parser recovered is still indexed."""
    spec = get(language)
    tree = Parser(spec.ts_language).parse(source)
    roles = _pattern_roles(language)
    found: dict[int, tuple[Node, Node, DefinitionKind]] = {}
    import_matches: list[Captures] = []
    reference_matches: list[tuple[Node, ReferenceKind]] = []
    for pattern, captures in QueryCursor(spec.query).matches(tree.root_node):
        role = roles.get(pattern)
        if role is None:
            role = roles[pattern] = _role(captures)
        if role == "import":
            import_matches.append(captures)
            continue
        names = captures.get("name")
        if not names:
            continue
        if role in _REFERENCE_ROLES:
            reference_matches.append((names[0], _REFERENCE_KINDS[role]))
            continue
        kind = _DEFINITION_KINDS.get(role)
        if kind is None:
            continue
        node = captures[role][0]
        previous = found.get(node.id)
        if previous is None or _RANK[kind] < _RANK[previous[2]]:
            found[node.id] = (node, names[0], kind)
    definitions = tuple(
        sorted(
            (_definition(node, name, kind, found, source, language) for node, name, kind in found.values()),
            key=lambda item: (item.start_line, item.end_line, item.qualified_name),
        )
    )
    name_ids = {name.id for _, name, _ in found.values()}
    return FileIndex(
        path=path,
        language=language,
        definitions=definitions,
        imports=tuple(imports.from_matches(import_matches)),
        references=_references(reference_matches, name_ids),
        syntax_errors=syntax_errors(tree.root_node),
        query_hash=spec.query_hash,
        grammar_version=spec.grammar_version,
    )


@cache
def _pattern_roles(language: str) -> dict[int, str]:
    """Per process and language: query pattern index -> the capture that says what the pattern tags."""
    return {}


def _role(captures: Captures) -> str:
    """`import`, `reference.call`, `definition.method`...; every match of a pattern has the same role."""
    if "import" in captures:
        return "import"
    for capture in captures:
        if capture.startswith(("definition.", "reference.")):
            return capture
    return "other"


def _definition(
    node: Node,
    name_node: Node,
    kind: DefinitionKind,
    found: dict[int, tuple[Node, Node, DefinitionKind]],
    source: bytes,
    language: str,
) -> Definition:
    name = text(name_node)
    outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
    callable_ = kind in _CALLABLE_KINDS
    return Definition(
        name=name,
        kind=kind,
        qualified_name=".".join([*_containers(node, found), name]),
        signature=signatures.signature(node, source),
        start_line=outer.start_point.row + 1,
        end_line=node.end_point.row + 1,
        parameters=signatures.parameters(node) if callable_ else (),
        return_type=signatures.return_type(node) if callable_ else None,
        docstring=signatures.docstring(node) if language == "python" else None,
    )


def _containers(node: Node, found: dict[int, tuple[Node, Node, DefinitionKind]]) -> list[str]:
    """Enclosing class, function and Rust impl names and the Go receiver type, outermost first."""
    names: list[str] = []
    receiver = node.child_by_field_name("receiver") if node.type == "method_declaration" else None
    if receiver is not None:
        names.append(_base_type_name(receiver))
    ancestor = node.parent
    while ancestor is not None:
        entry = found.get(ancestor.id)
        if entry is not None and entry[2] in _SCOPE_KINDS:
            names.append(text(entry[1]))
        elif ancestor.type == "impl_item":
            names.append(_base_type_name(ancestor.child_by_field_name("type")))
        ancestor = ancestor.parent
    return [name for name in reversed(names) if name]


def _base_type_name(node: Node | None) -> str:
    """`Repo` for `(r *Repo[T])`, `Foo<T>` or `crate::Foo`: the first type identifier, depth first."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if current.type == "type_identifier":
            return text(current)
        stack.extend(reversed(current.named_children))
    return ""


def _references(
    matches: list[tuple[Node, ReferenceKind]], definition_names: set[int]
) -> tuple[Reference, ...]:
    seen: set[tuple[int, ReferenceKind]] = set()
    result: list[Reference] = []
    for name, kind in matches:
        if name.id in definition_names or (name.id, kind) in seen:
            continue
        seen.add((name.id, kind))
        result.append(Reference(text(name), name.start_point.row + 1, kind))
    return tuple(sorted(result, key=lambda item: (item.line, item.name, item.kind)))


def syntax_errors(root: Node) -> tuple[SyntaxErrorRange, ...]:
    """Every ERROR and MISSING node, outermost only, as 1-based line ranges in source order."""
    ranges: set[SyntaxErrorRange] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            ranges.add(SyntaxErrorRange(node.start_point.row + 1, node.end_point.row + 1))
            continue
        if node.has_error:
            stack.extend(node.children)
    return tuple(sorted(ranges, key=lambda item: (item.start_line, item.end_line)))
