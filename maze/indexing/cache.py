"""The shared index cache in the database: encoded FileIndex rows keyed by blob, language, grammar, query.

Every worker reads and writes the same rows, so a blob is parsed once per grammar and query version
across the whole installation. Writes ignore rows another worker stored first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import TypeVar, cast

from sqlalchemy import Select, Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from maze.indexing.languages import get
from maze.store.models import IndexedBlob

# Bound values per statement stay under 999, SQLite's limit before 3.32.
_BATCH = 900
T = TypeVar("T")


@dataclass(frozen=True, order=True, slots=True)
class CacheKey:
    """Everything an extraction result depends on."""

    blob_sha: str
    language: str
    grammar_version: str
    query_hash: str

    @classmethod
    def current(cls, blob_sha: str, language: str) -> CacheKey:
        """The key under the grammar and query this process would use."""
        return cls(blob_sha, language, *_versions(language))


@cache
def _versions(language: str) -> tuple[str, str]:
    spec = get(language)
    return spec.grammar_version, spec.query_hash


def _batches(keys: Iterable[T]) -> Iterator[list[T]]:
    iterator = iter(keys)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


# Core columns of the table, not ORM attributes: these statements need no ORM compilation context, which
# costs about 30 ms the first time in a process and a little on every call.
_TABLE = cast(Table, IndexedBlob.__table__)
_KEY_COLUMNS = (_TABLE.c.blob_sha, _TABLE.c.language, _TABLE.c.grammar_version, _TABLE.c.query_hash)


KeyColumns = tuple[str, str, str, str]


def _by_blob(
    keys: Collection[CacheKey],
) -> Iterator[tuple[dict[KeyColumns, CacheKey], Select[str, str, str, str]]]:
    """Batches of the wanted keys by their columns, each with a query for its blobs' rows.

    The query selects by blob SHA (the primary key's prefix) and query hash, so it may also return rows
    of another language or grammar version; callers keep only the wanted keys. One bound value per blob
    instead of four per key makes the lookup several times faster.
    """
    by_sha: dict[str, list[CacheKey]] = {}
    for key in keys:
        by_sha.setdefault(key.blob_sha, []).append(key)
    hashes = sorted({key.query_hash for key in keys})
    for batch in _batches(sorted(by_sha)):
        wanted: dict[KeyColumns, CacheKey] = {
            (key.blob_sha, key.language, key.grammar_version, key.query_hash): key
            for sha in batch
            for key in by_sha[sha]
        }
        yield (
            wanted,
            select(*_KEY_COLUMNS).where(_TABLE.c.blob_sha.in_(batch), _TABLE.c.query_hash.in_(hashes)),
        )


def present(session: Session, keys: Collection[CacheKey]) -> set[CacheKey]:
    """The keys that already have a stored result."""
    found: set[CacheKey] = set()
    for wanted, query in _by_blob(keys):
        for sha, language, grammar, query_hash in session.execute(query):
            key = wanted.get((sha, language, grammar, query_hash))
            if key is not None:
                found.add(key)
    return found


def load(session: Session, keys: Collection[CacheKey]) -> dict[CacheKey, bytes]:
    """Stored bytes for each key that has them."""
    found: dict[CacheKey, bytes] = {}
    for wanted, query in _by_blob(keys):
        for sha, language, grammar, query_hash, data in session.execute(query.add_columns(_TABLE.c.data)):
            key = wanted.get((sha, language, grammar, query_hash))
            if key is not None:
                found[key] = data
    return found


def store(session: Session, results: dict[CacheKey, bytes]) -> None:
    """Insert results; keys another worker stored meanwhile are left as they are.

    One statement executed with a list of parameter sets (the driver's executemany, or SQLAlchemy's
    batched "insertmanyvalues" on PostgreSQL), so no multi-row VALUES statement is compiled per batch.
    """
    if not results:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {
            "blob_sha": key.blob_sha,
            "language": key.language,
            "grammar_version": key.grammar_version,
            "query_hash": key.query_hash,
            "data": results[key],
        }
        for key in sorted(results)
    ]
    session.execute(insert(_TABLE).on_conflict_do_nothing(), rows)
