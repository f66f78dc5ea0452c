"""Compact, versioned bytes for a FileIndex, as stored in the shared cache.

The path is not stored: one blob may live at many paths, so it is given back when decoding. Records are
positional JSON arrays compressed with zlib, which keeps rows small and decoding cheap.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from maze.indexing.model import (
    Definition,
    FileIndex,
    Import,
    Parameter,
    Reference,
    SyntaxErrorRange,
)

FORMAT = 1


class CacheFormatError(ValueError):
    """Stored bytes that this version cannot read; the blob is simply indexed again."""


def encode(index: FileIndex) -> bytes:
    """Bytes for the cache; `decode(encode(i), i.path) == i`."""
    document = [
        FORMAT,
        index.language,
        index.query_hash,
        index.grammar_version,
        [
            [
                d.name,
                d.kind,
                d.qualified_name,
                d.signature,
                d.start_line,
                d.end_line,
                [[p.name, p.type] for p in d.parameters],
                d.return_type,
                d.docstring,
            ]
            for d in index.definitions
        ],
        [[i.name, i.module, i.alias, i.line] for i in index.imports],
        [[r.name, r.line, r.kind] for r in index.references],
        [[e.start_line, e.end_line] for e in index.syntax_errors],
    ]
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"), 1)


def decode(data: bytes, path: str) -> FileIndex:
    """The FileIndex stored in `data`, placed at `path`; CacheFormatError if it cannot be read."""
    try:
        document: list[Any] = json.loads(zlib.decompress(data))
        if document[0] != FORMAT:
            raise CacheFormatError(f"cache format {document[0]!r}, expected {FORMAT}")
        _, language, query_hash, grammar_version, definitions, imports, references, errors = document
        return FileIndex(
            path=path,
            language=language,
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
                for d in definitions
            ),
            imports=tuple(Import(i[0], i[1], i[2], i[3]) for i in imports),
            references=tuple(Reference(r[0], r[1], r[2]) for r in references),
            syntax_errors=tuple(SyntaxErrorRange(e[0], e[1]) for e in errors),
            query_hash=query_hash,
            grammar_version=grammar_version,
        )
    except CacheFormatError:
        raise
    except (ValueError, TypeError, IndexError, zlib.error) as error:
        raise CacheFormatError(f"unreadable cache entry: {error}") from error
