"""Fixtures of the edge tests: an emulated GitHub with one installation, and a worker runtime aimed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.emulator.server import EmulatorServer
from bot.emulator.state import EmulatorState
from bot.github.api import RetryPolicy
from maze.config import Settings
from maze.store import schema
from tasks import runtime

APP_ID = 77


@pytest.fixture()
def world(app_key: Any, tmp_path: Path) -> Iterator[tuple[EmulatorState, Settings]]:
    state = EmulatorState(app_id=APP_ID, app_public_key_pem=app_key.public_pem)
    state.add_installation("octo-org")
    with EmulatorServer(state) as server:
        settings = Settings(
            push_debounce_seconds=0,
            stage_retries=3,
            database_url=f"sqlite:///{tmp_path / 'maze.db'}",
            webhook_secret=SecretStr("s"),
            github_app_id=APP_ID,
            github_private_key=SecretStr(app_key.private_pem),
            github_api_url=server.url,
        )
        schema.upgrade(settings.database_url)
        process = runtime.configure(settings, RetryPolicy(max_attempts=4, base_delay=0.01))
        yield state, settings
        process.close()
    assert state.contract_violations == []
