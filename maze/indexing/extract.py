"""Extract definitions, imports, references and syntax errors from one file with tree-sitter tag queries.

`extract_rows` gives the positional rows the cache stores (`maze.indexing.codec.Rows`), all a worker
needs to encode a file; `extract` builds the FileIndex records from the same rows. The tag query runs
once per file (`matches()`: one walk of the tree; every further query pass would cost another walk).
"""

from __future__ import annotations

from functools import cache
from operator import itemgetter
from typing import NamedTuple

from tree_sitter import Node, Parser, QueryCursor

from maze.indexing import imports, signatures
from maze.indexing.codec import DefinitionRow, ErrorRow, ReferenceRow, Rows, index_from_rows
from maze.indexing.languages import get
from maze.indexing.model import DefinitionKind, FileIndex, ReferenceKind, SyntaxErrorRange

Captures = dict[str, list[Node]]
Found = dict[int, tuple[Node, Node, DefinitionKind]]
"""Per definition node id: the node, its name node and its kind."""

# When one node is captured under several kinds, the first kind here wins (a method is also a function).
_PRIORITY: tuple[DefinitionKind, ...] = ("method", "function", "class", "type", "constant", "variable")
_RANK: dict[DefinitionKind, int] = {kind: rank for rank, kind in enumerate(_PRIORITY)}
_DEFINITION_KINDS: dict[str, DefinitionKind] = {f"definition.{kind}": kind for kind in _PRIORITY}
_REFERENCE_KINDS: dict[str, ReferenceKind] = {"reference.call": "call", "reference.type": "type"}
_SCOPE_KINDS = frozenset({"class", "function", "method"})
_CALLABLE_KINDS = frozenset({"function", "method"})

_IMPORT, _REFERENCE, _DEFINITION, _OTHER = range(4)


class Role(NamedTuple):
    """What a query pattern tags: an import, a reference of a kind, a definition of a kind, or nothing."""

    category: int
    definition: DefinitionKind = "function"
    reference: ReferenceKind = "call"
    capture: str = ""


_IMPORT_ROLE = Role(_IMPORT)
_OTHER_ROLE = Role(_OTHER)

_BY_LINES_AND_NAME = itemgetter(4, 5, 2)


def extract(path: str, source: bytes, language: str) -> FileIndex:
    """Index one file. Syntax errors are reported, and whatever the parser recovered is still indexed."""
    return index_from_rows(path, extract_rows(source, language))


def extract_rows(source: bytes, language: str) -> Rows:
    """`extract` as positional rows, without building the records (what the cache stores)."""
    spec = get(language)
    root = Parser(spec.ts_language).parse(source).root_node
    roles = _pattern_roles(language)
    found: Found = {}
    import_matches: list[Captures] = []
    references: list[tuple[Node, ReferenceKind]] = []
    for pattern, captures in QueryCursor(spec.tag_query).matches(root):
        role = roles[pattern]
        category = role[0]
        if category == _REFERENCE:  # most matches
            names = captures.get("name")
            if names:
                references.append((names[0], role[2]))
        elif category == _DEFINITION:
            names = captures.get("name")
            if names:
                kind = role[1]
                node = captures[role[3]][0]
                key = node.id
                previous = found.get(key)
                if previous is None or _RANK[kind] < _RANK[previous[2]]:
                    found[key] = (node, names[0], kind)
        elif category == _IMPORT:
            import_matches.append(captures)
    scopes = _Scopes(found, source)
    definitions = [
        _definition(node, name, kind, scopes, source, language) for node, name, kind in found.values()
    ]
    definitions.sort(key=_BY_LINES_AND_NAME)
    name_ids = {name.id for _, name, _ in found.values()}
    return Rows(
        language,
        spec.query_hash,
        spec.grammar_version,
        definitions,
        [(i.name, i.module, i.alias, i.line) for i in imports.from_matches(import_matches)],
        _references(references, name_ids, source),
        _error_rows(root),
    )


@cache
def _pattern_roles(language: str) -> tuple[Role, ...]:
    """Per process and language, per tag query pattern in order: what the pattern tags."""
    return tuple(_role(captures) for captures in get(language).pattern_captures)


def _role(captures: frozenset[str]) -> Role:
    """What a pattern capturing these names tags: `@import`, one `@reference.*` or `@definition.*`."""
    if "import" in captures:
        return _IMPORT_ROLE
    tags = sorted(name for name in captures if name.startswith(("definition.", "reference.")))
    if len(tags) != 1:
        return _OTHER_ROLE
    if tags[0] in _DEFINITION_KINDS:
        return Role(_DEFINITION, definition=_DEFINITION_KINDS[tags[0]], capture=tags[0])
    if tags[0] in _REFERENCE_KINDS:
        return Role(_REFERENCE, reference=_REFERENCE_KINDS[tags[0]])
    return _OTHER_ROLE


