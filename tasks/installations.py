"""Keep installations and repositories in step with GitHub after `installation*` webhooks."""

from __future__ import annotations

import asyncio
import logging

from gidgethub import BadRequest

from bot.github.client import GitHubClient
from maze.installations import (
    InstallationSync,
    RepositoryRecord,
    delete_installation,
    replace_repositories,
    upsert_installation,
)
from maze.store.db import session_scope
from tasks import runtime

log = logging.getLogger(__name__)


def _delete(url: str, installation_id: int) -> None:
    with session_scope(url) as session:
        delete_installation(session, installation_id)


def _save(url: str, installation_id: int, login: str, kind: str, suspended: bool) -> None:
    with session_scope(url) as session:
        upsert_installation(
            session, installation_id, account_login=login, account_type=kind, suspended=suspended
        )


def _save_repositories(url: str, installation_id: int, records: list[RepositoryRecord]) -> int:
    with session_scope(url) as session:
        return replace_repositories(session, installation_id, records)


async def sync_installation(request: InstallationSync) -> str:
    """Bring the stored installation to what GitHub says now; returns what happened, for the log."""
    process = runtime.current()
    url = process.settings.database_url
    connection = await process.github()
    installation_id = request.installation_id
    if request.action == "deleted":
        await asyncio.to_thread(_delete, url, installation_id)
        await connection.auth.forget(installation_id)
        return "deleted"
    try:
        info = await connection.app_installation(installation_id)
    except BadRequest as error:
        if error.status_code != 404:
            raise
        await asyncio.to_thread(_delete, url, installation_id)
        return "gone"
    account = info.get("account") or {}
    suspended = info.get("suspended_at") is not None
    await asyncio.to_thread(
        _save,
        url,
        installation_id,
        str(account.get("login", "")),
        str(account.get("type", "Organization")),
        suspended,
    )
    if suspended:
        await connection.auth.forget(installation_id)
        return "suspended"
    repositories = await GitHubClient(connection, installation_id).installation_repositories()
    records = [
        RepositoryRecord(int(repo["id"]), str(repo["full_name"]), str(repo.get("default_branch") or "main"))
        for repo in repositories
    ]
    removed = await asyncio.to_thread(_save_repositories, url, installation_id, records)
    log.info("installation %s synced: %d repositories, %d removed", installation_id, len(records), removed)
    return "synced"


def run_installation_sync(request: InstallationSync) -> str:
    return runtime.current().run(sync_installation(request))
