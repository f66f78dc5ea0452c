"""Engines and sessions: one engine per database URL per process, sessions as short units of work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _enable_sqlite_foreign_keys(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_engines: dict[str, Engine] = {}


def _drop_inherited_connections() -> None:
    """In a forked child, never reuse the parent's pooled connections (their sockets are shared)."""
    for engine in _engines.values():
        engine.dispose(close=False)


def engine_for(url: str) -> Engine:
    """The process-wide engine for `url`; SQLite files get their folder created and foreign keys on."""
    engine = _engines.get(url)
    if engine is None:
        if not _engines:
            os.register_at_fork(after_in_child=_drop_inherited_connections)
        engine = _engines[url] = _create_engine(url)
    return engine


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (tests, and shutdown)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _session_factory.cache_clear()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = _session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
