"""The review task against the emulator over HTTP, on SQLite: idempotency, repository config, supersession."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gidgethub import GitHubBroken
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.demo import sample_repository
from bot.emulator.server import EmulatorServer
from bot.emulator.state import EmulatorState
from bot.github.api import RetryPolicy
from maze.config import Settings
from maze.runs import ReviewRequest, find_run
from maze.store import schema
from maze.store.db import session_scope
from maze.store.models import PostedReview, ReviewRun, RunStage
from tasks import runtime
from tasks.review import run_review

APP_ID = 77
REPO = "octo-org/inventory"


@pytest.fixture()
def world(app_key: Any, tmp_path: Path) -> Iterator[tuple[EmulatorState, Settings]]:
    state = EmulatorState(app_id=APP_ID, app_public_key_pem=app_key.public_pem)
    state.add_installation("octo-org")
    with EmulatorServer(state) as server:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'maze.db'}",
            webhook_secret=SecretStr("s"),
            github_app_id=APP_ID,
            github_private_key=SecretStr(app_key.private_pem),
            github_api_url=server.url,
        )
        schema.upgrade(settings.database_url)
        process = runtime.configure(settings, RetryPolicy(max_attempts=4, base_delay=0.01))
        yield state, settings
        process.close()
    assert state.contract_violations == []


def _open(state: EmulatorState, base_extra: dict[str, str] | None = None) -> ReviewRequest:
    base, head = sample_repository()
    installation = state.installation_ids()[0]
    repo = state.create_repository(installation, REPO, {**base, **(base_extra or {})})
    state.push(REPO, "stock-report", head)
    pull = state.open_pull_request(REPO, head="stock-report")
    return ReviewRequest(installation, int(repo["id"]), REPO, int(pull["number"]), pull["head"]["sha"], "d-1")


def _review(settings: Settings, request: ReviewRequest) -> Any:
    assert runtime.settings() is settings
    return run_review(request)


def test_rerun_after_a_crash_updates_the_posted_review(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    request = _open(state)
    first = _review(settings, request)
    assert first.stage is RunStage.DONE and first.review_id is not None
    comments = state.review_comments(REPO, request.pr_number)
    with session_scope(settings.database_url) as session:
        # As if the worker died after GitHub accepted the review but before the run was marked done.
        run = session.get(ReviewRun, first.run_id)
        assert run is not None
        run.stage = RunStage.POSTING
        for posted in list(run.posted_reviews):
            session.delete(posted)
    second = _review(settings, request)
    assert second.stage is RunStage.DONE and second.review_id == first.review_id
    assert len(state.reviews(REPO, request.pr_number)) == 1
    assert state.review_comments(REPO, request.pr_number) == comments
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(PostedReview)) == 1
        run = find_run(session, request.repository_id, request.pr_number, request.head_sha)
        assert run is not None and run.attempts == 2
    third = _review(settings, request)
    assert third.review_id is None and len(state.reviews(REPO, request.pr_number)) == 1


def test_repository_config_from_the_default_branch_narrows_the_review(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, settings = world
    config = 'ignore = ["inventory/report.py"]\nmax_suggestions = 2\n'
    request = _open(state, {".github/maze.toml": config})
    _review(settings, request)
    (review,) = state.reviews(REPO, request.pr_number)
    comments = state.review_comments(REPO, request.pr_number)
    assert len(comments) == 2
    assert {c["path"] for c in comments} == {"inventory/stock.py"}
    assert "over this repository's limit" in review["body"]
    assert "inventory/report.py" not in review["body"]


def test_invalid_repository_config_is_reported_and_defaults_apply(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, settings = world
    request = _open(state, {".github/maze.toml": "max_suggestions = 0\n"})
    outcome = _review(settings, request)
    assert outcome.stage is RunStage.DONE
    (review,) = state.reviews(REPO, request.pr_number)
    assert "max_suggestions" in review["body"] and ".github/maze.toml" in review["body"]
    assert len(state.review_comments(REPO, request.pr_number)) == 6


def test_a_newer_head_supersedes_the_run(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    request = _open(state)
    state.push(REPO, "stock-report", {"inventory/extra.py": "X = 1\n"})
    outcome = _review(settings, request)
    assert outcome.stage is RunStage.SUPERSEDED
    assert state.reviews(REPO, request.pr_number) == []


def test_transient_github_errors_are_retried(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    request = _open(state)
    state.fail_next("GET", r"/pulls/\d+/files", 502, times=3)
    outcome = _review(settings, request)
    assert outcome.stage is RunStage.DONE
    assert len(state.reviews(REPO, request.pr_number)) == 1


def test_github_failure_marks_the_run_failed_with_the_reason(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    request = _open(state)
    state.fail_next("GET", r"/pulls/\d+/files", 500, times=10)
    with pytest.raises(GitHubBroken):
        _review(settings, request)
    with session_scope(settings.database_url) as session:
        run = find_run(session, request.repository_id, request.pr_number, request.head_sha)
        assert run is not None and run.stage is RunStage.FAILED
        assert run.error == "failed while finding: GitHub answered HTTP 500: Internal Server Error"
