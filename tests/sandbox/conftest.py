"""Sandbox fixtures: the real bubblewrap runner, a small tree, and a check that no run leaves a process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from maze.sandbox.bubblewrap import BubblewrapSandbox
from maze.sandbox.factory import bubblewrap_status
from maze.sandbox.uids import uid_range
from tests.sandbox.support import wait_until_gone


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: waits for a limit to expire (a second or so); runs by default")


@pytest.fixture(scope="session")
def sandbox() -> BubblewrapSandbox:
    status = bubblewrap_status()
    if not status.available:
        message = f"bubblewrap is unusable here: {status.problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return BubblewrapSandbox(status.path or "bwrap")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    (root / "README.md").write_text("hello from the tree\n")
    (root / "pkg" / "mod.py").write_text("VALUE = 42\n")
    return root


@pytest.fixture(autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """Every run must be over, all its processes included, by the time `run` returns."""
    yield
    left = wait_until_gone(uid_range(), seconds=0.0)
    assert not left, f"sandboxed processes left behind: {left}"
