"""What happens around every request: identity, rate limits, injected faults, headers, the contract check.

Order: identify the caller; count the request against its hourly quota (REST's "core", or "graphql" for
`POST /graphql`) and its requests in flight; answer 403 when the quota is spent (GraphQL: 200 with a
RATE_LIMIT error); apply an injected fault (error, delay, or dropped connection); answer 403 for a
suspended installation; count a write against the secondary limits (on `/graphql` the handler counts
mutations only); handle; give a successful read an ETag (and answer 304, uncounted, when `If-None-Match`
names it); add GitHub's headers; check request and response against GitHub's REST description when
`state.contract_checks` is on (`/graphql` is exempt: see `contract.NOT_IN_REST_DESCRIPTION`). The internal
`/_emulator/` routes (the codeload stand-in) see faults only.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web

from bot.emulator.api_graphql import GRAPHQL_PATH, authenticated, graphql_bucket, rate_limited
from bot.emulator.auth import CALLER, Caller, identify_caller
from bot.emulator.contract import default_contract, exempt_from_contract
from bot.emulator.errors import (
    APPS_DOCS_URL,
    RATE_LIMIT_DOCS_URL,
    SUSPENDED_MESSAGE,
    EmulatorError,
    secondary_limit,
)
from bot.emulator.faults import Fault
from bot.emulator.httputil import error_response, from_http_exception, state_of
from bot.emulator.limits import WRITE_METHODS, RateLimit
from bot.emulator.state import EmulatorState

API_VERSION = "2022-11-28"
INTERNAL_PREFIX = "/_emulator/"
CONCURRENCY_RETRY_AFTER_SECONDS = 1

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_DROPPED = web.RequestKey("maze.emulator.dropped", bool)


@web.middleware
async def github_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = state_of(request)
    if request.path.startswith(INTERNAL_PREFIX):
        return await _internal(state, request, handler)
    caller = identify_caller(state, request)
    request[CALLER] = caller
    request_problems = await _request_problems(state, request)
    quota = _quota(state, request, caller)
    response = await _counted_in_flight(state, request, handler, caller, quota)
    if request.get(_DROPPED):
        state.log_request(request.method, request.path, 0)
        return response
    response = _conditional(request, response)
    if response.status == 304 and request.path != "/rate_limit":
        quota = state.refund_rate_limit(caller.identity, caller.limit)
    _add_github_headers(response, quota, "graphql" if request.path == GRAPHQL_PATH else "core")
    state.log_request(request.method, request.path, response.status)
    if state.contract_checks:
        state.record_violations(request_problems + _response_problems(request, response))
    return response


def _quota(state: EmulatorState, request: web.Request, caller: Caller) -> RateLimit:
    """Count the request in the caller's bucket: GraphQL's, or REST's (`/rate_limit` is not counted)."""
    if request.path == GRAPHQL_PATH:
        identity, limit = graphql_bucket(state, caller)
        if not authenticated(caller):
            return replace(state.peek_rate_limit(identity, limit), exceeded=False)
        return state.consume_rate_limit(identity, limit)
    if request.path == "/rate_limit":
        return state.peek_rate_limit(caller.identity, caller.limit)
    return state.consume_rate_limit(caller.identity, caller.limit)


async def _internal(state: EmulatorState, request: web.Request, handler: Handler) -> web.StreamResponse:
    """The codeload stand-in: faults apply; errors are plain text like codeload.github.com's."""
    try:
        response = await _with_fault(request, handler, state.take_fault(request.method, request.path))
    except EmulatorError as error:
        response = web.Response(status=error.status, text=f"{error.status}: {error.message}")
    except web.HTTPException as http_error:
        response = web.Response(status=http_error.status, text=f"{http_error.status}: {http_error.reason}")
    state.log_request(request.method, request.path, 0 if request.get(_DROPPED) else response.status)
    return response


async def _counted_in_flight(
    state: EmulatorState, request: web.Request, handler: Handler, caller: Caller, quota: RateLimit
) -> web.StreamResponse:
    if not state.enter_request(caller.identity):
        return error_response(secondary_limit(CONCURRENCY_RETRY_AFTER_SECONDS))
    try:
        return await _guarded(state, request, handler, caller, quota)
    except Exception:
        state.log_request(request.method, request.path, 500)
        raise
    finally:
        state.leave_request(caller.identity)


