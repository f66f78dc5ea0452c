"""The one place the feature routers are composed."""

from __future__ import annotations

from gidgethub.routing import Router

from bot.webhooks import commands, installations, pull_requests


def build_router() -> Router:
    return Router(pull_requests.router, installations.router, commands.router)
