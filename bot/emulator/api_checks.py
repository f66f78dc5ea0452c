"""Handlers for check runs: only a GitHub App's installation token may create or change them."""

from __future__ import annotations

from aiohttp import web

from bot.emulator.auth import caller_of, repository_access
from bot.emulator.errors import CHECKS_DOCS_URL, EmulatorError
from bot.emulator.httputil import created, json_body, number, paginated, paginated_object, state_of


def _require_app_token(request: web.Request) -> None:
    caller = caller_of(request)
    if caller.user_login is not None:
        raise EmulatorError(403, "You must authenticate via a GitHub App.", documentation_url=CHECKS_DOCS_URL)


async def create_check_run(request: web.Request) -> web.Response:
    _require_app_token(request)
    name = repository_access(request, "checks", write=True)
    body = await json_body(request)
    run = state_of(request).create_check_run(name, body)
    return created(run, str(run["url"]))


async def update_check_run(request: web.Request) -> web.Response:
    _require_app_token(request)
    name = repository_access(request, "checks", write=True)
    body = await json_body(request)
    return web.json_response(state_of(request).update_check_run(name, number(request, "check_run_id"), body))


async def get_check_run(request: web.Request) -> web.Response:
    name = repository_access(request, "checks")
    return web.json_response(state_of(request).check_run(name, number(request, "check_run_id")))


async def list_annotations(request: web.Request) -> web.Response:
    name = repository_access(request, "checks")
    return paginated(request, state_of(request).check_run_annotations(name, number(request, "check_run_id")))


async def list_check_runs_for_ref(request: web.Request) -> web.Response:
    name = repository_access(request, "checks")
    query = request.query
    runs = state_of(request).check_runs_for_ref(
        name,
        request.match_info["ref"],
        check_name=query.get("check_name"),
        status=query.get("status"),
        latest_only=query.get("filter", "latest") != "all",
    )
    return paginated_object(request, runs, lambda page: {"total_count": len(runs), "check_runs": page})