async def _guarded(
    state: EmulatorState, request: web.Request, handler: Handler, caller: Caller, quota: RateLimit
) -> web.StreamResponse:
    try:
        if quota.exceeded and request.path == GRAPHQL_PATH:
            return rate_limited(_who(request, caller))
        if quota.exceeded:
            raise EmulatorError(
                403,
                f"API rate limit exceeded for {_who(request, caller)}.",
                documentation_url=RATE_LIMIT_DOCS_URL,
            )
        fault = state.take_fault(request.method, request.path)
        return await _with_fault(request, _admitted(state, handler, caller), fault)
    except EmulatorError as error:
        return error_response(error)
    except web.HTTPException as http_error:
        return from_http_exception(http_error)


def _admitted(state: EmulatorState, handler: Handler, caller: Caller) -> Handler:
    """`handler` behind the suspension check and the secondary write limits."""

    async def admitted(request: web.Request) -> web.StreamResponse:
        if caller.suspended:
            raise EmulatorError(403, SUSPENDED_MESSAGE, documentation_url=APPS_DOCS_URL)
        if request.method in WRITE_METHODS and caller.writes_content and request.path != GRAPHQL_PATH:
            wait = state.admit_write(caller.identity)
            if wait is not None:
                raise secondary_limit(wait)
        return await handler(request)

    return admitted


async def _with_fault(request: web.Request, handler: Handler, fault: Fault | None) -> web.StreamResponse:
    if fault is None:
        return await handler(request)
    if fault.error is not None:
        raise fault.error
    if fault.drops_before:
        return _drop(request)
    if fault.delay:
        await asyncio.sleep(fault.delay)
    response = await handler(request)
    return _drop(request) if fault.drops_after else response


def _drop(request: web.Request) -> web.Response:
    """Close the connection so the client gets no answer (aiohttp then discards the response)."""
    request[_DROPPED] = True
    transport = request.transport
    if transport is not None:
        transport.close()
    return web.Response(status=204)


def _conditional(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """GitHub's ETags on successful reads, and 304 Not Modified when `If-None-Match` names the ETag."""
    if request.method != "GET" or response.status != 200 or not isinstance(response, web.Response):
        return response
    if not isinstance(response.body, bytes):
        return response
    etag = f'W/"{hashlib.sha256(response.body).hexdigest()}"'
    response.headers["ETag"] = etag
    response.headers.setdefault("Cache-Control", "private, max-age=60, s-maxage=60")
    response.headers.setdefault("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
    wanted = {tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")}
    if etag.removeprefix("W/") not in wanted:
        return response
    not_modified = web.Response(status=304)
    for name in ("ETag", "Cache-Control", "Vary"):
        not_modified.headers[name] = response.headers[name]
    return not_modified


def _who(request: web.Request, caller: Caller) -> str:
    """Whose quota is spent, in GitHub's words."""
    if caller.installation_id is not None:
        return f"installation ID {caller.installation_id}"
    if caller.is_app:
        return f"app ID {state_of(request).app_id}"
    if caller.user_login is not None:
        return f"user ID {caller.user_login}"
    return request.remote or "127.0.0.1"


def _add_github_headers(response: web.StreamResponse, quota: RateLimit, resource: str) -> None:
    headers = {
        "x-ratelimit-limit": str(quota.limit),
        "x-ratelimit-remaining": str(quota.remaining),
        "x-ratelimit-reset": str(quota.reset),
        "x-ratelimit-used": str(quota.used),
        "x-ratelimit-resource": resource,
        "x-github-request-id": _request_id(),
        "x-github-api-version-selected": API_VERSION,
        "x-github-media-type": f"github.{'v4' if resource == 'graphql' else 'v3'}; format=json",
    }
    for name, value in headers.items():
        response.headers.setdefault(name, value)


def _request_id() -> str:
    return ":".join(secrets.token_hex(size).upper() for size in (2, 2, 3, 3, 4))


# ----- contract ---------------------------------------------------------------------------------------


async def _request_problems(state: EmulatorState, request: web.Request) -> list[str]:
    if not state.contract_checks or exempt_from_contract(request.path):
        return []
    raw = await request.read()
    try:
        body = json.loads(raw) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [f"{request.method} {request.path}: the request body is not JSON"]
    return default_contract().check_request(request.method, request.path, request.query, body)


def _response_problems(request: web.Request, response: web.StreamResponse) -> list[str]:
    return default_contract().check_response(
        request.method, request.path, response.status, _json_of(response)
    )


def _json_of(response: web.StreamResponse) -> Any:
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes) or not response.body:
        return None
    if response.content_type != "application/json":
        return None
    return json.loads(response.body)
