"""`maze demo`: the emulator and the bot in one process, a sample pull request, and the review it gets."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from bot.app import create_app
from bot.emulator.keys import generate_app_key
from bot.emulator.server import serve_emulator
from bot.emulator.state import EmulatorState
from bot.emulator.webhooks import deliver, pull_request_event
from bot.webhooks.claims import MemoryClaims
from maze.config import Settings
from maze.runs import find_run
from maze.store import schema
from maze.store.db import session_scope
from tasks.queue import InProcessEnqueuer

DEMO_APP_ID = 1
DEMO_OWNER = "octo-org"
DEMO_REPOSITORY = f"{DEMO_OWNER}/inventory"
DEMO_BRANCH = "stock-report"
REVIEW_WAIT_SECONDS = 300.0
_SUGGESTION_RE = re.compile(r"(`{3,})suggestion\n(.*?)\1", re.DOTALL)


@dataclass
class DemoResult:
    repository: str
    pr_number: int
    title: str
    head_sha: str
    webhook_status: int
    run: dict[str, Any] = field(default_factory=dict)
    review: dict[str, Any] | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)
    contract_violations: list[str] = field(default_factory=list)

    @property
    def suggestions_posted(self) -> int:
        return sum(1 for comment in self.comments if comment["suggestion"] is not None)

    def as_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "pull_request": self.pr_number,
            "title": self.title,
            "head_sha": self.head_sha,
            "webhook_status": self.webhook_status,
            "run": self.run,
            "review": self.review,
            "comments": self.comments,
            "suggestions_posted": self.suggestions_posted,
            "github_contract_violations": self.contract_violations,
        }


def _tree(root: Traversable, prefix: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in root.iterdir():
        if entry.is_dir():
            found.update(_tree(entry, f"{prefix}{entry.name}/"))
        elif not entry.name.endswith(".pyc"):
            found[prefix + entry.name] = entry.read_text(encoding="utf-8")
    return found


def sample_repository() -> tuple[dict[str, str], dict[str, str]]:
    """The bundled sample: (files of the default branch, files the pull request changes or adds)."""
    root = files("bot") / "demo_repo"
    return _tree(root / "base"), _tree(root / "head")


def _comment_view(comment: dict[str, Any]) -> dict[str, Any]:
    match = _SUGGESTION_RE.search(str(comment["body"]))
    return {
        "id": comment["id"],
        "path": comment["path"],
        "start_line": comment.get("start_line"),
        "line": comment["line"],
        "side": comment.get("side"),
        "body": comment["body"],
        "suggestion": match.group(2) if match else None,
    }


async def _start_bot(
    settings: Settings, secret: str, enqueuer: InProcessEnqueuer, bot_login: str
) -> tuple[web.AppRunner, str]:
    app = create_app(
        webhook_secret=secret,
        claims=MemoryClaims(),
        enqueuer=enqueuer,
        app_id=settings.github_app_id,
        bot_login=bot_login,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def run_demo(database_path: Path) -> DemoResult:
    """Open the sample pull request on a fresh emulator and let the bot review it end to end."""
    key = generate_app_key()
    secret = secrets.token_hex(20)
    state = EmulatorState(app_id=DEMO_APP_ID, app_public_key_pem=key.public_pem)
    installation = state.add_installation(DEMO_OWNER)
    base, head = sample_repository()
    state.create_repository(installation, DEMO_REPOSITORY, base)
    state.push(DEMO_REPOSITORY, DEMO_BRANCH, head, message="Add stock reports")
    pull = state.open_pull_request(
        DEMO_REPOSITORY, head=DEMO_BRANCH, title="Add stock reports", body="Reports and a low-stock query."
    )
    emulator, emulator_url = await serve_emulator(state)
    database_path.parent.mkdir(parents=True, exist_ok=True)
    database_path.unlink(missing_ok=True)
    settings = Settings(
        push_debounce_seconds=0,
        database_url=f"sqlite:///{database_path.resolve()}",
        webhook_secret=SecretStr(secret),
        github_app_id=DEMO_APP_ID,
        github_private_key=SecretStr(key.private_pem),
        github_api_url=emulator_url,
    )
    await asyncio.to_thread(schema.upgrade, settings.database_url)
    enqueuer = InProcessEnqueuer(settings)
    bot, bot_url = await _start_bot(settings, secret, enqueuer, state.bot_login)
    try:
        payload = pull_request_event(state, DEMO_REPOSITORY, int(pull["number"]), "opened")
        async with aiohttp.ClientSession() as session:
            status = await deliver(session, f"{bot_url}/webhook", "pull_request", payload, secret)
        await asyncio.to_thread(enqueuer.join, REVIEW_WAIT_SECONDS)
    finally:
        await bot.cleanup()
        await emulator.cleanup()
    result = DemoResult(
        DEMO_REPOSITORY, int(pull["number"]), str(pull["title"]), str(pull["head"]["sha"]), status
    )
    with session_scope(settings.database_url) as session:
        run = find_run(session, int(payload["repository"]["id"]), result.pr_number, result.head_sha)
        if run is not None:
            result.run = {"id": run.id, "stage": str(run.stage), "error": run.error, "summary": run.summary}
    result.contract_violations = list(state.contract_violations)
    reviews = state.reviews(DEMO_REPOSITORY, result.pr_number)
    if reviews:
        review = reviews[-1]
        result.review = {key: review.get(key) for key in ("id", "state", "body", "commit_id")}
        result.review["user"] = review["user"]["login"]
        result.comments = [
            _comment_view(c)
            for c in state.review_comments(DEMO_REPOSITORY, result.pr_number)
            if c.get("pull_request_review_id") == review["id"]
        ]
    return result


def render_text(result: DemoResult) -> str:
    lines = [
        f'Pull request {result.repository}#{result.pr_number} "{result.title}" at {result.head_sha[:12]}',
        f"Webhook pull_request.opened delivered to the bot: HTTP {result.webhook_status}",
        f"Review run: {result.run.get('stage', 'not started')}"
        + (f" ({result.run['error']})" if result.run.get("error") else ""),
    ]
    if result.review is None:
        lines.append("No review was posted.")
        return "\n".join(lines)
    lines += ["", f"Review {result.review['id']} by {result.review['user']} ({result.review['state']}):", ""]
    lines += [
        "    " + line for line in str(result.review["body"]).splitlines() if not line.startswith("<!--")
    ]
    for comment in result.comments:
        span = (
            f"lines {comment['start_line']}-{comment['line']}"
            if comment["start_line"]
            else f"line {comment['line']}"
        )
        lines += ["", f"--- {comment['path']} {span} ({comment['side']})"]
        lines += ["    " + line for line in str(comment["body"]).splitlines() if not line.startswith("<!--")]
    lines += ["", f"{result.suggestions_posted} validated suggestion(s) posted in one review."]
    violations = len(result.contract_violations)
    lines.append(f"Requests and answers that broke GitHub's REST description: {violations}.")
    return "\n".join(lines)
