"""Where webhook handlers put work: a Celery broker, or a thread pool in the same process (embedded mode).

Review requests wait out the push debounce window first, so a burst of pushes gets one review of the last
head: the start of each request reviews whatever head the pull request has by then.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from typing import Protocol, TypeVar

from celery import Celery

from maze.commands import CommandRequest
from maze.config import Settings
from maze.installations import InstallationSync
from maze.runs import ReviewRequest, find_triggered_run
from maze.store.models import RunStage
from tasks import runtime
from tasks.celery_app import create_celery
from tasks.command_jobs import COMMAND_TASK
from tasks.commands import accept, could_not_start, not_started
from tasks.errors import describe_error, is_transient
from tasks.installations import sync_installation
from tasks.jobs import INSTALLATION_TASK, START_TASK, backoff
from tasks.pipeline import NotYourTurn, execute, fail
from tasks.stages import in_db, start

log = logging.getLogger(__name__)

Job = ReviewRequest | InstallationSync | CommandRequest
T = TypeVar("T")


class Enqueuer(Protocol):
    async def enqueue(self, job: Job) -> None: ...

    def close(self) -> None: ...


class CeleryEnqueuer:
    """Sends task messages (ids only) to the Redis broker without blocking the event loop."""

    def __init__(self, app: Celery, *, debounce_seconds: float = 0.0) -> None:
        self._app = app
        self._debounce = debounce_seconds

    async def enqueue(self, job: Job) -> None:
        if isinstance(job, ReviewRequest):
            name, countdown = START_TASK, self._debounce
        elif isinstance(job, CommandRequest):
            name, countdown = COMMAND_TASK, 0.0
        else:
            name, countdown = INSTALLATION_TASK, 0.0
        await asyncio.to_thread(self._app.send_task, name, kwargs=asdict(job), countdown=countdown or None)

    def close(self) -> None:
        self._app.close()


def _with_retries(step: Callable[[], T], retries: int, sleep: Callable[[float], None] = time.sleep) -> T:
    attempt = 0
    while True:
        try:
            return step()
        except NotYourTurn:
            sleep(random.uniform(0.2, 1.0))
        except Exception as error:
            if not is_transient(error) or attempt >= retries:
                raise
            sleep(backoff(attempt))
            attempt += 1


def drive_review(request: ReviewRequest) -> int | None:
    """Start a review and run its stages in turn, as the Celery tasks would; returns the run id."""
    process = runtime.current()
    retries = process.settings.stage_retries
    started = _with_retries(lambda: process.run(start(request)), retries)
    if started is None:
        return None
    run_id, first = started
    stage: RunStage | None = first
    while stage is not None and not stage.is_final:
        stage = _run_stage(process, run_id, stage, retries)
    return run_id


def drive_command(request: CommandRequest) -> int | None:
    """Check and acknowledge a `/maze` command and drive the run it asks for; returns the run id."""
    process = runtime.current()
    retries = process.settings.stage_retries
    review = _with_retries(lambda: process.run(accept(request)), retries)
    if review is None:
        return None
    try:
        run_id = drive_review(review)
    except Exception as error:
        if not process.run(_has_run(request)):
            process.run(could_not_start(request, describe_error(error)))
        raise
    if run_id is None:
        process.run(not_started(request))
    return run_id


async def _has_run(request: CommandRequest) -> bool:
    found = await in_db(
        lambda session: find_triggered_run(session, request.repository_id, request.pr_number, request.trigger)
    )
    return found is not None


def _run_stage(
    process: runtime.ProcessRuntime, run_id: int, stage: RunStage, retries: int
) -> RunStage | None:
    try:
        return _with_retries(lambda: process.run(execute(run_id, stage)), retries)
    except Exception as error:
        process.run(fail(run_id, stage, describe_error(error)))
        raise


class InProcessEnqueuer:
    """Runs the same task code on worker threads of this process; for `maze demo` and single-host use."""

    def __init__(self, settings: Settings, *, workers: int = 2) -> None:
        self._runtime = runtime.configure(settings)
        self._debounce = settings.push_debounce_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="maze-task")
        self._futures: list[Future[object]] = []
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()

    def _submit(self, work: Callable[[], object]) -> None:
        future = self._pool.submit(work)
        future.add_done_callback(_log_failure)
        with self._lock:
            self._futures.append(future)

    async def enqueue(self, job: Job) -> None:
        if isinstance(job, InstallationSync):
            self._submit(lambda: self._runtime.run(sync_installation(job)))
            return
        if isinstance(job, CommandRequest):
            self._submit(lambda: drive_command(job))
            return
        if self._debounce <= 0:
            self._submit(lambda: drive_review(job))
            return
        timer = threading.Timer(self._debounce, self._submit, args=(lambda: drive_review(job),))
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    def join(self, timeout: float | None = None) -> list[Future[object]]:
        """Wait for every job enqueued so far (debounced ones included); returns their futures."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        with self._lock:
            futures = list(self._futures)
        wait(futures, None if deadline is None else max(0.0, deadline - time.monotonic()))
        return futures

    def close(self) -> None:
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.cancel()
        self._pool.shutdown(wait=True)
        self._runtime.close()


def _log_failure(future: Future[object]) -> None:
    error = future.exception()
    if error is not None:
        log.error("task failed: %s", error, exc_info=error)


def build_enqueuer(settings: Settings) -> Enqueuer:
    if settings.embedded_queue:
        return InProcessEnqueuer(settings)
    return CeleryEnqueuer(create_celery(settings), debounce_seconds=settings.push_debounce_seconds)