class _Scopes:
    """Parents and enclosing scope names of definition nodes; each ancestor is looked up once per file.

    `Node.parent` searches down from the root, so walking every definition's ancestors separately costs
    more than the rest of the definition; chains are memoized per node instead.
    """

    def __init__(self, found: Found, source: bytes) -> None:
        self._found = found
        self._source = source
        self._parents: dict[int, Node | None] = {}
        self._chains: dict[int, tuple[str, ...]] = {}

    def parent(self, node: Node) -> Node | None:
        key = node.id
        if key in self._parents:
            return self._parents[key]
        parent = self._parents[key] = node.parent
        return parent

    def containers(self, node: Node) -> list[str]:
        """Enclosing class, function and Rust impl names and the Go receiver type, outermost first."""
        parent = self.parent(node)
        names = list(self._chain(parent)) if parent is not None else []
        if node.type == "method_declaration":
            receiver = node.child_by_field_name("receiver")
            if receiver is not None:
                names.append(_base_type_name(receiver, self._source))
        return [name for name in names if name]

    def _chain(self, node: Node) -> tuple[str, ...]:
        """The scope names `node` and its ancestors give to what `node` contains, outermost first."""
        path: list[Node] = []
        current: Node | None = node
        while current is not None and current.id not in self._chains:
            path.append(current)
            current = self.parent(current)
        names = self._chains[current.id] if current is not None else ()
        for ancestor in reversed(path):
            own = self._own_name(ancestor)
            if own is not None:
                names = (*names, own)
            self._chains[ancestor.id] = names
        return names

    def _own_name(self, node: Node) -> str | None:
        entry = self._found.get(node.id)
        if entry is not None and entry[2] in _SCOPE_KINDS:
            return signatures.source_text(entry[1], self._source)
        if node.type == "impl_item":
            return _base_type_name(node.child_by_field_name("type"), self._source)
        return None


def _definition(
    node: Node, name_node: Node, kind: DefinitionKind, scopes: _Scopes, source: bytes, language: str
) -> DefinitionRow:
    name = signatures.source_text(name_node, source)
    parent = scopes.parent(node)
    outer = parent if parent is not None and parent.type == "decorated_definition" else node
    function = signatures.function_node(node)
    callable_ = kind in _CALLABLE_KINDS
    return (
        name,
        kind,
        ".".join([*scopes.containers(node), name]),
        signatures.signature_of(node, parent, function, source),
        outer.start_point.row + 1,
        node.end_point.row + 1,
        signatures.parameters_of(function, source) if callable_ else (),
        signatures.return_type_of(function, source) if callable_ else None,
        signatures.docstring(node, source) if language == "python" else None,
    )


def _base_type_name(node: Node | None, source: bytes) -> str:
    """`Repo` for `(r *Repo[T])`, `Foo<T>` or `crate::Foo`: the first type identifier, depth first."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if current.type == "type_identifier":
            return signatures.source_text(current, source)
        stack.extend(reversed(current.named_children))
    return ""


def _references(
    matches: list[tuple[Node, ReferenceKind]], definition_names: set[int], source: bytes
) -> list[ReferenceRow]:
    """One row per name node and kind, leaving out definitions' own names; by line, name and kind."""
    seen: set[int] = set()
    by_line: list[tuple[int, str, ReferenceKind]] = []
    for name, kind in matches:
        node_id = name.id
        key = node_id * 2 + (kind == "type")  # the node and the kind, without building a tuple
        if key in seen or node_id in definition_names:
            continue
        seen.add(key)
        text = source[name.start_byte : name.end_byte].decode("utf-8", errors="replace")
        by_line.append((name.start_point.row + 1, text, kind))
    by_line.sort()  # (line, name, kind): plain tuple order, cheaper than a key function
    return [(text, line, kind) for line, text, kind in by_line]


def _error_rows(root: Node) -> list[ErrorRow]:
    """Every ERROR and MISSING node, outermost only, as 1-based line ranges in source order."""
    if not root.has_error:
        return []
    ranges: set[ErrorRow] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            ranges.add((node.start_point.row + 1, node.end_point.row + 1))
            continue
        if node.has_error:
            stack.extend(node.children)
    return sorted(ranges)


def syntax_errors(root: Node) -> tuple[SyntaxErrorRange, ...]:
    """Every ERROR and MISSING node, outermost only, as 1-based line ranges in source order."""
    return tuple(SyntaxErrorRange(start, end) for start, end in _error_rows(root))
