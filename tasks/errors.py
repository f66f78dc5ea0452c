"""Which failures are worth a retry (network, GitHub 5xx and rate limits, database or broker connections)."""

from __future__ import annotations

import redis.exceptions
from celery.exceptions import SoftTimeLimitExceeded
from gidgethub import GitHubBroken, HTTPException, RateLimitExceeded
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.github.api import GitHubUnavailable

TRANSIENT: tuple[type[BaseException], ...] = (
    GitHubUnavailable,
    GitHubBroken,
    RateLimitExceeded,
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.LockError,
    ConnectionError,
    TimeoutError,
    SoftTimeLimitExceeded,
)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, TRANSIENT)


def describe_error(error: BaseException) -> str:
    """A one-line reason for the run's record: GitHub's status code when GitHub refused."""
    if isinstance(error, SoftTimeLimitExceeded):
        return "the stage ran out of time (review_timeout_seconds)"
    if isinstance(error, HTTPException):
        return f"GitHub answered HTTP {int(error.status_code)}: {error}"
    return f"{type(error).__name__}: {error}"
