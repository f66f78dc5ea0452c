"""The one place the Celery app is built, with every setting the queue relies on."""

from __future__ import annotations

from celery import Celery

from maze.config import Settings
from tasks import runtime

QUEUE = "maze"


def celery_settings(settings: Settings) -> dict[str, object]:
    """Late acknowledgement and redelivery after a lost worker, JSON only, no result storage."""
    return {
        "broker_url": settings.redis_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "global_keyprefix": settings.redis_prefix,
            "visibility_timeout": int(settings.review_timeout_seconds * 2),
        },
        "task_default_queue": QUEUE,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "task_time_limit": int(settings.review_timeout_seconds),
        "task_soft_time_limit": int(settings.review_timeout_seconds * 0.9),
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
    }


def create_celery(settings: Settings) -> Celery:
    if settings.redis_url is None:
        raise ValueError(
            "MAZE_REDIS_URL is not set: Celery needs a Redis broker (embedded mode needs no Celery)"
        )
    app = Celery("maze", include=["tasks.jobs"])
    app.conf.update(celery_settings(settings))
    runtime.configure(settings)
    return app
