"""Celery tasks: thin wrappers that take ids, run one step, and enqueue the next.

A review is `start_review` (fast queue) followed by one task per stage: indexing, finding, generating and
validating on the slow queue, posting on the fast one. Transient failures are retried with backoff; any
other failure, or running out of retries, marks the run failed with the reason.
"""

from __future__ import annotations

import random
from typing import Any

from celery import Task, current_app, shared_task

from maze.installations import InstallationSync
from maze.runs import ReviewRequest
from maze.store.models import RunStage
from tasks import runtime
from tasks.errors import describe_error, is_transient
from tasks.installations import sync_installation as sync_installation_now
from tasks.pipeline import NotYourTurn, execute, fail
from tasks.recovery import resume_stalled
from tasks.stages import start

START_TASK = "maze.start_review"
INSTALLATION_TASK = "maze.sync_installation"
RESUME_TASK = "maze.resume_stalled_runs"
STAGE_TASKS = {
    stage: f"maze.stage.{stage}"
    for stage in (
        RunStage.INDEXING,
        RunStage.FINDING,
        RunStage.GENERATING,
        RunStage.VALIDATING,
        RunStage.POSTING,
    )
}
FAST_QUEUE = "fast"
SLOW_QUEUE = "slow"
TASK_ROUTES: dict[str, dict[str, str]] = {
    START_TASK: {"queue": FAST_QUEUE},
    INSTALLATION_TASK: {"queue": FAST_QUEUE},
    RESUME_TASK: {"queue": FAST_QUEUE},
    STAGE_TASKS[RunStage.POSTING]: {"queue": FAST_QUEUE},
    **{name: {"queue": SLOW_QUEUE} for stage, name in STAGE_TASKS.items() if stage is not RunStage.POSTING},
}
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 120.0


def backoff(retries: int) -> float:
    return random.uniform(0, min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**retries))


def schedule(stage: RunStage, run_id: int, *, countdown: float | None = None) -> None:
    current_app.send_task(STAGE_TASKS[stage], args=[run_id], countdown=countdown)


def _retry_or_raise(task: Task[Any, Any], error: Exception) -> None:
    if is_transient(error) and task.request.retries < runtime.settings().stage_retries:
        raise task.retry(exc=error, countdown=backoff(task.request.retries))


@shared_task(name=START_TASK, bind=True, acks_late=True, max_retries=None)
def start_review(self: Task[Any, Any], /, **request: Any) -> None:
    try:
        started = runtime.current().run(start(ReviewRequest(**request)))
    except Exception as error:
        _retry_or_raise(self, error)
        raise
    if started is not None:
        run_id, stage = started
        schedule(stage, run_id)


def _stage_task(stage: RunStage) -> None:
    @shared_task(name=STAGE_TASKS[stage], bind=True, acks_late=True, max_retries=None)
    def run_stage(self: Task[Any, Any], run_id: int) -> None:
        process = runtime.current()
        try:
            following = process.run(execute(run_id, stage))
        except NotYourTurn:
            schedule(stage, run_id, countdown=random.uniform(1, 5))
            return
        except Exception as error:
            _retry_or_raise(self, error)
            process.run(fail(run_id, stage, describe_error(error)))
            raise
        if following is not None and not following.is_final:
            schedule(following, run_id)


for _stage in STAGE_TASKS:
    _stage_task(_stage)


@shared_task(name=INSTALLATION_TASK, bind=True, acks_late=True, max_retries=None)
def sync_installation(self: Task[Any, Any], installation_id: int, action: str, delivery_id: str) -> None:
    try:
        runtime.current().run(sync_installation_now(InstallationSync(installation_id, action, delivery_id)))
    except Exception as error:
        _retry_or_raise(self, error)
        raise


@shared_task(name=RESUME_TASK, acks_late=True)
def resume_stalled_runs() -> int:
    resumed = runtime.current().run(resume_stalled())
    for run_id, stage in resumed:
        schedule(stage, run_id)
    return len(resumed)
