"""Finding runs whose task was lost (a broker that forgot it, a crash between commit and enqueue)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from maze.runs import stalled_runs, transition
from maze.store.models import RunStage
from tasks import runtime
from tasks.stages import in_db


async def resume_stalled(older_than: timedelta | None = None) -> list[tuple[int, RunStage]]:
    """The runs to schedule again, with their stage; a run stuck before indexing is moved on to indexing."""
    settings = runtime.settings()
    limit = older_than or timedelta(seconds=settings.review_timeout_seconds * 2)

    def find(session: Session) -> list[tuple[int, RunStage]]:
        found = []
        for run in stalled_runs(session, limit):
            stage = run.stage
            if stage is RunStage.QUEUED and transition(
                session, run.id, stage, RunStage.INDEXING, detail="resumed"
            ):
                stage = RunStage.INDEXING
            found.append((run.id, stage))
        return found

    result: list[tuple[int, RunStage]] = await in_db(find)
    return result
