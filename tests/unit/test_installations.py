"""Installations and repositories kept in step with GitHub; deletion removes everything stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from maze.installations import (
    RepositoryRecord,
    delete_installation,
    is_suspended,
    replace_repositories,
    upsert_installation,
)
from maze.runs import ReviewRequest, get_or_create_run
from maze.store import schema
from maze.store.db import session_scope
from maze.store.models import Installation, Repository, ReviewRun


def _url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'maze.db'}"
    schema.upgrade(url)
    return url


def test_sync_adds_updates_and_removes_repositories(tmp_path: Path) -> None:
    url = _url(tmp_path)
    with session_scope(url) as session:
        upsert_installation(
            session, 1, account_login="octo-org", account_type="Organization", suspended=False
        )
        assert (
            replace_repositories(
                session,
                1,
                [RepositoryRecord(10, "octo-org/a", "main"), RepositoryRecord(11, "octo-org/b", "dev")],
            )
            == 0
        )
        get_or_create_run(session, ReviewRequest(1, 11, "octo-org/b", 2, "c" * 40, "d"))
    with session_scope(url) as session:
        assert replace_repositories(session, 1, [RepositoryRecord(10, "octo-org/renamed", "trunk")]) == 1
    with session_scope(url) as session:
        (repository,) = session.scalars(select(Repository)).all()
        assert (repository.full_name, repository.default_branch) == ("octo-org/renamed", "trunk")
        assert session.scalar(select(func.count()).select_from(ReviewRun)) == 0


def test_suspend_and_delete(tmp_path: Path) -> None:
    url = _url(tmp_path)
    with session_scope(url) as session:
        upsert_installation(session, 2, account_login="octo", account_type="User", suspended=True)
        replace_repositories(session, 2, [RepositoryRecord(20, "octo/x", "main")])
        get_or_create_run(session, ReviewRequest(2, 20, "octo/x", 1, "a" * 40, "d"))
    with session_scope(url) as session:
        assert is_suspended(session, 2) and not is_suspended(session, 3)
        upsert_installation(session, 2, account_login="octo", account_type="User", suspended=False)
        assert not is_suspended(session, 2)
    with session_scope(url) as session:
        assert delete_installation(session, 2) and not delete_installation(session, 2)
    with session_scope(url) as session:
        for model in (Installation, Repository, ReviewRun):
            assert session.scalar(select(func.count()).select_from(model)) == 0
