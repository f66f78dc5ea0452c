"""The emulator's HTTP face: an aiohttp application that answers like api.github.com.

Authentication follows GitHub: `/app/...` wants the app's RS256 JWT (`Authorization: Bearer <jwt>`); the
repository endpoints want an installation token (`Authorization: token <t>` or `Bearer <t>`). A token of
another installation sees a public repository read-only and a private one not at all (404); without
credentials, public repositories can be read at the unauthenticated rate limit. Every response carries
GitHub's rate-limit and request-id headers, and every request is recorded in `state.request_log`.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web

from bot.emulator.state import (
    DOCS_URL,
    UNAUTHENTICATED_RATE_LIMIT,
    EmulatorError,
    EmulatorState,
    RateLimit,
)

API_VERSION = "2022-11-28"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
JWT_MAX_LIFETIME_SECONDS = 600
JWT_LIFETIME_LEEWAY_SECONDS = 60
JWT_CLOCK_DRIFT_SECONDS = 60
JWT_EXPIRY_LEEWAY_SECONDS = 10
APPS_DOCS_URL = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
RATE_LIMIT_DOCS_URL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
STATE_KEY: web.AppKey[EmulatorState] = web.AppKey("emulator_state", EmulatorState)
_JWT_UNDECODABLE = "A JSON web token could not be decoded"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Caller:
    """Who a request authenticates as, and which rate-limit bucket it draws from."""

    identity: str
    limit: int | None = None
    installation_id: int | None = None
    is_app: bool = False
    jwt_error: str | None = None
    sent_credentials: bool = False


_CALLER = web.RequestKey("maze.emulator.caller", Caller)


def create_emulator_app(state: EmulatorState) -> web.Application:
    """The aiohttp application emulating GitHub's REST API over `state`."""
    app = web.Application(middlewares=[_github_middleware])
    app[STATE_KEY] = state
    repo = "/repos/{owner}/{repo}"
    pull = repo + r"/pulls/{pull_number:\d+}"
    review = pull + r"/reviews/{review_id:\d+}"
    app.router.add_post(r"/app/installations/{installation_id:\d+}/access_tokens", _create_access_token)
    app.router.add_get(r"/app/installations/{installation_id:\d+}", _get_installation)
    app.router.add_get("/app", _get_app)
    app.router.add_get("/rate_limit", _get_rate_limit)
    app.router.add_get(repo, _get_repository)
    app.router.add_get(repo + "/installation", _get_repository_installation)
    app.router.add_get(repo + "/contents", _get_contents)
    app.router.add_get(repo + "/contents/{path:.*}", _get_contents)
    app.router.add_get(pull, _get_pull_request)
    app.router.add_get(pull + "/files", _list_pull_files)
    app.router.add_get(pull + "/comments", _list_pull_comments)
    app.router.add_get(pull + "/reviews", _list_reviews)
    app.router.add_post(pull + "/reviews", _create_review)
    app.router.add_get(review, _get_review)
    app.router.add_put(review, _update_review)
    app.router.add_get(review + "/comments", _list_review_comments)
    return app


# ----- middleware ---------------------------------------------------------------------------------


@web.middleware
async def _github_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    caller = identify_caller(state, request)
    request[_CALLER] = caller
    if request.path == "/rate_limit":
        quota = state.peek_rate_limit(caller.identity, caller.limit)
    else:
        quota = state.consume_rate_limit(caller.identity, caller.limit)
    try:
        response = await _guarded(state, request, handler, caller, quota)
    except Exception:
        state.log_request(request.method, request.path, 500)
        raise
    _add_github_headers(response, quota)
    state.log_request(request.method, request.path, response.status)
    return response


async def _guarded(
    state: EmulatorState, request: web.Request, handler: Handler, caller: Caller, quota: RateLimit
) -> web.StreamResponse:
    try:
        if quota.exceeded:
            raise _rate_limit_exceeded(request, caller)
        fault = state.take_fault(request.method, request.path)
        if fault is not None:
            raise fault
        return await handler(request)
    except EmulatorError as error:
        return error_response(error)
    except web.HTTPException as http_error:
        return _from_http_exception(http_error)


def error_response(error: EmulatorError) -> web.Response:
    """GitHub's error body for `error`, with its extra headers."""
    response = web.json_response(error.body(), status=error.status)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _from_http_exception(http_error: web.HTTPException) -> web.Response:
    """aiohttp's own errors (no route, wrong method...) as GitHub shows them: a 404 for both of those."""
    status = http_error.status
    if status in (404, 405):
        return error_response(EmulatorError(404))
    return error_response(EmulatorError(status, http_error.reason))


