"""Pytest fixtures for the fault tools; each one stops what it started, even when the test fails.

tests/faults/conftest.py imports them; a conftest elsewhere can do the same:
`from tests.faults.fixtures import private_redis, postgres_proxy, process_groups`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, _need
from tests.faults.processes import ProcessGroup
from tests.faults.proxy import TcpOutageProxy
from tests.faults.redis_server import PrivateRedis

__all__ = ["postgres_proxy", "private_redis", "process_groups"]

StartGroup = Callable[..., ProcessGroup]


@pytest.fixture()
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A started redis-server of this test's own (never the shared one on 6379), stopped afterwards."""
    server = PrivateRedis(tmp_path / "redis")
    try:
        server.start()
    except FileNotFoundError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{error} (CI=true: services are required)", pytrace=False)
        pytest.skip(str(error))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture()
def postgres_proxy() -> Iterator[TcpOutageProxy]:
    """A started `TcpOutageProxy` in front of the machine's PostgreSQL; `url_for(postgres_url)` uses it."""
    _need("PostgreSQL", POSTGRES_ADMIN_URL, 5432)
    with TcpOutageProxy.for_url(POSTGRES_ADMIN_URL) as proxy:
        yield proxy


@pytest.fixture()
def process_groups(tmp_path: Path) -> Iterator[StartGroup]:
    """`process_groups(argv, env=..., cwd=..., log_path=...)` starts a `ProcessGroup`; all die at teardown."""
    started: list[ProcessGroup] = []

    def start(
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        log_path: Path | str | None = None,
    ) -> ProcessGroup:
        log = log_path if log_path is not None else tmp_path / f"group-{len(started)}.log"
        group = ProcessGroup(argv, env=env, cwd=cwd if cwd is not None else tmp_path, log_path=log)
        started.append(group)
        return group.start()

    yield start
    errors: list[BaseException] = []
    for group in started:
        try:
            group.close()
        except BaseException as error:
            errors.append(error)
    if errors:
        raise errors[0]
