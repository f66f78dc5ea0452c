"""Scope and types at a location: what a repair or a constrained generation may name at a given line.

    scope_at(source, language, line) -> Scope
        The names visible at a 1-based line, each once (the innermost binding wins), in lookup order:
        the innermost scope's names first, then each enclosing scope's, then the module's and its
        imports, then the language's builtins. `Scope.enclosing` holds the qualified names of the
        enclosing definitions, outermost first, as `FileIndex` spells them (`("Repo", "Repo.size")`), and
        `Scope.lookup(name)` resolves one name.
    members(source, language, container) -> tuple[Member, ...]
        The members of a class, struct, interface, trait or enum named `container` (a simple or qualified
        name), in source order: methods, fields, properties, `self.x`/`this.x` attributes, constructor
        parameter properties, Go methods on the type, Rust `impl` items. Empty when no such container.
    module_members(index) -> tuple[Member, ...]
        The public top-level names of an already indexed file.

A `ScopedName` has a `kind` (local, parameter, type_parameter, class for a Python class body, module,
import, builtin), the 1-based `line` it is bound on (None for builtins) and, for imports, the `origin`
module. Its `type` is the annotated or declared type (Python's `self` is the class, `cls` `type[Class]`),
a simple inference when the expression alone says it (`3` -> int, `Foo(...)`/`new Foo()`/`Foo{}`/
`Foo::new()` -> Foo), the one-line header of a named definition (function, class, struct...), or None.

Locals count once bound at or before the line (an assignment spanning several lines binds on its last);
module names are visible throughout to code inside a function (Python, JavaScript) and everywhere in Go
and Rust; Python class bodies are invisible to their methods. A file with syntax errors gets a best-effort
answer; a line outside the file or an unknown language is a ValueError. The last few parse trees are kept,
since a review asks about many lines of the same file.
"""

from __future__ import annotations

import ast
from functools import cache, lru_cache

from tree_sitter import Parser, Tree

from maze.indexing.languages import LANGUAGES
from maze.indexing.languages import get as get_language
from maze.indexing.model import Definition, FileIndex
from maze.indexing.scopes import ecmascript, go, python, rust
from maze.indexing.scopes.base import (
    Member,
    MemberKind,
    Rules,
    Scope,
    ScopedName,
    ScopeKind,
    anchor,
    line_count,
    resolve,
)

__all__ = [
    "Member",
    "MemberKind",
    "Scope",
    "ScopeKind",
    "ScopedName",
    "members",
    "module_members",
    "scope_at",
]

_RULES: dict[str, Rules] = {
    "python": python.RULES,
    "typescript": ecmascript.TYPESCRIPT,
    "tsx": ecmascript.TYPESCRIPT,
    "javascript": ecmascript.JAVASCRIPT,
    "go": go.RULES,
    "rust": rust.RULES,
}


def scope_at(source: bytes, language: str, line: int) -> Scope:
    """The names visible at 1-based `line` of `source`, innermost binding first, builtins last."""
    rules = _rules(language)
    count = line_count(source)
    if not 1 <= line <= count:
        raise ValueError(f"line {line} is outside the file, which has lines 1 to {count}")
    root = _parse(source, language).root_node
    found = rules.collect(root, anchor(root, source, line - 1), line - 1, source)
    return Scope(tuple(found.enclosing), resolve(found.frames, line, rules.builtins()))


def members(source: bytes, language: str, container: str) -> tuple[Member, ...]:
    """Members of the class, struct, interface, trait or enum `container`; () when the file has none."""
    rules = _rules(language)
    return tuple(rules.members(_parse(source, language).root_node, container, source))


def module_members(index: FileIndex) -> tuple[Member, ...]:
    """Public top-level names of an indexed file, in source order.

    Python: names without a leading underscore, or exactly those in a one-line `__all__` list when there is
    one. Go: capitalised names. Rust: `pub` items. JavaScript and TypeScript: every top-level definition,
    since the index does not record which are exported. ValueError for an unknown language.
    """
    _rules(index.language)
    top = [item for item in index.definitions if item.qualified_name == item.name and item.kind != "method"]
    if index.language == "python":
        exported = _python_all(top)
        if exported is not None:
            return _python_listed(index, top, exported)
        top = [item for item in top if not item.name.startswith("_")]
    elif index.language == "go":
        top = [item for item in top if item.name[:1].isupper()]
    elif index.language == "rust":
        top = [item for item in top if item.signature.startswith("pub")]
    seen: set[str] = set()
    result = []
    for item in top:
        if item.name not in seen:
            seen.add(item.name)
            result.append(_member(item))
    return tuple(result)


def _rules(language: str) -> Rules:
    rules = _RULES.get(language)
    if rules is None:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(sorted(LANGUAGES))}")
    return rules


@lru_cache(maxsize=8)
def _parse(source: bytes, language: str) -> Tree:
    return Parser(get_language(language).ts_language).parse(source)


def _member(definition: Definition) -> Member:
    kind: MemberKind = definition.kind
    return Member(definition.name, kind, definition.return_type, definition.signature, definition.start_line)


def _python_all(top: list[Definition]) -> tuple[str, ...] | None:
    """The names of a module-level `__all__ = [...]` written on one line, else None."""
    for item in top:
        if item.name != "__all__":
            continue
        _, _, value = item.signature.partition("=")
        return _literal_names(value.strip())
    return None


@cache
def _literal_names(value: str) -> tuple[str, ...] | None:
    try:
        names = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(names, list | tuple) and all(isinstance(name, str) for name in names):
        return tuple(names)
    return None


def _python_listed(index: FileIndex, top: list[Definition], exported: tuple[str, ...]) -> tuple[Member, ...]:
    by_name: dict[str, Member] = {}
    for item in top:
        by_name.setdefault(item.name, _member(item))
    for imported in index.imports:
        bound = imported.alias or imported.name
        by_name.setdefault(bound, Member(bound, "import", None, None, imported.line))
    listed = [by_name[name] for name in dict.fromkeys(exported) if name in by_name]
    return tuple(sorted(listed, key=lambda item: item.line))
