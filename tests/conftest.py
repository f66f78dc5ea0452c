"""Shared fixtures: the machine's PostgreSQL and Redis (own database and key prefix per session), app keys."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text

from bot.emulator.keys import AppKeyPair, generate_app_key

os.environ.setdefault("HF_HUB_OFFLINE", "1")

POSTGRES_ADMIN_URL = os.environ.get(
    "MAZE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("MAZE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url.replace("postgresql+psycopg", "postgresql"))
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def _need(service: str, url: str, default_port: int) -> None:
    """Skip on a laptop without the service; under CI=true a missing service is a failure."""
    if _reachable(url, default_port):
        return
    message = f"{service} is not reachable at {url}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: services are required)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def app_key() -> AppKeyPair:
    return generate_app_key()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own on the machine's PostgreSQL, dropped afterwards."""
    _need("PostgreSQL", POSTGRES_ADMIN_URL, 5432)
    name = f"maze_test_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from maze.store.db import dispose_engines

        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    _need("Redis", REDIS_URL, 6379)
    return REDIS_URL


@pytest.fixture()
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"maze-test-{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()
