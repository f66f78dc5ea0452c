"""Where webhook handlers put work: a Celery broker, or a thread pool in the same process (embedded mode)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from typing import Protocol

from celery import Celery

from maze.config import Settings
from maze.runs import ReviewRequest
from tasks import runtime
from tasks.celery_app import create_celery
from tasks.jobs import REVIEW_TASK
from tasks.review import Outcome, run_review

log = logging.getLogger(__name__)


class Enqueuer(Protocol):
    async def enqueue_review(self, request: ReviewRequest) -> None: ...

    def close(self) -> None: ...


class CeleryEnqueuer:
    """Sends task messages (ids only) to the Redis broker without blocking the event loop."""

    def __init__(self, app: Celery) -> None:
        self._app = app

    async def enqueue_review(self, request: ReviewRequest) -> None:
        await asyncio.to_thread(self._app.send_task, REVIEW_TASK, kwargs=asdict(request))

    def close(self) -> None:
        self._app.close()


class InProcessEnqueuer:
    """Runs the same review code on worker threads of this process; for `maze demo` and single-host use."""

    def __init__(self, settings: Settings, *, workers: int = 2) -> None:
        runtime.configure(settings)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="maze-review")
        self._futures: list[Future[Outcome]] = []

    async def enqueue_review(self, request: ReviewRequest) -> None:
        future = self._pool.submit(run_review, request)
        future.add_done_callback(_log_failure)
        self._futures.append(future)

    def join(self, timeout: float | None = None) -> list[Future[Outcome]]:
        """Wait for every review enqueued so far; returns their futures."""
        wait(self._futures, timeout=timeout)
        return list(self._futures)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _log_failure(future: Future[Outcome]) -> None:
    error = future.exception()
    if error is not None:
        log.error("review failed: %s", error, exc_info=error)


def build_enqueuer(settings: Settings) -> Enqueuer:
    if settings.embedded_queue:
        return InProcessEnqueuer(settings)
    return CeleryEnqueuer(create_celery(settings))
