"""Installation webhooks' work in the worker: sync from GitHub, suspension, deletion of stored data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.emulator.keys import AppKeyPair
from bot.emulator.server import EmulatorServer
from bot.emulator.state import EmulatorState
from bot.github.api import RetryPolicy
from maze.config import Settings
from maze.installations import InstallationSync
from maze.runs import ReviewRequest
from maze.store import schema
from maze.store.db import session_scope
from maze.store.models import Installation, Repository
from tasks import runtime
from tasks.installations import run_installation_sync
from tasks.queue import drive_review

APP_ID = 91


@pytest.fixture()
def world(app_key: AppKeyPair, tmp_path: Path) -> Iterator[tuple[EmulatorState, Settings, int]]:
    state = EmulatorState(app_id=APP_ID, app_public_key_pem=app_key.public_pem)
    installation = state.add_installation("acme")
    state.create_repository(installation, "acme/one", {"a.py": "x = 1\n"})
    state.create_repository(installation, "acme/two", {"b.py": "y = 1\n"}, default_branch="trunk")
    with EmulatorServer(state) as server:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'maze.db'}",
            github_app_id=APP_ID,
            github_private_key=SecretStr(app_key.private_pem),
            github_api_url=server.url,
        )
        schema.upgrade(settings.database_url)
        process = runtime.configure(settings, RetryPolicy(max_attempts=3, base_delay=0.001))
        yield state, settings, installation
        process.close()
    assert state.contract_violations == []


def _stored(settings: Settings) -> tuple[list[tuple[int, str, bool]], list[tuple[str, str]]]:
    with session_scope(settings.database_url) as session:
        installations = [(i.id, i.account_login, i.suspended) for i in session.scalars(select(Installation))]
        repositories = sorted((r.full_name, r.default_branch) for r in session.scalars(select(Repository)))
        return installations, repositories


def test_created_installation_is_stored_with_its_repositories(
    world: tuple[EmulatorState, Settings, int],
) -> None:
    _, settings, installation = world
    assert run_installation_sync(InstallationSync(installation, "created", "d1")) == "synced"
    assert _stored(settings) == (
        [(installation, "acme", False)],
        [("acme/one", "main"), ("acme/two", "trunk")],
    )


def test_suspension_stops_reviews_and_unsuspension_resumes(
    world: tuple[EmulatorState, Settings, int],
) -> None:
    state, settings, installation = world
    run_installation_sync(InstallationSync(installation, "created", "d1"))
    state.suspend_installation(installation)
    assert run_installation_sync(InstallationSync(installation, "suspend", "d2")) == "suspended"
    assert _stored(settings)[0] == [(installation, "acme", True)]
    requests_before = len(state.request_log)
    assert drive_review(ReviewRequest(installation, 1, "acme/one", 1, "a" * 40, "d3")) is None
    assert len(state.request_log) == requests_before
    state.unsuspend_installation(installation)
    assert run_installation_sync(InstallationSync(installation, "unsuspend", "d4")) == "synced"
    assert _stored(settings)[0] == [(installation, "acme", False)]


def test_a_deleted_installation_leaves_nothing_stored(
    world: tuple[EmulatorState, Settings, int],
) -> None:
    state, settings, installation = world
    run_installation_sync(InstallationSync(installation, "created", "d1"))
    state.delete_installation(installation)
    assert run_installation_sync(InstallationSync(installation, "deleted", "d2")) == "deleted"
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(Installation)) == 0
        assert session.scalar(select(func.count()).select_from(Repository)) == 0
