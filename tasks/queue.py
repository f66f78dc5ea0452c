"""Where webhook handlers put work: a Celery broker, or a thread pool in the same process (embedded mode)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from typing import Any, Protocol

from celery import Celery

from maze.config import Settings
from maze.installations import InstallationSync
from maze.runs import ReviewRequest
from tasks import runtime
from tasks.celery_app import create_celery
from tasks.installations import run_installation_sync
from tasks.jobs import INSTALLATION_TASK, REVIEW_TASK
from tasks.review import run_review

log = logging.getLogger(__name__)

Job = ReviewRequest | InstallationSync
TASK_NAMES: dict[type[Any], str] = {ReviewRequest: REVIEW_TASK, InstallationSync: INSTALLATION_TASK}


class Enqueuer(Protocol):
    async def enqueue(self, job: Job) -> None: ...

    def close(self) -> None: ...


class CeleryEnqueuer:
    """Sends task messages (ids only) to the Redis broker without blocking the event loop."""

    def __init__(self, app: Celery) -> None:
        self._app = app

    async def enqueue(self, job: Job) -> None:
        await asyncio.to_thread(self._app.send_task, TASK_NAMES[type(job)], kwargs=asdict(job))

    def close(self) -> None:
        self._app.close()


def _runner(job: Job) -> Callable[[], object]:
    if isinstance(job, ReviewRequest):
        return lambda: run_review(job)
    return lambda: run_installation_sync(job)


class InProcessEnqueuer:
    """Runs the same task code on worker threads of this process; for `maze demo` and single-host use."""

    def __init__(self, settings: Settings, *, workers: int = 2) -> None:
        self._runtime = runtime.configure(settings)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="maze-task")
        self._futures: list[Future[object]] = []

    async def enqueue(self, job: Job) -> None:
        future = self._pool.submit(_runner(job))
        future.add_done_callback(_log_failure)
        self._futures.append(future)

    def join(self, timeout: float | None = None) -> list[Future[object]]:
        """Wait for every job enqueued so far; returns their futures."""
        wait(self._futures, timeout=timeout)
        return list(self._futures)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._runtime.close()


def _log_failure(future: Future[object]) -> None:
    error = future.exception()
    if error is not None:
        log.error("task failed: %s", error, exc_info=error)


def build_enqueuer(settings: Settings) -> Enqueuer:
    if settings.embedded_queue:
        return InProcessEnqueuer(settings)
    return CeleryEnqueuer(create_celery(settings))
