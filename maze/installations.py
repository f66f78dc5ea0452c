"""Installations and their repositories in the database, as GitHub reports them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from maze.store.models import Installation, Repository


@dataclass(frozen=True)
class InstallationSync:
    """What an `installation` or `installation_repositories` webhook hands to the queue: ids only."""

    installation_id: int
    action: str
    delivery_id: str


@dataclass(frozen=True)
class RepositoryRecord:
    id: int
    full_name: str
    default_branch: str


def upsert_installation(
    session: Session, installation_id: int, *, account_login: str, account_type: str, suspended: bool
) -> Installation:
    installation = session.get(Installation, installation_id)
    if installation is None:
        installation = Installation(id=installation_id)
        session.add(installation)
    installation.account_login = account_login
    installation.account_type = account_type
    installation.suspended = suspended
    session.flush()
    return installation


def delete_installation(session: Session, installation_id: int) -> bool:
    """Remove the installation and everything stored for it (repositories, runs, suggestions...)."""
    installation = session.get(Installation, installation_id)
    if installation is None:
        return False
    session.delete(installation)
    session.flush()
    return True


def replace_repositories(
    session: Session, installation_id: int, repositories: Iterable[RepositoryRecord]
) -> int:
    """Make the installation's repositories exactly `repositories`; returns how many were removed."""
    wanted = {record.id: record for record in repositories}
    for record in wanted.values():
        repository = session.get(Repository, record.id)
        if repository is None:
            repository = Repository(id=record.id, installation_id=installation_id)
            session.add(repository)
        repository.installation_id = installation_id
        repository.full_name = record.full_name
        repository.default_branch = record.default_branch
    stale = session.scalars(
        select(Repository).where(Repository.installation_id == installation_id, Repository.id.not_in(wanted))
    ).all()
    for repository in stale:
        session.delete(repository)
    session.flush()
    return len(stale)


def is_suspended(session: Session, installation_id: int) -> bool:
    installation = session.get(Installation, installation_id)
    return installation is not None and installation.suspended
