"""Read-only views of review runs for the command line (`maze runs`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from maze.store.db import session_scope
from maze.store.models import Repository, ReviewRun


def _when(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def list_runs(
    database_url: str, *, stage: str | None, repository: str | None, limit: int
) -> list[dict[str, Any]]:
    with session_scope(database_url) as session:
        query = select(ReviewRun, Repository).join(Repository, Repository.id == ReviewRun.repository_id)
        if stage:
            query = query.where(ReviewRun.stage == stage)
        if repository:
            query = query.where(Repository.full_name == repository)
        rows = session.execute(
            query.order_by(ReviewRun.updated_at.desc(), ReviewRun.id.desc()).limit(limit)
        ).all()
        return [
            {
                "id": run.id,
                "repository": repo.full_name,
                "pr": run.pr_number,
                "head": run.head_sha,
                "stage": str(run.stage),
                "failed_stage": run.failed_stage,
                "attempts": run.attempts,
                "error": run.error,
                "updated": _when(run.updated_at),
            }
            for run, repo in rows
        ]


def show_run(database_url: str, run_id: int) -> dict[str, Any] | None:
    with session_scope(database_url) as session:
        run = session.get(ReviewRun, run_id)
        if run is None:
            return None
        return {
            "id": run.id,
            "repository": run.repository.full_name,
            "pr": run.pr_number,
            "head": run.head_sha,
            "stage": str(run.stage),
            "failed_stage": run.failed_stage,
            "error": run.error,
            "attempts": run.attempts,
            "summary": run.summary,
            "events": [{"stage": e.stage, "at": _when(e.at), "detail": e.detail} for e in run.events],
        }
