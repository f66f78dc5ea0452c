"""`/maze` commands in comments: `issue_comment` on a pull request and `pull_request_review_comment`.

Only new comments count (action `created`); a comment that is not a command, or a conversation comment on
an issue that is not a pull request, is ignored. Comments this app made never get here: the receiver
drops events caused by the app (`bot.webhooks.own_events`) before routing. The handler enqueues ids and
the command; the worker checks who may run it (`tasks.commands`).
"""

from __future__ import annotations

from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from bot.webhooks.context import HandlerContext
from maze.commands import CommandRequest, CommentKind, parse_command

router = Router()


def _optional_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


async def _enqueue(event: Event, context: HandlerContext, kind: CommentKind, number: int) -> None:
    comment = event.data["comment"]
    command = parse_command(comment.get("body"))
    if command is None:
        return
    repository = event.data["repository"]
    thread: dict[str, Any] = {}
    if kind is CommentKind.REVIEW:
        line = _optional_int(comment.get("line")) or _optional_int(comment.get("original_line"))
        start = _optional_int(comment.get("start_line")) or _optional_int(comment.get("original_start_line"))
        thread = {
            "path": str(comment["path"]),
            "line": line,
            "start_line": start,
            "thread_id": _optional_int(comment.get("in_reply_to_id")) or int(comment["id"]),
        }
    request = CommandRequest(
        installation_id=int(event.data["installation"]["id"]),
        repository_id=int(repository["id"]),
        repository=str(repository["full_name"]),
        pr_number=number,
        comment_id=int(comment["id"]),
        comment_kind=str(kind),
        command=str(command.name),
        author=str(comment["user"]["login"]),
        author_association=str(comment.get("author_association") or "NONE"),
        delivery_id=event.delivery_id,
        unknown=command.unknown,
        **thread,
    )
    logical_key = f"logical:comment:{kind}:{request.comment_id}"
    description = f"/maze {request.command} on {request.repository}#{number} (comment {request.comment_id})"
    await context.enqueue_once(logical_key, request, description)


async def _issue_comment(event: Event, context: HandlerContext) -> None:
    issue = event.data["issue"]
    if not issue.get("pull_request"):
        return
    await _enqueue(event, context, CommentKind.ISSUE, int(issue["number"]))


async def _review_comment(event: Event, context: HandlerContext) -> None:
    await _enqueue(event, context, CommentKind.REVIEW, int(event.data["pull_request"]["number"]))


router.add(_issue_comment, "issue_comment", action="created")
router.add(_review_comment, "pull_request_review_comment", action="created")
