"""`POST /graphql`: GitHub's GraphQL endpoint over the emulated schema (see `graphql_schema`).

Authentication is REST's (an installation token as `bearer` or `token`, a user token, the app's JWT);
without it the answer is 401 "This endpoint requires you to be authenticated.". Every other answer to a
well-formed request is 200, errors included. GraphQL has a rate-limit bucket of its own ("graphql",
`state.graphql_rate_limit` points an hour, one point per request); when it is spent the answer is still
200, with an error of type RATE_LIMIT. A mutation is a content-creating request for the secondary limits;
a query is not, although it is a POST.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.emulator.auth import Caller, caller_of
from bot.emulator.errors import (
    GRAPHQL_AUTH_DOCS_URL,
    GRAPHQL_DOCS_URL,
    GRAPHQL_UNAUTHENTICATED,
    EmulatorError,
    secondary_limit,
)
from bot.emulator.graphql_exec import prepare, run
from bot.emulator.graphql_resolvers import GraphQLContext
from bot.emulator.httputil import json_body, state_of
from bot.emulator.limits import RateLimit, bucket
from bot.emulator.state import EmulatorState, Principal

GRAPHQL_PATH = "/graphql"
RESOURCE = "graphql"
MISSING_QUERY = "A query attribute must be specified and must be a string."


def authenticated(caller: Caller) -> bool:
    return caller.installation_id is not None or caller.user_login is not None or caller.is_app


def graphql_bucket(state: EmulatorState, caller: Caller) -> tuple[str, int]:
    """The caller's GraphQL quota: its key and its hourly points (none without authentication)."""
    limit = state.graphql_rate_limit if authenticated(caller) else 0
    return bucket(caller.identity, RESOURCE), limit


def rate_limited(who: str) -> web.Response:
    """GitHub's answer when the GraphQL points are spent: 200 with a RATE_LIMIT error."""
    message = f"API rate limit already exceeded for {who}."
    return web.json_response(
        {"errors": [{"type": "RATE_LIMIT", "code": "graphql_rate_limit", "message": message}]}
    )


async def graphql(request: web.Request) -> web.Response:
    caller = caller_of(request)
    state = state_of(request)
    if not authenticated(caller):
        if caller.sent_credentials:
            raise EmulatorError(
                401, caller.jwt_error or "Bad credentials", documentation_url=GRAPHQL_DOCS_URL
            )
        raise EmulatorError(401, GRAPHQL_UNAUTHENTICATED, documentation_url=GRAPHQL_AUTH_DOCS_URL)
    body = await json_body(request)
    query = body.get("query")
    if not isinstance(query, str) or not query:
        return _errors(MISSING_QUERY)
    variables = _variables(body.get("variables"))
    if variables is None:
        return _errors("Variables are invalid JSON.")
    operation_name = body.get("operationName")
    prepared = prepare(query, operation_name if isinstance(operation_name, str) and operation_name else None)
    if isinstance(prepared, list):
        return web.json_response({"errors": prepared})
    if prepared.is_mutation and caller.writes_content:
        wait = state.admit_write(caller.identity)
        if wait is not None:
            raise secondary_limit(wait)
    context = GraphQLContext(state, _principal(caller), _viewer_login(state, caller), _quota(state, caller))
    return web.json_response(run(prepared, variables, context))


def _errors(message: str) -> web.Response:
    return web.json_response({"errors": [{"message": message}]})


def _variables(raw: Any) -> dict[str, Any] | None:
    """The request's variables: an object, null, or an object encoded as a JSON string; None if invalid."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return None
    return raw if isinstance(raw, dict) else None


def _principal(caller: Caller) -> Principal:
    return Principal(caller.installation_id, caller.permissions, caller.user_login)


def _viewer_login(state: EmulatorState, caller: Caller) -> str | None:
    if caller.installation_id is not None:
        return state.bot_login
    return caller.user_login


def _quota(state: EmulatorState, caller: Caller) -> RateLimit:
    identity, limit = graphql_bucket(state, caller)
    return state.peek_rate_limit(identity, limit)