def _rate_limit_exceeded(request: web.Request, caller: Caller) -> EmulatorError:
    if caller.installation_id is not None:
        who = f"installation ID {caller.installation_id}"
    elif caller.is_app:
        who = f"app ID {request.app[STATE_KEY].app_id}"
    else:
        who = request.remote or "127.0.0.1"
    return EmulatorError(403, f"API rate limit exceeded for {who}.", documentation_url=RATE_LIMIT_DOCS_URL)


def _add_github_headers(response: web.StreamResponse, quota: RateLimit) -> None:
    headers = {
        "x-ratelimit-limit": str(quota.limit),
        "x-ratelimit-remaining": str(quota.remaining),
        "x-ratelimit-reset": str(quota.reset),
        "x-ratelimit-used": str(quota.used),
        "x-ratelimit-resource": "core",
        "x-github-request-id": _request_id(),
        "x-github-api-version-selected": API_VERSION,
        "x-github-media-type": "github.v3; format=json",
    }
    for name, value in headers.items():
        response.headers.setdefault(name, value)


def _request_id() -> str:
    return ":".join(secrets.token_hex(size).upper() for size in (2, 2, 3, 3, 4))


# ----- authentication -----------------------------------------------------------------------------


def identify_caller(state: EmulatorState, request: web.Request) -> Caller:
    """Resolve the Authorization header to an installation, the app, or an anonymous client."""
    anonymous = f"ip:{request.remote or 'unknown'}"
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return Caller(anonymous, UNAUTHENTICATED_RATE_LIMIT)
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() not in ("token", "bearer") or not credential:
        return Caller(anonymous, UNAUTHENTICATED_RATE_LIMIT, sent_credentials=True)
    installation_id = state.installation_for_token(credential)
    if installation_id is not None:
        return Caller(f"installation:{installation_id}", installation_id=installation_id)
    if credential.count(".") == 2:
        problem = verify_app_jwt(state, credential)
        if problem is None:
            return Caller(f"app:{state.app_id}", is_app=True)
        return Caller(anonymous, UNAUTHENTICATED_RATE_LIMIT, jwt_error=problem, sent_credentials=True)
    return Caller(anonymous, UNAUTHENTICATED_RATE_LIMIT, sent_credentials=True)


def verify_app_jwt(state: EmulatorState, token: str) -> str | None:
    """None when `token` is a valid app JWT; otherwise the message GitHub answers with its 401."""
    try:
        claims = jwt.decode(
            token,
            state.app_public_key_pem,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_iss": False},
        )
    except jwt.PyJWTError:
        return _JWT_UNDECODABLE
    return _jwt_claims_problem(state, claims)


