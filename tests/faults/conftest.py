"""Fault-tool fixtures, and a check that no test here leaves a thread or a child process behind."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from tests.faults.fixtures import postgres_proxy, private_redis, process_groups
from tests.faults.processes import descendants, is_alive

__all__ = ["no_leaks", "postgres_proxy", "private_redis", "process_groups"]


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Fail a test that leaves a new thread or a live child process after its own fixtures are torn down."""
    threads_before = set(threading.enumerate())
    children_before = descendants(os.getpid())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        threads = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
        children = {p for p in descendants(os.getpid()) - children_before if is_alive(p)}
        if (not threads and not children) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not threads, f"threads left running: {[t.name for t in threads]}"
    assert not children, f"processes left running: {sorted(children)}"
