"""Handlers for pull requests: the pull request, its files, reviews, review comments and their replies."""

from __future__ import annotations

from aiohttp import web

from bot.emulator.auth import caller_of, repository_access
from bot.emulator.httputil import created, json_body, no_content, number, paginated, state_of


def _author(request: web.Request) -> str | None:
    """None (the app's bot) for an installation token, the user's login for a user token."""
    return caller_of(request).user_login


async def get_pull_request(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests")
    return web.json_response(state_of(request).pull_request(name, number(request, "pull_number")))


async def list_pull_files(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests")
    return paginated(request, state_of(request).pull_request_files(name, number(request, "pull_number")))


async def list_pull_comments(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests")
    return paginated(request, state_of(request).review_comments(name, number(request, "pull_number")))


async def list_reviews(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests")
    return paginated(request, state_of(request).reviews(name, number(request, "pull_number")))


async def create_review(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests", write=True)
    body = await json_body(request)
    review = state_of(request).create_review(name, number(request, "pull_number"), body)
    return web.json_response(review, status=200)


async def get_review(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests")
    review = state_of(request).review(name, number(request, "pull_number"), number(request, "review_id"))
    return web.json_response(review)


async def update_review(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests", write=True)
    body = await json_body(request)
    review = state_of(request).update_review(
        name, number(request, "pull_number"), number(request, "review_id"), body.get("body")
    )
    return web.json_response(review)


async def list_review_comments(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests")
    comments = state_of(request).comments_of_review(
        name, number(request, "pull_number"), number(request, "review_id")
    )
    return paginated(request, comments)


async def create_review_comment(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests", write=True)
    body = await json_body(request)
    comment = state_of(request).create_review_comment(
        name, number(request, "pull_number"), body, _author(request)
    )
    return created(comment, str(comment["url"]))


async def get_review_comment(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests")
    return web.json_response(state_of(request).review_comment(name, number(request, "comment_id")))


async def update_review_comment(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests", write=True)
    body = await json_body(request)
    comment = state_of(request).update_review_comment(name, number(request, "comment_id"), body.get("body"))
    return web.json_response(comment)


async def delete_review_comment(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests", write=True)
    state_of(request).delete_review_comment(name, number(request, "comment_id"))
    return no_content()


async def reply_to_review_comment(request: web.Request) -> web.Response:
    name = repository_access(request, "pull_requests", write=True)
    body = await json_body(request)
    reply = state_of(request).reply_to_review_comment(
        name,
        number(request, "pull_number"),
        number(request, "comment_id"),
        body.get("body"),
        _author(request),
    )
    return created(reply, str(reply["url"]))
