"""The records `maze.indexing.scope` returns, and the language-neutral parts of building them.

A language module turns the ancestors of a line into frames of bindings, innermost first; `resolve` then
picks one binding per name and frame and lets inner frames shadow outer ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from tree_sitter import Node

ScopeKind = Literal["local", "parameter", "type_parameter", "class", "module", "import", "builtin"]
MemberKind = Literal[
    "method",
    "function",
    "constructor",
    "property",
    "field",
    "attribute",
    "variant",
    "constant",
    "variable",
    "class",
    "type",
    "import",
]


@dataclass(frozen=True)
class ScopedName:
    """A name visible at a line: how it is bound there, its type text when known, and the 1-based line."""

    name: str
    kind: ScopeKind
    type: str | None
    line: int | None
    origin: str | None = None


@dataclass(frozen=True)
class Scope:
    """The names visible at one line, innermost binding first, builtins last."""

    enclosing: tuple[str, ...]
    names: tuple[ScopedName, ...]

    def lookup(self, name: str) -> ScopedName | None:
        """The binding `name` resolves to at this line, or None when nothing visible binds it."""
        return next((item for item in self.names if item.name == name), None)


@dataclass(frozen=True)
class Member:
    """A member of a class, struct, interface, trait, enum or module.

    `type` is a field's declared (or simply inferred) type, or a method's return type; `signature` is a
    method's or definition's one-line header.
    """

    name: str
    kind: MemberKind
    type: str | None
    signature: str | None
    line: int


@dataclass(frozen=True)
class Binding:
    """One binding of a name in a frame; `declared` marks an annotation, which beats an inference."""

    name: str
    kind: ScopeKind
    type: str | None
    line: int
    origin: str | None = None
    declared: bool = False
    since: int | None = None

    def visible_at(self, line: int) -> bool:
        """Whether bound by `line`; an assignment spanning several lines binds on its last (`since`)."""
        return (self.since or self.line) <= line


@dataclass
class Collected:
    """Found at a line: enclosing definitions (outermost first) and frames of bindings (innermost first)."""

    enclosing: list[str] = field(default_factory=list)
    frames: list[list[Binding]] = field(default_factory=list)


@dataclass(frozen=True)
class Rules:
    """A language family's scope rules."""

    collect: Callable[[Node, Node, int, bytes], Collected]
    members: Callable[[Node, str, bytes], list[Member]]
    builtins: Callable[[], tuple[ScopedName, ...]]


def line_of(node: Node) -> int:
    return node.start_point.row + 1


def bound_after(bindings: list[Binding], statement: Node) -> list[Binding]:
    """The bindings, visible only from the last line of `statement` (an assignment spanning several lines)."""
    last = statement.end_point.row + 1
    return [replace(item, since=last) if last > item.line else item for item in bindings]


def without_parentheses(node: Node | None) -> Node | None:
    """`x` for `((x))`."""
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def ancestors(node: Node) -> Iterator[tuple[Node, Node | None]]:
    """(ancestor, its child on the way down from `node`), from `node` itself up to the root."""
    child: Node | None = None
    current: Node | None = node
    while current is not None:
        yield current, child
        child, current = current, current.parent


def anchor(root: Node, source: bytes, row: int) -> Node:
    """The innermost node at the first non-blank column of `row` (column 0 on a blank line)."""
    lines = source.split(b"\n")
    content = lines[row] if row < len(lines) else b""
    column = len(content) - len(content.lstrip(b" \t\r\f\v"))
    if column == len(content):
        column = 0
    return root.descendant_for_point_range((row, column), (row, column)) or root


def line_count(source: bytes) -> int:
    """Lines in the file; a trailing newline does not start another, and an empty file has one line."""
    count = source.count(b"\n") + (0 if source.endswith(b"\n") else 1)
    return max(count, 1)


def resolve(
    frames: Iterable[list[Binding]], line: int, builtins: Iterable[ScopedName]
) -> tuple[ScopedName, ...]:
    """One name per binding visible at `line`: inner frames shadow outer ones, builtins come last.

    Within a frame the latest binding at or before `line` wins (the earliest one when all come later, for
    module names used from a function); a declared type beats an inferred one.
    """
    seen: set[str] = set()
    result: list[ScopedName] = []
    for frame in frames:
        chosen = [item for item in _choose(frame, line) if item.name not in seen]
        chosen.sort(key=lambda item: item.line or 0)
        seen.update(item.name for item in chosen)
        result.extend(chosen)
    result.extend(item for item in builtins if item.name not in seen)
    return tuple(result)


def _choose(frame: list[Binding], line: int) -> list[ScopedName]:
    groups: dict[str, list[Binding]] = {}
    for binding in sorted(frame, key=lambda item: item.line):
        if binding.name:
            groups.setdefault(binding.name, []).append(binding)
    result: list[ScopedName] = []
    for name, group in groups.items():
        before = [item for item in group if item.visible_at(line)]
        pick = before[-1] if before else group[0]
        declared = [item for item in before or [pick] if item.declared]
        type_ = declared[-1].type if declared else pick.type
        result.append(ScopedName(name, pick.kind, type_, pick.line, pick.origin))
    return result


def find_container(candidates: Iterable[tuple[str, Node]], container: str) -> list[Node]:
    """Nodes whose qualified name is `container`, else those whose last segment is `container`'s last one."""
    listed = list(candidates)
    exact = [node for name, node in listed if name == container]
    if exact:
        return exact
    short = container.replace("::", ".").rsplit(".", 1)[-1]
    return [node for name, node in listed if name.replace("::", ".").rsplit(".", 1)[-1] == short]


def merge_members(members: Iterable[Member]) -> list[Member]:
    """The first member of each name, in source order, taking a later one's type when the first has none."""
    merged: dict[str, Member] = {}
    for member in members:
        previous = merged.get(member.name)
        if previous is None:
            merged[member.name] = member
        elif previous.type is None and member.type is not None:
            merged[member.name] = Member(
                previous.name, previous.kind, member.type, previous.signature, previous.line
            )
    return sorted(merged.values(), key=lambda item: item.line)
