"""Answering `/maze` commands on GitHub: reactions on the command comment, one reply per command (in the
conversation, or in the line thread the command was written in), and the answer when a command's run ends.

Every reply carries a hidden marker naming the command comment; a reply is only posted when no comment
of the pull request carries the marker yet, so retries and redelivered tasks do not answer twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.github.client import JSON, GitHubClient
from maze.commands import CommandRequest, CommentKind, reply_marker
from maze.store.models import ReviewRun, RunStage
from tasks.stages import RunInfo, github_client, in_db

log = logging.getLogger(__name__)

SUCCESS, FAILURE, ACCEPTED = "rocket", "confused", "eyes"


@dataclass(frozen=True)
class CommandTarget:
    """The command comment a reply answers, and where the reply goes."""

    repository: str
    pr_number: int
    comment_id: int
    comment_kind: str
    thread_id: int | None = None

    @classmethod
    def of(cls, request: CommandRequest) -> CommandTarget:
        return cls(
            request.repository, request.pr_number, request.comment_id, request.comment_kind, request.thread_id
        )

    @property
    def in_thread(self) -> bool:
        return self.comment_kind == CommentKind.REVIEW and self.thread_id is not None


def command_of(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The `command` entry of a run's summary, or None for a run no command asked for."""
    command = summary.get("command")
    return command if isinstance(command, dict) else None


def answers_in_thread(summary: dict[str, Any]) -> bool:
    """Whether the run is a `/maze fix` written in a line thread: its posting replies there."""
    command = command_of(summary)
    return command is not None and command.get("kind") == "fix" and command.get("comment_kind") == "review"


def target_of(info: RunInfo, command: dict[str, Any]) -> CommandTarget:
    thread = command.get("thread")
    return CommandTarget(
        info.repository,
        info.pr_number,
        int(command["comment_id"]),
        str(command["comment_kind"]),
        int(thread) if thread is not None else None,
    )


async def react(client: GitHubClient, target: CommandTarget, content: str) -> None:
    await client.create_reaction(target.repository, target.comment_kind, target.comment_id, content)


async def existing_reply(client: GitHubClient, target: CommandTarget) -> JSON | None:
    marker = reply_marker(target.comment_id)
    if target.in_thread:
        comments = await client.pull_request_comments(target.repository, target.pr_number)
    else:
        comments = await client.issue_comments(target.repository, target.pr_number)
    return next((c for c in comments if marker in str(c.get("body") or "")), None)


async def reply_once(client: GitHubClient, target: CommandTarget, text: str) -> JSON:
    """Answer the command (in its thread, or in the conversation), unless it was answered already."""
    existing = await existing_reply(client, target)
    if existing is not None:
        return existing
    body = f"{text}\n\n{reply_marker(target.comment_id)}"
    if target.in_thread:
        assert target.thread_id is not None
        return await client.reply_to_review_comment(
            target.repository, target.pr_number, target.thread_id, body
        )
    return await client.create_issue_comment(target.repository, target.pr_number, body)


# ----- when a command's run ends ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Ended:
    stage: RunStage
    error: str | None
    head_sha: str
    summary: dict[str, Any]


def _ended(session: Any, run_id: int) -> _Ended | None:
    run = session.get(ReviewRun, run_id)
    if run is None or not run.stage.is_final:
        return None
    return _Ended(run.stage, run.error, run.head_sha, dict(run.summary))


async def _review_link(client: GitHubClient, info: RunInfo, review_id: object) -> str | None:
    if not isinstance(review_id, int):
        return None
    for review in await client.reviews(info.repository, info.pr_number):
        if review.get("id") == review_id:
            return str(review.get("html_url") or "") or None
    return None


def _count(summary: dict[str, Any], key: str) -> int:
    value = summary.get(key)
    return value if isinstance(value, int) else 0


async def _done_text(client: GitHubClient, info: RunInfo, command: dict[str, Any], ended: _Ended) -> str:
    summary = ended.summary
    findings, proven, posted = (_count(summary, key) for key in ("findings", "proven", "posted"))
    link = await _review_link(client, info, summary.get("review_id"))
    what = "looked for fixes on" if command.get("kind") == "fix" else "reviewed"
    text = (
        f"Maze {what} `{ended.head_sha[:12]}`: {findings} finding{'s' if findings != 1 else ''} on the "
        f"changed lines, {proven} with a proven fix, {posted} posted as suggestion"
        f"{'s' if posted != 1 else ''}"
    )
    if link:
        text += f" in [the review]({link})"
    elif posted == 0 and findings and proven:
        text += " (the proven fixes are already suggested on this head)"
    return text + "."


def _ending_text(ended: _Ended) -> str:
    if ended.stage is RunStage.SUPERSEDED:
        return (
            "A newer push is being reviewed, so this command stopped before it finished "
            f"({ended.error or 'superseded'}). Run it again if you still need it."
        )
    if ended.stage is RunStage.SKIPPED:
        return f"Nothing was run: {ended.error or 'the run was skipped'}."
    return f"Maze could not finish this command: {ended.error or 'the run failed'}."


async def finish_command(info: RunInfo) -> None:
    """React and reply to the command behind a run that has ended; nothing for a push run.

    A failure to answer is logged, never raised: the run's own outcome is already stored.
    """
    command = command_of(info.summary)
    if command is None:
        return
    ended = await in_db(lambda session: _ended(session, info.id))
    if ended is None:
        return
    target = target_of(info, command)
    try:
        client = await github_client(info)
        if ended.stage is RunStage.DONE:
            await react(client, target, SUCCESS)
            await reply_once(client, target, await _done_text(client, info, command, ended))
        else:
            await react(client, target, FAILURE)
            await reply_once(client, target, _ending_text(ended))
    except Exception as error:  # the run is stored; an answer that cannot be given must not undo that
        log.warning(
            "could not answer command comment %s of run %s: %s",
            target.comment_id,
            info.id,
            error,
            exc_info=True,
        )
