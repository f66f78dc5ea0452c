"""Driving a run through its stages: the checks every stage task makes before and after its work.

Used by the Celery tasks (one task per stage, each enqueuing the next) and by the in-process queue (the same
calls in a loop), so embedded mode behaves like production. When a run a `/maze` command asked for ends
(done, failed, or superseded), `finish_command` answers the command; it does nothing for other runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import update
from sqlalchemy.orm import Session

from maze.runs import is_after, next_stage, transition
from maze.store.models import ReviewRun, RunStage
from tasks import runtime
from tasks.command_replies import finish_command
from tasks.posting import post
from tasks.stages import RunInfo, StageLost, find, generate, in_db, index, run_info, validate

log = logging.getLogger(__name__)

SLOW_STAGES = frozenset({RunStage.INDEXING, RunStage.FINDING, RunStage.GENERATING, RunStage.VALIDATING})
FAST_STAGES = frozenset({RunStage.POSTING})


STAGES: dict[RunStage, Callable[[RunInfo], Awaitable[None]]] = {
    RunStage.INDEXING: index,
    RunStage.FINDING: find,
    RunStage.GENERATING: generate,
    RunStage.VALIDATING: validate,
    RunStage.POSTING: post,
}


class NotYourTurn(RuntimeError):
    """The installation already has its share of runs in progress; try this stage again a little later."""


def _count_attempt(session: Session, run_id: int, stage: RunStage) -> int:
    session.execute(
        update(ReviewRun)
        .where(ReviewRun.id == run_id, ReviewRun.stage == stage)
        .values(attempts=ReviewRun.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    run = session.get(ReviewRun, run_id)
    assert run is not None
    session.refresh(run)
    return run.attempts


async def execute(run_id: int, stage: RunStage) -> RunStage | None:
    """Run `stage` of the run if the run is at that stage; returns the stage to schedule next, or None.

    A run already past `stage` (a redelivered task) gets its current stage scheduled again, which is how a
    crash between "committed" and "enqueued the next task" is recovered.
    """
    process = runtime.current()
    info = await in_db(lambda session: run_info(session, run_id))
    if info.stage.is_final:
        await _release(info.installation_id, run_id)
        await finish_command(info)
        return None
    if info.stage is not stage:
        return info.stage if is_after(info.stage, stage) else None
    if stage in SLOW_STAGES:
        ttl = process.settings.review_timeout_seconds * 2
        if not await (await process.leases()).acquire(info.installation_id, run_id, ttl):
            raise NotYourTurn(f"installation {info.installation_id} has its share of runs in progress")
    attempts = await in_db(lambda session: _count_attempt(session, run_id, stage))
    limit = process.settings.stage_retries + 2
    if attempts > limit:
        await fail(run_id, stage, f"gave up after {attempts - 1} attempts at {stage}")
        return None
    try:
        await STAGES[stage](info)
    except StageLost as lost:
        log.info("%s", lost)
        await finish_command(info)
        return None
    following = next_stage(stage)
    if following.is_final:
        await _release(info.installation_id, run_id)
        await finish_command(info)
    return following


async def _release(installation_id: int, run_id: int) -> None:
    await (await runtime.current().leases()).release(installation_id, run_id)


async def fail(run_id: int, stage: RunStage, reason: str) -> bool:
    """Mark the run failed at `stage` with `reason` (if it is still there); the lease is given back."""
    info = await in_db(lambda session: run_info(session, run_id))
    moved: bool = await in_db(
        lambda session: transition(session, run_id, stage, RunStage.FAILED, detail=reason)
    )
    await _release(info.installation_id, run_id)
    if moved:
        log.warning("run %s failed at %s: %s", run_id, stage, reason)
        await finish_command(info)
    return moved
