"""Fixtures for the validators: the real bubblewrap sandbox, a counting runner around it, a mypy state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from maze.sandbox.api import Runner
from maze.sandbox.bubblewrap import BubblewrapSandbox
from maze.sandbox.factory import bubblewrap_status
from maze.validators.node_tools import find
from tests.unit.validators.support import CountingRunner


def need(ready: bool, message: str) -> None:
    """Skip on a laptop without the tool; under CI=true a missing tool is a failure."""
    if ready:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: it is required)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def sandbox() -> Runner:
    status = bubblewrap_status()
    need(status.available and status.path is not None, f"bubblewrap cannot run here: {status.problem}")
    assert status.path is not None
    return BubblewrapSandbox(status.path)


@pytest.fixture(scope="session")
def node_tools(sandbox: Runner) -> None:
    """tsc and pyright from `npm ci --prefix tools`."""
    missing = [name for name in ("tsc", "pyright") if find(name, sandbox) is None]
    need(not missing, f"{', '.join(missing)} not installed: run `npm ci --prefix tools`")


@pytest.fixture()
def counting(sandbox: Runner) -> CountingRunner:
    return CountingRunner(sandbox)


@pytest.fixture(scope="session")
def mypy_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the session: typeshed is analysed once, each tree's own modules again."""
    return tmp_path_factory.mktemp("mypy-state")