def _numeric_claim(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _jwt_claims_problem(state: EmulatorState, claims: Mapping[str, Any]) -> str | None:
    now = state.clock()
    issued_at, expires_at = _numeric_claim(claims, "iat"), _numeric_claim(claims, "exp")
    if issued_at is None or issued_at > now + JWT_CLOCK_DRIFT_SECONDS:
        return (
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        )
    if expires_at is None or expires_at <= now:
        return (
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which "
            "the assertion expires"
        )
    too_long = expires_at - issued_at > JWT_MAX_LIFETIME_SECONDS + JWT_LIFETIME_LEEWAY_SECONDS
    if too_long or expires_at - now > JWT_MAX_LIFETIME_SECONDS + JWT_EXPIRY_LEEWAY_SECONDS:
        return "'Expiration time' claim ('exp') is too far in the future"
    if str(claims.get("iss")) != str(state.app_id):
        return _JWT_UNDECODABLE
    return None


def _caller(request: web.Request) -> Caller:
    caller: Caller = request[_CALLER]
    return caller


def _require_app(request: web.Request) -> None:
    caller = _caller(request)
    if not caller.is_app:
        raise EmulatorError(401, caller.jwt_error or _JWT_UNDECODABLE, documentation_url=DOCS_URL)


def _repository_access(request: web.Request, *, write: bool = False) -> str:
    """The `owner/repo` of the request, once the caller may see it (and write to it when `write`)."""
    state = request.app[STATE_KEY]
    caller = _caller(request)
    full_name = f"{request.match_info['owner']}/{request.match_info['repo']}"
    if caller.sent_credentials and caller.installation_id is None:
        raise EmulatorError(401, "Bad credentials")
    if caller.installation_id is None and write:
        raise EmulatorError(401, "Requires authentication")
    state.check_access(full_name, caller.installation_id, write=write)
    return full_name


# ----- request helpers ----------------------------------------------------------------------------


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EmulatorError(400, "Problems parsing JSON") from error
    if not isinstance(body, dict):
        raise EmulatorError(400, "Body should be a JSON object")
    return body


def _int_param(request: web.Request, name: str, default: int) -> int:
    try:
        value = int(request.query.get(name, default))
    except ValueError:
        return default
    return value if value >= 1 else default


def _number(request: web.Request, name: str) -> int:
    return int(request.match_info[name])


def paginated(request: web.Request, items: Sequence[Any]) -> web.Response:
    """One page of `items` with GitHub's `per_page`/`page` parameters and `Link` header."""
    per_page = min(_int_param(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    page = _int_param(request, "page", 1)
    last = max(1, math.ceil(len(items) / per_page))
    start = (page - 1) * per_page
    response = web.json_response(list(items[start : start + per_page]))
    links = _page_links(request, page, last)
    if links:
        response.headers["Link"] = links
    return response


def _page_links(request: web.Request, page: int, last: int) -> str:
    relations: list[tuple[str, int]] = []
    if page > 1:
        relations.append(("prev", page - 1))
    if page < last:
        relations += [("next", page + 1), ("last", last)]
    if page > 1:
        relations.append(("first", 1))
    return ", ".join(
        f'<{request.url.update_query(page=str(target))}>; rel="{relation}"' for relation, target in relations
    )


# ----- handlers -----------------------------------------------------------------------------------


async def _create_access_token(request: web.Request) -> web.Response:
    _require_app(request)
    state = request.app[STATE_KEY]
    installation_id = _number(request, "installation_id")
    if not state.has_installation(installation_id):
        raise EmulatorError(404, documentation_url=APPS_DOCS_URL)
    body = await _json_body(request)
    permissions = body.get("permissions")
    if permissions is not None and not isinstance(permissions, dict):
        raise EmulatorError(422, "Invalid request.\n\nFor 'properties/permissions', it is not an object.")
    return web.json_response(state.mint_token(installation_id, permissions), status=201)


async def _get_app(request: web.Request) -> web.Response:
    _require_app(request)
    return web.json_response(request.app[STATE_KEY].app_json())


async def _get_installation(request: web.Request) -> web.Response:
    _require_app(request)
    state = request.app[STATE_KEY]
    return web.json_response(state.installation(_number(request, "installation_id")))


async def _get_repository_installation(request: web.Request) -> web.Response:
    _require_app(request)
    state = request.app[STATE_KEY]
    full_name = f"{request.match_info['owner']}/{request.match_info['repo']}"
    return web.json_response(state.installation(state.installation_of(full_name)))


async def _get_rate_limit(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    caller = _caller(request)
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
    return web.json_response({"resources": {"core": core}, "rate": core})


async def _get_repository(request: web.Request) -> web.Response:
    full_name = _repository_access(request)
    return web.json_response(request.app[STATE_KEY].repository(full_name))


async def _get_contents(request: web.Request) -> web.Response:
    full_name = _repository_access(request)
    path = request.match_info.get("path", "")
    contents = request.app[STATE_KEY].contents(full_name, path, request.query.get("ref") or None)
    return web.json_response(contents)


async def _get_pull_request(request: web.Request) -> web.Response:
    full_name = _repository_access(request)
    return web.json_response(request.app[STATE_KEY].pull_request(full_name, _number(request, "pull_number")))


async def _list_pull_files(request: web.Request) -> web.Response:
    full_name = _repository_access(request)
    files = request.app[STATE_KEY].pull_request_files(full_name, _number(request, "pull_number"))
    return paginated(request, files)


async def _list_pull_comments(request: web.Request) -> web.Response:
    full_name = _repository_access(request)
    return paginated(
        request, request.app[STATE_KEY].review_comments(full_name, _number(request, "pull_number"))
    )


async def _list_reviews(request: web.Request) -> web.Response:
    full_name = _repository_access(request)
    return paginated(request, request.app[STATE_KEY].reviews(full_name, _number(request, "pull_number")))


async def _create_review(request: web.Request) -> web.Response:
    full_name = _repository_access(request, write=True)
    body = await _json_body(request)
    review = request.app[STATE_KEY].create_review(full_name, _number(request, "pull_number"), body)
    return web.json_response(review, status=200)


async def _get_review(request: web.Request) -> web.Response:
    full_name = _repository_access(request)
    state = request.app[STATE_KEY]
    return web.json_response(
        state.review(full_name, _number(request, "pull_number"), _number(request, "review_id"))
    )


async def _update_review(request: web.Request) -> web.Response:
    full_name = _repository_access(request, write=True)
    body = await _json_body(request)
    state = request.app[STATE_KEY]
    review = state.update_review(
        full_name, _number(request, "pull_number"), _number(request, "review_id"), body.get("body")
    )
    return web.json_response(review)


async def _list_review_comments(request: web.Request) -> web.Response:
    full_name = _repository_access(request)
    state = request.app[STATE_KEY]
    comments = state.comments_of_review(
        full_name, _number(request, "pull_number"), _number(request, "review_id")
    )
    return paginated(request, comments)
