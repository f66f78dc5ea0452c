"""Handlers for the app and its installations: JWT endpoints, installation tokens, the rate limit."""

from __future__ import annotations

from aiohttp import web

from bot.emulator.api_graphql import graphql_bucket
from bot.emulator.auth import caller_of, require_app, require_installation
from bot.emulator.errors import APPS_DOCS_URL, EmulatorError, not_found
from bot.emulator.httputil import (
    full_name,
    json_body,
    no_content,
    number,
    paginated,
    paginated_object,
    state_of,
)


async def create_access_token(request: web.Request) -> web.Response:
    require_app(request)
    state = state_of(request)
    installation_id = number(request, "installation_id")
    if not state.has_installation(installation_id):
        raise not_found(APPS_DOCS_URL)
    body = await json_body(request)
    permissions = body.get("permissions")
    if permissions is not None and not isinstance(permissions, dict):
        raise EmulatorError(422, "Invalid request.\n\nFor 'properties/permissions', it is not an object.")
    return web.json_response(state.mint_token(installation_id, permissions), status=201)


async def get_app(request: web.Request) -> web.Response:
    require_app(request)
    return web.json_response(state_of(request).app_json())


async def list_installations(request: web.Request) -> web.Response:
    require_app(request)
    return paginated(request, state_of(request).installations())


async def get_installation(request: web.Request) -> web.Response:
    require_app(request)
    return web.json_response(state_of(request).installation(number(request, "installation_id")))


async def get_repository_installation(request: web.Request) -> web.Response:
    require_app(request)
    state = state_of(request)
    return web.json_response(state.installation(state.installation_of(full_name(request))))


async def list_installation_repositories(request: web.Request) -> web.Response:
    installation_id = require_installation(request)
    repositories = state_of(request).installation_repositories(installation_id)
    return paginated_object(
        request,
        repositories,
        lambda page: {"total_count": len(repositories), "repository_selection": "all", "repositories": page},
    )


async def revoke_installation_token(request: web.Request) -> web.Response:
    require_installation(request)
    token = caller_of(request).token
    if token is not None:
        state_of(request).revoke_token(token)
    return no_content()


async def get_rate_limit(request: web.Request) -> web.Response:
    state = state_of(request)
    caller = caller_of(request)
    if caller.sent_credentials and caller.installation_id is None and not caller.is_app:
        raise EmulatorError(401, "Bad credentials")
    quota = state.peek_rate_limit(caller.identity, caller.limit)
    core = {
        "limit": quota.limit,
        "remaining": quota.remaining,
        "reset": quota.reset,
        "used": quota.used,
        "resource": "core",
    }
    graphql = state.peek_rate_limit(*graphql_bucket(state, caller))
    resources = {
        "core": core,
        "graphql": {
            "limit": graphql.limit,
            "remaining": graphql.remaining,
            "reset": graphql.reset,
            "used": graphql.used,
            "resource": "graphql",
        },
        **_untracked_resources(quota.reset),
    }
    return web.json_response({"resources": resources, "rate": core})


def _untracked_resources(reset: int) -> dict[str, dict[str, int | str]]:
    """The other rate-limit buckets GitHub reports; the emulator does not count their requests."""
    limits = {"search": 30, "integration_manifest": 5000, "code_search": 10}
    return {
        name: {"limit": limit, "remaining": limit, "reset": reset, "used": 0, "resource": name}
        for name, limit in limits.items()
    }
