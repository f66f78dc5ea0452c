"""Per-process state of a worker: its settings and the app authenticator, set once at start-up."""

from __future__ import annotations

from functools import cache

from bot.github.auth import AppAuth
from maze.config import Settings

_settings: list[Settings] = []


def configure(settings: Settings) -> None:
    _settings[:] = [settings]
    app_auth.cache_clear()


def settings() -> Settings:
    if not _settings:
        raise RuntimeError("the worker was started without settings: call tasks.runtime.configure() first")
    return _settings[0]


@cache
def app_auth() -> AppAuth:
    current = settings()
    if current.github_app_id is None or current.github_private_key is None:
        raise RuntimeError("MAZE_GITHUB_APP_ID and MAZE_GITHUB_PRIVATE_KEY must be set to talk to GitHub")
    return AppAuth(current.github_app_id, current.github_private_key.get_secret_value())
