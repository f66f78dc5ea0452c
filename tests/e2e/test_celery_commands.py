"""End to end: a signed `issue_comment` with `/maze fix` on a pull request -> the Redis queue -> a real
`celery worker` process -> eyes, a review run of its own, the review, rocket and a reply on the emulator.

The payload is GitHub's `issue_comment.created` example with `issue.pull_request` added (no example is
about a pull request)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.emulator.state import EmulatorState
from bot.emulator.webhooks import issue_comment_event, webhook_request
from maze.config import Settings
from maze.store.db import session_scope
from maze.store.models import ReviewRun, RunStage
from tests.e2e.conftest import SECRET, Workers, bot_client

pytestmark = [pytest.mark.services, pytest.mark.e2e]

REPO = "octo-org/tools"
BASE = {"pkg/__init__.py": "", "pkg/mod.py": "def count() -> int:\n    return 1\n"}
HEAD = {"pkg/mod.py": "import os\nimport sys\n\n\ndef count() -> int:\n    return len(sys.argv)\n"}


async def test_fix_command_through_celery(
    aiohttp_client: Callable[[web.Application], Any],
    emulator: tuple[EmulatorState, str],
    settings: Settings,
    workers: Workers,
) -> None:
    state, _ = emulator
    installation = state.add_installation("octo-org")
    state.create_repository(installation, REPO, BASE)
    state.push(REPO, "feature", HEAD)
    state.add_collaborator(REPO, "alice", "COLLABORATOR")
    number = int(state.open_pull_request(REPO, head="feature")["number"])
    comment = state.add_issue_comment(REPO, number, "/maze fix", "alice")
    workers.start()
    client = await bot_client(aiohttp_client, settings)
    payload = issue_comment_event(state, REPO, number, int(comment["id"]))
    headers, body = webhook_request("issue_comment", payload, SECRET, delivery_id="e2e-command-1")
    assert (await client.post("/webhook", data=body, headers=headers)).status == 202

    def reactions() -> list[str]:
        return [
            r["content"]
            for r in state.reactions(REPO, "issue", int(comment["id"]))
            if r["user"]["login"] == state.bot_login
        ]

    def replies() -> list[str]:
        return [
            c["body"] for c in state.issue_comments(REPO, number) if c["user"]["login"] == state.bot_login
        ]

    workers.wait_for(lambda: bool(replies()), "the command's answer (it follows the final reaction)")
    assert reactions() == ["eyes", "rocket"]
    with session_scope(settings.database_url) as session:
        run = session.scalars(select(ReviewRun)).one()
        assert (run.trigger, run.stage) == (f"comment:{comment['id']}", RunStage.DONE)
    (review,) = state.reviews(REPO, number)
    (reply,) = replies()
    assert f"#pullrequestreview-{review['id']}" in reply
