"""Compact, versioned bytes for a FileIndex, as stored in the shared cache.

The path is not stored: one blob may live at many paths, so it is given back when decoding. Records are
positional JSON arrays compressed with zlib, which keeps rows small and decoding cheap.

`Rows` is that positional form before JSON. The extractor produces it directly (`extract_rows`), so a
worker encodes a file without building the FileIndex records first; `index_from_rows` builds them, and
`decode(encode_rows(rows), path) == index_from_rows(path, rows)`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any, NamedTuple

from maze.indexing.model import (
    Definition,
    DefinitionKind,
    FileIndex,
    Import,
    Parameter,
    Reference,
    ReferenceKind,
    SyntaxErrorRange,
)

FORMAT = 1

ParameterRow = tuple[str, str | None]
DefinitionRow = tuple[str, DefinitionKind, str, str, int, int, Sequence[ParameterRow], str | None, str | None]
"""name, kind, qualified name, signature, start line, end line, parameters, return type, docstring."""
ImportRow = tuple[str, str, str | None, int]
ReferenceRow = tuple[str, int, ReferenceKind]
"""name, line, kind."""
ErrorRow = tuple[int, int]

_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)  # rows hold no cycles


class Rows(NamedTuple):
    """A FileIndex without its path, as positional rows in the order the cache stores them."""

    language: str
    query_hash: str
    grammar_version: str
    definitions: Sequence[DefinitionRow]
    imports: Sequence[ImportRow]
    references: Sequence[ReferenceRow]
    syntax_errors: Sequence[ErrorRow]


class CacheFormatError(ValueError):
    """Stored bytes that this version cannot read; the blob is simply indexed again."""


def rows_of(index: FileIndex) -> Rows:
    """The rows of a FileIndex record."""
    return Rows(
        index.language,
        index.query_hash,
        index.grammar_version,
        [
            (
                d.name,
                d.kind,
                d.qualified_name,
                d.signature,
                d.start_line,
                d.end_line,
                [(p.name, p.type) for p in d.parameters],
                d.return_type,
                d.docstring,
            )
            for d in index.definitions
        ],
        [(i.name, i.module, i.alias, i.line) for i in index.imports],
        [(r.name, r.line, r.kind) for r in index.references],
        [(e.start_line, e.end_line) for e in index.syntax_errors],
    )


def encode_rows(rows: Rows) -> bytes:
    """Bytes for the cache, straight from rows."""
    document = [FORMAT, *rows]
    return zlib.compress(_ENCODER.encode(document).encode("utf-8"), 1)


def encode(index: FileIndex) -> bytes:
    """Bytes for the cache; `decode(encode(i), i.path) == i`."""
    return encode_rows(rows_of(index))


def index_from_rows(path: str, rows: Rows) -> FileIndex:
    """The FileIndex records of `rows`, placed at `path`."""
    return FileIndex(
        path=path,
        language=rows.language,
        definitions=tuple(
            Definition(
                name=d[0],
                kind=d[1],
                qualified_name=d[2],
                signature=d[3],
                start_line=d[4],
                end_line=d[5],
                parameters=tuple(Parameter(p[0], p[1]) for p in d[6]),
                return_type=d[7],
                docstring=d[8],
            )
            for d in rows.definitions
        ),
        imports=tuple(Import(i[0], i[1], i[2], i[3]) for i in rows.imports),
        references=tuple(Reference(r[0], r[1], r[2]) for r in rows.references),
        syntax_errors=tuple(SyntaxErrorRange(e[0], e[1]) for e in rows.syntax_errors),
        query_hash=rows.query_hash,
        grammar_version=rows.grammar_version,
    )


def decode(data: bytes, path: str) -> FileIndex:
    """The FileIndex stored in `data`, placed at `path`; CacheFormatError if it cannot be read."""
    try:
        document: list[Any] = json.loads(zlib.decompress(data))
        if document[0] != FORMAT:
            raise CacheFormatError(f"cache format {document[0]!r}, expected {FORMAT}")
        _, language, query_hash, grammar_version, definitions, imports, references, errors = document
        return index_from_rows(
            path, Rows(language, query_hash, grammar_version, definitions, imports, references, errors)
        )
    except CacheFormatError:
        raise
    except (ValueError, TypeError, IndexError, zlib.error) as error:
        raise CacheFormatError(f"unreadable cache entry: {error}") from error
