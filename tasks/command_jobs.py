"""The Celery task of a `/maze` command: a thin wrapper that takes the command's ids, checks and
acknowledges it, and starts its review run (whose stages are the usual stage tasks)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from maze.commands import CommandRequest
from tasks import runtime
from tasks.commands import accept, could_not_start, not_started
from tasks.errors import describe_error, is_transient
from tasks.jobs import backoff, schedule
from tasks.stages import start

COMMAND_TASK = "maze.handle_command"


@shared_task(name=COMMAND_TASK, bind=True, acks_late=True, max_retries=None)
def handle_command(self: Task[Any, Any], /, **fields: Any) -> None:
    request = CommandRequest(**fields)
    process = runtime.current()
    accepted = False
    try:
        review = process.run(accept(request))
        if review is None:
            return
        accepted = True
        started = process.run(start(review))
    except Exception as error:
        if is_transient(error) and self.request.retries < runtime.settings().stage_retries:
            raise self.retry(exc=error, countdown=backoff(self.request.retries)) from error
        if accepted:
            process.run(could_not_start(request, describe_error(error)))
        raise
    if started is None:
        process.run(not_started(request))
        return
    run_id, stage = started
    schedule(stage, run_id)
