"""What the extractor produces for one file: immutable records, safe to cache and compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DefinitionKind = Literal["function", "method", "class", "type", "constant", "variable"]
ReferenceKind = Literal["call", "type"]


@dataclass(frozen=True)
class Parameter:
    """One declared parameter; `type` is the annotation text where the language and code give one."""

    name: str
    type: str | None = None


@dataclass(frozen=True)
class Definition:
    """A named definition. Lines are 1-based and inclusive; `start_line` includes Python decorators."""

    name: str
    kind: DefinitionKind
    qualified_name: str
    signature: str
    start_line: int
    end_line: int
    parameters: tuple[Parameter, ...] = ()
    return_type: str | None = None
    docstring: str | None = None


@dataclass(frozen=True)
class Import:
    """One imported name. `name` equals `module` when the whole module is imported."""

    name: str
    module: str
    alias: str | None
    line: int


@dataclass(frozen=True)
class Reference:
    """A use of a name: a call (`f()`, `obj.f()`, `new F()`) or a type in an annotation or base list."""

    name: str
    line: int
    kind: ReferenceKind


@dataclass(frozen=True)
class SyntaxErrorRange:
    """Lines (1-based, inclusive) of an ERROR or MISSING node the parser recovered from."""

    start_line: int
    end_line: int


@dataclass(frozen=True)
class FileIndex:
    """Everything extracted from one file, with the query hash and grammar version that produced it."""

    path: str
    language: str
    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]
    references: tuple[Reference, ...]
    syntax_errors: tuple[SyntaxErrorRange, ...]
    query_hash: str
    grammar_version: str
