"""Handlers for issues (every pull request is one), issue comments, and reactions to comments.

Reactions: `POST .../reactions` answers 201 with a new reaction and 200 with the existing one when the same
user already reacted with the same content; an unknown `content` is a 422.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.emulator.auth import caller_of, repository_access
from bot.emulator.errors import validation_failed
from bot.emulator.httputil import created, json_body, no_content, number, paginated, state_of
from bot.emulator.model import REACTION_CONTENTS, CommentKind

# Commenting on a pull request's conversation needs either permission.
_DISCUSSION = ("issues", "pull_requests")


async def get_issue(request: web.Request) -> web.Response:
    name = repository_access(request, *_DISCUSSION)
    return web.json_response(state_of(request).issue(name, number(request, "issue_number")))


async def list_issue_comments(request: web.Request) -> web.Response:
    name = repository_access(request, *_DISCUSSION)
    return paginated(request, state_of(request).issue_comments(name, number(request, "issue_number")))


async def create_issue_comment(request: web.Request) -> web.Response:
    name = repository_access(request, *_DISCUSSION, write=True)
    body = await json_body(request)
    comment = state_of(request).create_issue_comment(
        name, number(request, "issue_number"), body.get("body"), caller_of(request).user_login
    )
    return created(comment, str(comment["url"]))


async def get_issue_comment(request: web.Request) -> web.Response:
    name = repository_access(request, *_DISCUSSION)
    return web.json_response(state_of(request).issue_comment(name, number(request, "comment_id")))


async def update_issue_comment(request: web.Request) -> web.Response:
    name = repository_access(request, *_DISCUSSION, write=True)
    body = await json_body(request)
    comment = state_of(request).update_issue_comment(name, number(request, "comment_id"), body.get("body"))
    return web.json_response(comment)


async def delete_issue_comment(request: web.Request) -> web.Response:
    name = repository_access(request, *_DISCUSSION, write=True)
    state_of(request).delete_issue_comment(name, number(request, "comment_id"))
    return no_content()


Handler = Callable[[web.Request], Awaitable[web.Response]]


def reaction_handlers(kind: CommentKind) -> tuple[Handler, Handler, Handler]:
    """The list, create and delete handlers of the reactions of issue or review comments."""
    permission = _DISCUSSION if kind == "issue" else ("pull_requests",)

    async def list_reactions(request: web.Request) -> web.Response:
        name = repository_access(request, *permission)
        content = request.query.get("content")
        if content is not None and content not in REACTION_CONTENTS:
            raise validation_failed("Reaction", "content", "invalid", content)
        reactions = state_of(request).reactions(name, kind, number(request, "comment_id"), content)
        return paginated(request, reactions)

    async def create_reaction(request: web.Request) -> web.Response:
        name = repository_access(request, *permission, write=True)
        body = await json_body(request)
        reaction, is_new = state_of(request).create_reaction(
            name, kind, number(request, "comment_id"), body.get("content"), caller_of(request).user_login
        )
        return web.json_response(reaction, status=201 if is_new else 200)

    async def delete_reaction(request: web.Request) -> web.Response:
        name = repository_access(request, *permission, write=True)
        state_of(request).delete_reaction(
            name,
            kind,
            number(request, "comment_id"),
            number(request, "reaction_id"),
            caller_of(request).user_login,
        )
        return no_content()

    return list_reactions, create_reaction, delete_reaction
