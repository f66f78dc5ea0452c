"""`/maze` commands end to end against the emulator: a signed comment webhook (from GitHub's example
payloads) -> the receiver -> the command worker in-process -> reactions, replies, and review runs.

GitHub's `issue_comment` examples are about issues, not pull requests: `issue_comment_event` derives a
pull request's payload from them by adding `issue.pull_request` (as GitHub does for a PR's conversation).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.demo import sample_repository
from bot.emulator.state import EmulatorState
from bot.emulator.webhooks import example_payload, issue_comment_event, review_comment_event, webhook_request
from bot.webhooks.claims import MemoryClaims
from maze.commands import CommandRequest
from maze.config import Settings
from maze.runs import ReviewRequest
from maze.store.db import session_scope
from maze.store.models import ReviewRun, RunStage, Suggestion, SuggestionStatus
from tasks import runtime
from tasks.commands import accept
from tasks.pipeline import execute
from tasks.queue import Job, drive_command, drive_review
from tasks.stages import start
from tests.edge.conftest import APP_ID

SECRET = "s"
REPO = "octo-org/inventory"
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]

BASE = {"pkg/__init__.py": "", "pkg/mod.py": "def count() -> int:\n    return 1\n"}
HEAD = {
    "pkg/mod.py": "import os\nimport sys\n\n\ndef count() -> int:\n    return len(sys.argv)\n",
}


class Recording:
    def __init__(self) -> None:
        self.jobs: list[Job] = []

    async def enqueue(self, job: Job) -> None:
        self.jobs.append(job)

    def close(self) -> None:
        pass


@pytest.fixture()
def queue() -> Recording:
    return Recording()


@pytest.fixture()
async def receiver(aiohttp_client: ClientFactory, queue: Recording) -> TestClient[Any, Any]:
    app = create_app(webhook_secret=SECRET, claims=MemoryClaims(), enqueuer=queue, app_id=APP_ID)
    return await aiohttp_client(app)


def _open(state: EmulatorState, base: dict[str, str], head: dict[str, str]) -> int:
    installation = state.installation_ids()[0]
    state.create_repository(installation, REPO, base)
    state.push(REPO, "feature", head)
    state.add_collaborator(REPO, "alice", "MEMBER")
    return int(state.open_pull_request(REPO, head="feature")["number"])


async def _deliver(receiver: TestClient[Any, Any], event: str, payload: dict[str, Any]) -> tuple[int, str]:
    headers, body = webhook_request(event, payload, SECRET)
    response = await receiver.post("/webhook", data=body, headers=headers)
    return response.status, str((await response.json())["status"])


async def _comment(
    receiver: TestClient[Any, Any], queue: Recording, state: EmulatorState, number: int, body: str, login: str
) -> CommandRequest:
    comment = state.add_issue_comment(REPO, number, body, login)
    payload = issue_comment_event(state, REPO, number, int(comment["id"]))
    assert payload["issue"]["pull_request"], "the derived payload is about a pull request"
    assert await _deliver(receiver, "issue_comment", payload) == (202, "accepted")
    job = queue.jobs[-1]
    assert isinstance(job, CommandRequest) and job.comment_id == comment["id"]
    return job


def _reactions(state: EmulatorState, kind: str, comment_id: int) -> list[str]:
    bot = state.bot_login
    return [r["content"] for r in state.reactions(REPO, kind, comment_id) if r["user"]["login"] == bot]  # type: ignore[arg-type]


def _bot_comments(state: EmulatorState, number: int) -> list[str]:
    return [
        str(c["body"]) for c in state.issue_comments(REPO, number) if c["user"]["login"] == state.bot_login
    ]


def _runs(settings: Settings) -> list[tuple[str, RunStage, dict[str, Any]]]:
    with session_scope(settings.database_url) as session:
        return [
            (r.trigger, r.stage, dict(r.summary))
            for r in session.scalars(select(ReviewRun).order_by(ReviewRun.id))
        ]


async def test_a_members_help_gets_eyes_rocket_and_the_help_text(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, settings = world
    number = _open(state, BASE, HEAD)
    job = await _comment(receiver, queue, state, number, "/maze help", "alice")
    assert (job.command, job.author, job.author_association, job.comment_kind) == (
        "help",
        "alice",
        "MEMBER",
        "issue",
    )
    assert await asyncio.to_thread(drive_command, job) is None
    assert _reactions(state, "issue", job.comment_id) == ["eyes", "rocket"]
    (reply,) = _bot_comments(state, number)
    assert "`/maze fix`" in reply and "`/maze review`" in reply and "collaborators" in reply
    assert _runs(settings) == []
    await asyncio.to_thread(drive_command, job)
    assert len(_bot_comments(state, number)) == 1, "a retried command is not answered twice"


async def test_an_outsider_is_refused_politely_and_nothing_runs(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, settings = world
    number = _open(state, BASE, HEAD)
    job = await _comment(receiver, queue, state, number, "/maze review", "mallory")
    assert job.author_association == "NONE"
    assert await asyncio.to_thread(drive_command, job) is None
    assert ("GET", f"/repos/{REPO}/collaborators/mallory/permission", 404) in state.request_log
    assert _reactions(state, "issue", job.comment_id) == []
    (reply,) = _bot_comments(state, number)
    assert reply.startswith("Sorry @mallory") and "Nothing was run" in reply
    assert _runs(settings) == [] and state.reviews(REPO, number) == []


async def test_a_contributor_with_write_permission_is_accepted(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, _ = world
    number = _open(state, BASE, HEAD)
    state.add_collaborator(REPO, "carol", "CONTRIBUTOR", role="write")
    job = await _comment(receiver, queue, state, number, "/maze help", "carol")
    assert job.author_association == "CONTRIBUTOR"
    await asyncio.to_thread(drive_command, job)
    assert ("GET", f"/repos/{REPO}/collaborators/carol/permission", 200) in state.request_log
    assert _reactions(state, "issue", job.comment_id) == ["eyes", "rocket"]


async def test_the_bots_own_comments_and_plain_comments_are_ignored(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, _ = world
    number = _open(state, BASE, HEAD)
    own = state.create_issue_comment(REPO, number, "/maze fix")  # made with the app's token
    payload = issue_comment_event(state, REPO, number, int(own["id"]))
    assert payload["comment"]["performed_via_github_app"]["id"] == APP_ID
    assert await _deliver(receiver, "issue_comment", payload) == (200, "ignored")
    plain = state.add_issue_comment(REPO, number, "Looks good.\n/maze fix", "alice")
    assert await _deliver(
        receiver, "issue_comment", issue_comment_event(state, REPO, number, plain["id"])
    ) == (
        200,
        "ignored",
    )
    on_an_issue = example_payload("issue_comment", "created")
    on_an_issue["comment"]["body"] = "/maze fix"
    assert "pull_request" not in on_an_issue["issue"]
    assert await _deliver(receiver, "issue_comment", on_an_issue) == (200, "ignored")
    assert queue.jobs == []


async def test_an_unknown_command_gets_the_help_text(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, _ = world
    number = _open(state, BASE, HEAD)
    job = await _comment(receiver, queue, state, number, "/maze deploy now", "alice")
    assert (job.command, job.unknown) == ("help", "deploy")
    await asyncio.to_thread(drive_command, job)
    (reply,) = _bot_comments(state, number)
    assert reply.startswith("`deploy` is not a Maze command.") and "`/maze fix`" in reply
    assert _reactions(state, "issue", job.comment_id) == ["eyes", "rocket"]


async def test_a_comment_redelivered_with_a_new_delivery_id_is_enqueued_once(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, _ = world
    number = _open(state, BASE, HEAD)
    comment = state.add_issue_comment(REPO, number, "/maze help", "alice")
    payload = issue_comment_event(state, REPO, number, int(comment["id"]))
    assert await _deliver(receiver, "issue_comment", payload) == (202, "accepted")
    assert await _deliver(receiver, "issue_comment", payload) == (200, "duplicate")
    assert len(queue.jobs) == 1


async def test_review_on_an_already_reviewed_head_runs_again_and_posts_a_review(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, settings = world
    base, head = sample_repository()
    number = _open(state, base, head)
    pull = state.pull_request(REPO, number)
    repository = state.repository(REPO)
    push = ReviewRequest(
        state.installation_ids()[0], repository["id"], REPO, number, pull["head"]["sha"], "d-1"
    )
    await asyncio.to_thread(drive_review, push)
    assert len(state.reviews(REPO, number)) == 1
    job = await _comment(receiver, queue, state, number, "/maze review", "alice")
    run_id = await asyncio.to_thread(drive_command, job)
    assert run_id is not None
    runs = _runs(settings)
    assert [(trigger, stage) for trigger, stage, _ in runs] == [
        ("push", RunStage.DONE),
        (f"comment:{job.comment_id}", RunStage.DONE),
    ]
    reviews = state.reviews(REPO, number)
    assert len(reviews) == 2 and {r["commit_id"] for r in reviews} == {pull["head"]["sha"]}
    assert _reactions(state, "issue", job.comment_id) == ["eyes", "rocket"]
    (reply,) = _bot_comments(state, number)
    assert reply.startswith(f"Maze reviewed `{pull['head']['sha'][:12]}`: ")
    assert " findings on the changed lines, " in reply
    assert f"#pullrequestreview-{reviews[1]['id']}" in reply


async def test_fix_in_the_conversation_reports_the_proven_fixes_and_links_the_review(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, settings = world
    number = _open(state, BASE, HEAD)
    job = await _comment(receiver, queue, state, number, "/maze fix", "alice")
    await asyncio.to_thread(drive_command, job)
    ((trigger, stage, summary),) = _runs(settings)
    assert (trigger, stage) == (f"comment:{job.comment_id}", RunStage.DONE)
    assert summary["command"]["kind"] == "fix" and summary["max_suggestions"] == 50
    (review,) = state.reviews(REPO, number)
    (comment,) = state.review_comments(REPO, number)
    assert comment["path"] == "pkg/mod.py" and comment["line"] == 1 and "```suggestion" in comment["body"]
    (reply,) = _bot_comments(state, number)
    assert "1 finding on the changed lines, 1 with a proven fix, 1 posted as suggestion" in reply
    assert f"#pullrequestreview-{review['id']}" in reply
    assert _reactions(state, "issue", job.comment_id) == ["eyes", "rocket"]


async def test_fix_on_a_review_comment_answers_in_that_thread_with_a_suggestion(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, settings = world
    number = _open(state, BASE, HEAD)
    head_sha = state.pull_request(REPO, number)["head"]["sha"]
    comment = state.create_review_comment(
        REPO,
        number,
        {
            "path": "pkg/mod.py",
            "start_line": 1,
            "line": 2,
            "side": "RIGHT",
            "start_side": "RIGHT",
            "body": "/maze fix",
            "commit_id": head_sha,
        },
        "alice",
    )
    payload = review_comment_event(state, REPO, number, int(comment["id"]))
    assert await _deliver(receiver, "pull_request_review_comment", payload) == (202, "accepted")
    (job,) = queue.jobs
    assert isinstance(job, CommandRequest)
    assert (job.comment_kind, job.path, job.start_line, job.line, job.thread_id) == (
        "review",
        "pkg/mod.py",
        1,
        2,
        comment["id"],
    )
    await asyncio.to_thread(drive_command, job)
    ((_, stage, summary),) = _runs(settings)
    assert stage is RunStage.DONE
    assert summary["focus"] == {"path": "pkg/mod.py", "start_line": 1, "end_line": 2}
    replies = [c for c in state.review_comments(REPO, number) if c.get("in_reply_to_id") == comment["id"]]
    (reply,) = replies
    assert reply["user"]["login"] == state.bot_login
    assert "**ruff F401**" in reply["body"]
    assert "```suggestion\nimport sys\n```" in reply["body"], "the fix replaces exactly the thread's lines"
    assert "Proven before posting: " in reply["body"]
    assert not any("maze:review" in str(r["body"]) for r in state.reviews(REPO, number)), "no review"
    assert _reactions(state, "review", int(comment["id"])) == ["eyes", "rocket"]
    with session_scope(settings.database_url) as session:
        statuses = [s.status for s in session.scalars(select(Suggestion))]
    assert SuggestionStatus.POSTED in statuses


async def test_a_flood_of_commands_is_refused_politely(
    world: tuple[EmulatorState, Settings],
    receiver: TestClient[Any, Any],
    queue: Recording,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state, settings = world
    process = runtime.current()
    monkeypatch.setattr(process, "settings", settings.model_copy(update={"commands_per_pr_per_hour": 2}))
    number = _open(state, BASE, HEAD)
    jobs = [await _comment(receiver, queue, state, number, "/maze help", "alice") for _ in range(3)]
    for job in jobs:
        await asyncio.to_thread(drive_command, job)
    assert [_reactions(state, "issue", job.comment_id) for job in jobs] == [["eyes", "rocket"]] * 2 + [[]]
    replies = _bot_comments(state, number)
    assert len(replies) == 3
    assert replies[2].startswith("Sorry @alice, this pull request has already run 2 Maze commands")


async def test_a_command_run_superseded_by_a_newer_push_says_so(
    world: tuple[EmulatorState, Settings], receiver: TestClient[Any, Any], queue: Recording
) -> None:
    state, settings = world
    number = _open(state, BASE, HEAD)
    job = await _comment(receiver, queue, state, number, "/maze review", "alice")
    process = runtime.current()
    review = await asyncio.to_thread(process.run, accept(job))
    assert review is not None
    started = await asyncio.to_thread(process.run, start(review))
    assert started is not None
    run_id, stage = started
    newer = state.push(REPO, "feature", {"pkg/extra.py": "X = 1\n"})
    push = ReviewRequest(review.installation_id, review.repository_id, REPO, number, newer, "d-2")
    await asyncio.to_thread(drive_review, push)
    assert await asyncio.to_thread(process.run, execute(run_id, stage)) is None
    assert [(trigger, stage) for trigger, stage, _ in _runs(settings)] == [
        (f"comment:{job.comment_id}", RunStage.SUPERSEDED),
        ("push", RunStage.DONE),
    ]
    assert _reactions(state, "issue", job.comment_id) == ["eyes", "confused"]
    (reply,) = _bot_comments(state, number)
    assert reply.startswith("A newer push is being reviewed") and newer in reply
