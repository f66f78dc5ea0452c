"""The diagnostic cache: a tool's output keyed by (tool, tool version, configuration hash, content hash).

`DatabaseDiagnosticCache` shares results between every worker through the `diagnostic_cache` table;
concurrent writers of the same key keep the first row (ON CONFLICT DO NOTHING on SQLite and PostgreSQL).
`MemoryDiagnosticCache` serves one process (the command line without a database, tests).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from maze.store.db import session_scope
from maze.store.models import DiagnosticCacheEntry
from maze.validators.model import ToolOutput

_VERSION_CHARS = 128


@dataclass(frozen=True, order=True)
class CacheKey:
    """Everything a tool's output depends on."""

    tool: str
    tool_version: str
    config_hash: str
    content_hash: str

    @classmethod
    def of(cls, tool: str, tool_version: str, config_hash: str, content_hash: str) -> CacheKey:
        """A key whose version fits the column: an overlong version string is replaced by its hash."""
        if len(tool_version) > _VERSION_CHARS:
            tool_version = "sha256:" + hashlib.sha256(tool_version.encode()).hexdigest()
        return cls(tool, tool_version, config_hash, content_hash)


class DiagnosticCache(Protocol):
    def get(self, key: CacheKey) -> ToolOutput | None: ...

    def put(self, key: CacheKey, output: ToolOutput) -> None: ...


class MemoryDiagnosticCache:
    """A dictionary: one process's cache."""

    def __init__(self) -> None:
        self.entries: dict[CacheKey, ToolOutput] = {}

    def get(self, key: CacheKey) -> ToolOutput | None:
        return self.entries.get(key)

    def put(self, key: CacheKey, output: ToolOutput) -> None:
        self.entries.setdefault(key, output)


class DatabaseDiagnosticCache:
    """Rows of `diagnostic_cache` in the database at `database_url` (schema at revision 0004 or later)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def get(self, key: CacheKey) -> ToolOutput | None:
        with session_scope(self.database_url) as session:
            row = session.execute(
                select(DiagnosticCacheEntry.result).where(
                    DiagnosticCacheEntry.tool == key.tool,
                    DiagnosticCacheEntry.tool_version == key.tool_version,
                    DiagnosticCacheEntry.config_hash == key.config_hash,
                    DiagnosticCacheEntry.content_hash == key.content_hash,
                )
            ).scalar_one_or_none()
        return None if row is None else ToolOutput.from_json(row)

    def put(self, key: CacheKey, output: ToolOutput) -> None:
        with session_scope(self.database_url) as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                insert(DiagnosticCacheEntry)
                .values(
                    tool=key.tool,
                    tool_version=key.tool_version,
                    config_hash=key.config_hash,
                    content_hash=key.content_hash,
                    result=output.to_json(),
                )
                .on_conflict_do_nothing()
            )
