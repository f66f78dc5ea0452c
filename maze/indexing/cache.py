"""The shared index cache in the database: encoded FileIndex rows keyed by blob, language, grammar, query.

Every worker reads and writes the same rows, so a blob is parsed once per grammar and query version
across the whole installation. Writes ignore rows another worker stored first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from maze.indexing.languages import get
from maze.store.models import IndexedBlob

_BATCH = 500


@dataclass(frozen=True, order=True)
class CacheKey:
    """Everything an extraction result depends on."""

    blob_sha: str
    language: str
    grammar_version: str
    query_hash: str

    @classmethod
    def current(cls, blob_sha: str, language: str) -> CacheKey:
        """The key under the grammar and query this process would use."""
        spec = get(language)
        return cls(blob_sha, language, spec.grammar_version, spec.query_hash)


def _batches(keys: Iterable[CacheKey]) -> Iterator[list[CacheKey]]:
    iterator = iter(keys)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


_KEY_COLUMNS = (
    IndexedBlob.blob_sha,
    IndexedBlob.language,
    IndexedBlob.grammar_version,
    IndexedBlob.query_hash,
)


def _condition(batch: list[CacheKey]) -> ColumnElement[bool]:
    return tuple_(*_KEY_COLUMNS).in_(
        [(k.blob_sha, k.language, k.grammar_version, k.query_hash) for k in batch]
    )


def present(session: Session, keys: Collection[CacheKey]) -> set[CacheKey]:
    """The keys that already have a stored result."""
    found: set[CacheKey] = set()
    for batch in _batches(sorted(set(keys))):
        rows = session.execute(select(*_KEY_COLUMNS).where(_condition(batch)))
        found.update(CacheKey(*row) for row in rows)
    return found


def load(session: Session, keys: Collection[CacheKey]) -> dict[CacheKey, bytes]:
    """Stored bytes for each key that has them."""
    found: dict[CacheKey, bytes] = {}
    for batch in _batches(sorted(set(keys))):
        rows = session.execute(select(*_KEY_COLUMNS, IndexedBlob.data).where(_condition(batch)))
        for sha, language, grammar, query, data in rows:
            found[CacheKey(sha, language, grammar, query)] = data
    return found


def store(session: Session, results: dict[CacheKey, bytes]) -> None:
    """Insert results; keys another worker stored meanwhile are left as they are."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for batch in _batches(sorted(results)):
        rows = [
            {
                "blob_sha": key.blob_sha,
                "language": key.language,
                "grammar_version": key.grammar_version,
                "query_hash": key.query_hash,
                "data": results[key],
            }
            for key in batch
        ]
        session.execute(insert(IndexedBlob).values(rows).on_conflict_do_nothing())
