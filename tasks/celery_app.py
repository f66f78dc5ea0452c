"""The one place the Celery app is built, with every setting the queue relies on.

- Late acknowledgement, and a task whose worker died is redelivered (`task_reject_on_worker_lost`); the
  broker's visibility timeout is longer than any task may run, so a live task is never handed out twice.
- Two queues: `fast` (starting runs, `/maze` commands, posting, installation bookkeeping) and `slow`
  (indexing, finding, generating, validating); prefetch 1, so a worker holds no more slow work than it is
  doing.
- Retries with backoff only for transient failures (`tasks.errors`), counted per task; see `tasks.jobs`.
- Worker processes are recycled after `worker_max_tasks_per_child` tasks; JSON only; no result backend.
- A beat schedule resumes runs whose task was lost; the broker itself hands the tasks of a killed
  worker to another one once their visibility timeout has passed (swept every 10 s).
"""

from __future__ import annotations

from celery import Celery, signals
from kombu import Queue

from maze.config import Settings
from maze.indexing import languages
from tasks import runtime

VISIBILITY_FACTOR = 2
RESUME_EVERY_SECONDS = 60.0


def celery_settings(settings: Settings) -> dict[str, object]:
    from tasks.command_jobs import COMMAND_TASK
    from tasks.jobs import FAST_QUEUE, RESUME_TASK, SLOW_QUEUE, TASK_ROUTES

    time_limit = int(settings.review_timeout_seconds)
    return {
        "broker_url": settings.redis_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "global_keyprefix": settings.redis_prefix,
            "visibility_timeout": time_limit * VISIBILITY_FACTOR,
            # Sweep for tasks of dead workers every 10 s, and never let a worker killed while sweeping
            # block the sweeps of the others for longer than a minute.
            "unacked_restore_interval": 10,
            "unacked_restore_throttle": 1,
            "unacked_mutex_expire": 60,
        },
        "task_queues": [Queue(FAST_QUEUE), Queue(SLOW_QUEUE)],
        "task_default_queue": FAST_QUEUE,
        "task_routes": {**TASK_ROUTES, COMMAND_TASK: {"queue": FAST_QUEUE}},
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "task_time_limit": time_limit,
        "task_soft_time_limit": max(1, int(time_limit * 0.9)),
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        "worker_prefetch_multiplier": 1,
        "worker_max_tasks_per_child": settings.worker_max_tasks_per_child,
        "worker_hijack_root_logger": False,
        "beat_schedule": {
            "resume-stalled-runs": {"task": RESUME_TASK, "schedule": RESUME_EVERY_SECONDS},
        },
    }


def create_celery(settings: Settings) -> Celery:
    if settings.redis_url is None:
        raise ValueError(
            "MAZE_REDIS_URL is not set: Celery needs a Redis broker (embedded mode needs no Celery)"
        )
    app = Celery("maze", include=["tasks.jobs", "tasks.command_jobs"])
    app.conf.update(celery_settings(settings))
    runtime.configure(settings)
    signals.worker_process_init.connect(_warm_up, weak=False, dispatch_uid="maze.warm_up")
    return app


def _warm_up(**_: object) -> None:
    """Each worker process loads the grammars and compiles the tag queries before its first task."""
    languages.warm_up()
