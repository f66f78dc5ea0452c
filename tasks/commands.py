"""Running a `/maze` command: who may, the flood limit, the acknowledgement, and the run it starts.

`accept` does everything up to the run: OWNER, MEMBER and COLLABORATOR are trusted on their
`author_association`; anyone else needs write, maintain or admin from the collaborator permission endpoint
(a 404 there means no). Refused commands get a polite reply and nothing else (no reaction, no run).
Accepted ones get `eyes`; `help` is answered at once (and `rocket`), `fix` and `review` return the review
request of a run of their own (`trigger` `comment:<id>`), which the queue starts like any review. When that
run ends, `tasks.command_replies.finish_command` reacts and replies.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.github.client import GitHubClient
from maze.commands import (
    CommandName,
    CommandRequest,
    CommentKind,
    flood_text,
    help_text,
    permission_allows,
    refusal_text,
    trusted_association,
)
from maze.runs import ReviewRequest, find_triggered_run
from tasks import runtime
from tasks.command_limits import limiter_for
from tasks.command_posting import WHOLE_FILE
from tasks.command_replies import ACCEPTED, FAILURE, SUCCESS, CommandTarget, finish_command, react, reply_once
from tasks.stages import in_db, run_info

log = logging.getLogger(__name__)

FIX_MAX_SUGGESTIONS = 50
_EVENTS = {CommentKind.ISSUE: "issue_comment", CommentKind.REVIEW: "pull_request_review_comment"}


async def may_run(client: GitHubClient, request: CommandRequest) -> bool:
    if trusted_association(request.author_association):
        return True
    return permission_allows(await client.collaborator_permission(request.repository, request.author))


def run_summary(request: CommandRequest) -> dict[str, Any]:
    """What a command's run starts with: the command (read when it ends) and what the stages narrow to."""
    command: dict[str, Any] = {
        "kind": request.command,
        "comment_id": request.comment_id,
        "comment_kind": request.comment_kind,
        "author": request.author,
    }
    summary: dict[str, Any] = {"command": command}
    if request.command != CommandName.FIX:
        return summary
    if request.comment_kind == CommentKind.REVIEW and request.path is not None:
        command["thread"] = request.thread_id
        if request.line is None:  # a comment GitHub no longer places on a line: the whole file
            start, end = 1, WHOLE_FILE
        else:
            end = request.line
            start = request.start_line if request.start_line is not None else end
        summary["focus"] = {"path": request.path, "start_line": start, "end_line": end}
    else:
        summary["max_suggestions"] = FIX_MAX_SUGGESTIONS
    return summary


def review_request(request: CommandRequest) -> ReviewRequest:
    """The review run the command asks for; the head is whatever the pull request has when it starts."""
    return ReviewRequest(
        installation_id=request.installation_id,
        repository_id=request.repository_id,
        repository=request.repository,
        pr_number=request.pr_number,
        head_sha="",
        delivery_id=request.delivery_id,
        event=_EVENTS.get(CommentKind(request.comment_kind), "issue_comment"),
        action="created",
        trigger=request.trigger,
        summary=run_summary(request),
    )


async def accept(request: CommandRequest) -> ReviewRequest | None:
    """Check and acknowledge the command; the review request to start, or None when nothing more runs."""
    process = runtime.current()
    client = GitHubClient(await process.github(), request.installation_id)
    target = CommandTarget.of(request)
    if not await may_run(client, request):
        log.info(
            "command refused: %s by %s (%s)", request.trigger, request.author, request.author_association
        )
        await reply_once(client, target, refusal_text(request.author))
        return None
    limit = process.settings.commands_per_pr_per_hour
    limiter = await limiter_for(process)
    pull_key = f"{request.repository_id}:{request.pr_number}"
    if not await limiter.admit(pull_key, str(request.comment_id), limit):
        log.info("command refused (flood limit %d): %s on %s", limit, request.trigger, pull_key)
        await reply_once(client, target, flood_text(request.author, limit))
        return None
    await react(client, target, ACCEPTED)
    if request.command == CommandName.HELP:
        await reply_once(client, target, help_text(request.unknown, limit))
        await react(client, target, SUCCESS)
        return None
    return review_request(request)


async def not_started(request: CommandRequest) -> None:
    """The command's run did not start (or had already ended): answer from the run, if there is one."""
    run_id = await in_db(
        lambda session: getattr(
            find_triggered_run(session, request.repository_id, request.pr_number, request.trigger), "id", None
        )
    )
    if run_id is not None:
        await finish_command(await in_db(lambda session: run_info(session, run_id)))
        return
    log.info("command %s started no run (the installation may be suspended)", request.trigger)


async def could_not_start(request: CommandRequest, reason: str) -> None:
    """The command was accepted but its run could not be started: say so."""
    try:
        client = GitHubClient(await runtime.current().github(), request.installation_id)
        target = CommandTarget.of(request)
        await react(client, target, FAILURE)
        await reply_once(client, target, f"Maze could not start this command: {reason}.")
    except Exception as error:  # the original failure is what the caller reports
        log.warning("could not answer command %s: %s", request.trigger, error)
