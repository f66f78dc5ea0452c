"""Request parsing and response building shared by the emulator's handlers: bodies, numbers, pagination."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from bot.emulator.errors import EmulatorError
from bot.emulator.state import EmulatorState

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
STATE_KEY: web.AppKey[EmulatorState] = web.AppKey("emulator_state", EmulatorState)


def state_of(request: web.Request) -> EmulatorState:
    return request.app[STATE_KEY]


def error_response(error: EmulatorError) -> web.Response:
    """GitHub's error body for `error`, with its extra headers."""
    response = web.json_response(error.body(), status=error.status)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def from_http_exception(http_error: web.HTTPException) -> web.Response:
    """aiohttp's own errors (no route, wrong method...) as GitHub shows them: a 404 for both of those."""
    status = http_error.status
    if status in (404, 405):
        return error_response(EmulatorError(404))
    return error_response(EmulatorError(status, http_error.reason))


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object ({} when empty); 400 like GitHub when it is not JSON or not an object."""
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


def number(request: web.Request, name: str) -> int:
    return int(request.match_info[name])


def full_name(request: web.Request) -> str:
    return f"{request.match_info['owner']}/{request.match_info['repo']}"


def _int_param(request: web.Request, name: str, default: int) -> int:
    try:
        value = int(request.query.get(name, default))
    except ValueError:
        return default
    return value if value >= 1 else default


def created(body: Any, location: str) -> web.Response:
    """201 with the new resource and its `Location`."""
    response = web.json_response(body, status=201)
    response.headers["Location"] = location
    return response


def no_content() -> web.Response:
    return web.Response(status=204)


def paginated(request: web.Request, items: Sequence[Any]) -> web.Response:
    """One page of `items` with GitHub's `per_page`/`page` parameters and `Link` header."""
    return paginated_object(request, items, lambda page: page)


def paginated_object(
    request: web.Request, items: Sequence[Any], wrap: Callable[[list[Any]], Any]
) -> web.Response:
    """One page of `items` wrapped by `wrap` (e.g. into `{total_count, check_runs}`), with a `Link` header."""
    per_page = min(_int_param(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    page = _int_param(request, "page", 1)
    last = max(1, math.ceil(len(items) / per_page))
    start = (page - 1) * per_page
    response = web.json_response(wrap(list(items[start : start + per_page])))
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
