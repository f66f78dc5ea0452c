"""Recognise events this app caused itself (its bot user, or `performed_via_github_app`), to ignore them."""

from __future__ import annotations

from typing import Any

_ACTORS = ("comment", "review", "issue", "pull_request", "check_run")


def _via_app(item: Any, app_id: int) -> bool:
    if not isinstance(item, dict):
        return False
    via = item.get("performed_via_github_app")
    return isinstance(via, dict) and via.get("id") == app_id


def caused_by_app(data: dict[str, Any], *, app_id: int | None, bot_login: str | None) -> bool:
    sender = data.get("sender")
    if bot_login and isinstance(sender, dict) and sender.get("login") == bot_login:
        return True
    if app_id is None:
        return False
    return _via_app(data, app_id) or any(_via_app(data.get(name), app_id) for name in _ACTORS)
