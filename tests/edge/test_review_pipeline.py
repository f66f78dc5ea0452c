"""The review task against the emulator over HTTP, on SQLite: idempotency, repository config, supersession."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from gidgethub import GitHubBroken
from sqlalchemy import delete, select, update

from bot.demo import sample_repository
from bot.emulator.state import EmulatorState
from maze.config import Settings
from maze.runs import ReviewRequest, find_run
from maze.store.db import session_scope
from maze.store.models import (
    FeedbackEvent,
    PostedReview,
    ReviewRun,
    RunEvent,
    RunStage,
    Suggestion,
    SuggestionStatus,
    utcnow,
)
from tasks import runtime
from tasks.pipeline import NotYourTurn, execute
from tasks.queue import drive_review
from tasks.recovery import resume_stalled
from tasks.stages import start

REPO = "octo-org/inventory"


def _open(state: EmulatorState, base_extra: dict[str, str] | None = None) -> ReviewRequest:
    base, head = sample_repository()
    installation = state.installation_ids()[0]
    repo = state.create_repository(installation, REPO, {**base, **(base_extra or {})})
    state.push(REPO, "stock-report", head)
    pull = state.open_pull_request(REPO, head="stock-report")
    return ReviewRequest(installation, int(repo["id"]), REPO, int(pull["number"]), pull["head"]["sha"], "d-1")


def _review(settings: Settings, request: ReviewRequest) -> ReviewRun:
    """Drive the review in-process, as embedded mode does, and return its run as stored."""
    assert runtime.settings() is settings
    drive_review(request)
    return _run(settings, request)


def _start(request: ReviewRequest) -> tuple[int, RunStage]:
    """What `start_review` does: the run for the PR's head, and the stage to schedule."""
    started = runtime.current().run(start(request))
    assert started is not None
    return started


def _run(settings: Settings, request: ReviewRequest, head: str | None = None) -> ReviewRun:
    with session_scope(settings.database_url) as session:
        run = find_run(session, request.repository_id, request.pr_number, head or request.head_sha)
        assert run is not None
        return run


def _stages(settings: Settings, run_id: int) -> list[str]:
    with session_scope(settings.database_url) as session:
        return [event.stage for event in session.scalars(select(RunEvent).where(RunEvent.run_id == run_id))]


def test_a_run_moves_through_every_stage_with_timestamps(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    run = _review(settings, _open(state))
    assert run.stage is RunStage.DONE and run.finished_at is not None
    assert _stages(settings, run.id) == [
        "queued",
        "indexing",
        "finding",
        "generating",
        "validating",
        "posting",
        "done",
    ]
    assert run.summary["files"] == 2 and run.summary["findings"] == 8 and run.summary["posted"] == 6


def test_a_post_interrupted_after_github_accepted_it_is_not_duplicated(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, settings = world
    request = _open(state)
    first = _review(settings, request)
    (review,) = state.reviews(REPO, request.pr_number)
    comments = state.review_comments(REPO, request.pr_number)
    with session_scope(settings.database_url) as session:
        # As if the worker died after GitHub accepted the review but before the stage committed.
        session.execute(update(ReviewRun).where(ReviewRun.id == first.id).values(stage=RunStage.POSTING))
        session.execute(delete(PostedReview))
        session.execute(
            update(Suggestion)
            .where(Suggestion.status == SuggestionStatus.POSTED)
            .values(status=SuggestionStatus.VALIDATED)
        )
    assert runtime.current().run(execute(first.id, RunStage.POSTING)) is RunStage.DONE
    assert [r["id"] for r in state.reviews(REPO, request.pr_number)] == [review["id"]]
    assert state.review_comments(REPO, request.pr_number) == comments
    with session_scope(settings.database_url) as session:
        (posted,) = session.scalars(select(PostedReview)).all()
        assert posted.github_review_id == review["id"] and len(posted.comments) == len(comments)
    drive_review(request)
    assert len(state.reviews(REPO, request.pr_number)) == 1


def test_a_redelivered_start_schedules_the_stage_the_run_is_at(world: tuple[EmulatorState, Settings]) -> None:
    state, _ = world
    request = _open(state)
    process = runtime.current()
    started = _start(request)
    run_id, stage = started
    assert process.run(start(request)) == (run_id, RunStage.INDEXING)
    assert process.run(execute(run_id, stage)) is RunStage.FINDING
    assert process.run(start(request)) == (run_id, RunStage.FINDING)


def test_a_redelivered_stage_task_of_a_finished_stage_does_nothing(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, settings = world
    run = _review(settings, _open(state))
    for stage in (RunStage.INDEXING, RunStage.FINDING, RunStage.POSTING):
        assert runtime.current().run(execute(run.id, stage)) is None
    assert len(state.reviews(REPO, run.pr_number)) == 1


def test_a_run_stopped_mid_way_resumes_from_its_last_completed_stage(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, _ = world
    request = _open(state)
    process = runtime.current()
    started = _start(request)
    assert started[1] is RunStage.INDEXING
    run_id = started[0]
    assert process.run(execute(run_id, RunStage.INDEXING)) is RunStage.FINDING
    assert process.run(execute(run_id, RunStage.FINDING)) is RunStage.GENERATING
    requests_before = len(state.request_log)
    for stage in (RunStage.GENERATING, RunStage.VALIDATING):
        process.run(execute(run_id, stage))
    assert len(state.request_log) == requests_before, "finding, generating and validating need no GitHub call"
    assert process.run(execute(run_id, RunStage.POSTING)) is RunStage.DONE
    assert len(state.review_comments(REPO, request.pr_number)) == 6


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
    assert _review(settings, request).stage is RunStage.DONE
    (review,) = state.reviews(REPO, request.pr_number)
    assert "max_suggestions" in review["body"] and ".github/maze.toml" in review["body"]
    assert len(state.review_comments(REPO, request.pr_number)) == 6


def test_the_current_head_is_reviewed_and_older_runs_superseded(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, settings = world
    request = _open(state)
    process = runtime.current()
    started = _start(request)
    old_run = started[0]
    assert process.run(execute(old_run, RunStage.INDEXING)) is RunStage.FINDING
    newer = state.push(REPO, "stock-report", {"inventory/extra.py": "import os\n"})
    drive_review(request)
    with session_scope(settings.database_url) as session:
        stages = {run.head_sha: run.stage for run in session.scalars(select(ReviewRun))}
    assert stages == {request.head_sha: RunStage.SUPERSEDED, newer: RunStage.DONE}
    assert process.run(execute(old_run, RunStage.FINDING)) is None
    (review,) = state.reviews(REPO, request.pr_number)
    assert review["commit_id"] == newer


def test_a_new_head_does_not_repeat_standing_suggestions_and_hides_outdated_ones(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, settings = world
    request = _open(state)
    _review(settings, request)
    first_comments = {c["id"]: c for c in state.review_comments(REPO, request.pr_number)}
    _, head = sample_repository()
    stock = head["inventory/stock.py"].replace("import os\n", "import os.path\n")
    report = head["inventory/report.py"].replace('"could not write the report\\n"', '"no report\\n"')
    assert report != head["inventory/report.py"]
    newer = state.push(REPO, "stock-report", {"inventory/stock.py": stock, "inventory/report.py": report})
    drive_review(request)
    second = [r for r in state.reviews(REPO, request.pr_number) if r["commit_id"] == newer]
    assert len(second) == 1
    new_comments = [
        c for c in state.review_comments(REPO, request.pr_number) if c["id"] not in first_comments
    ]
    assert {c["path"] + ":" + str(c["line"]) for c in new_comments} == {
        "inventory/stock.py:3",
        "inventory/report.py:23",
    }
    minimized = {cid for cid in first_comments if state.comment_minimized(REPO, cid)}
    outdated_lines = {
        first_comments[cid]["path"] + ":" + str(first_comments[cid]["line"]) for cid in minimized
    }
    assert outdated_lines == {"inventory/stock.py:3", "inventory/report.py:23"}
    with session_scope(settings.database_url) as session:
        fates = sorted(str(e.kind) for e in session.scalars(select(FeedbackEvent)))
    assert fates == ["outdated", "outdated"]


def test_transient_github_errors_are_retried(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    request = _open(state)
    state.fail_next("GET", r"/pulls/\d+/files", 502, times=3)
    assert _review(settings, request).stage is RunStage.DONE
    assert len(state.reviews(REPO, request.pr_number)) == 1


def test_github_failure_marks_the_run_failed_with_the_reason(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    request = _open(state)
    state.fail_next("GET", r"/pulls/\d+/files", 500, times=100)
    with pytest.raises(GitHubBroken):
        drive_review(request)
    run = _run(settings, request)
    assert run.stage is RunStage.FAILED and run.failed_stage == "indexing"
    assert run.error == "GitHub answered HTTP 500: Internal Server Error"
    assert _stages(settings, run.id)[-1] == "failed"


def test_a_busy_installation_waits_for_its_share(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    process = runtime.current()
    started = _start(_open(state))
    first = started[0]
    caps = []
    for index in range(settings.max_runs_per_installation):
        repo = f"octo-org/more-{index}"
        base, head = sample_repository()
        created = state.create_repository(state.installation_ids()[0], repo, base)
        state.push(repo, "b", head)
        pull = state.open_pull_request(repo, head="b")
        request = ReviewRequest(
            state.installation_ids()[0], int(created["id"]), repo, 1, pull["head"]["sha"], "d"
        )
        caps.append(_start(request)[0])
    for run_id in [first, *caps[:-1]]:
        assert process.run(execute(run_id, RunStage.INDEXING)) is RunStage.FINDING
    with pytest.raises(NotYourTurn):
        process.run(execute(caps[-1], RunStage.INDEXING))
    assert process.run(execute(first, RunStage.FINDING)) is RunStage.GENERATING
    for stage in (RunStage.GENERATING, RunStage.VALIDATING, RunStage.POSTING):
        process.run(execute(first, stage))
    assert process.run(execute(caps[-1], RunStage.INDEXING)) is RunStage.FINDING


def test_two_workers_posting_the_same_run_at_once_post_one_review(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, _ = world
    request = _open(state)
    process = runtime.current()
    started = _start(request)
    run_id, stage = started
    while stage is not RunStage.POSTING:
        following = process.run(execute(run_id, stage))
        assert following is not None
        stage = following

    async def both() -> list[RunStage | None]:
        return list(await asyncio.gather(execute(run_id, stage), execute(run_id, stage)))

    outcomes = process.run(both())
    assert sorted(str(o) for o in outcomes) == ["None", "done"]
    assert len(state.reviews(REPO, request.pr_number)) == 1
    assert len(state.review_comments(REPO, request.pr_number)) == 6


def test_stalled_runs_are_found_for_resumption(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    request = _open(state)
    process = runtime.current()
    started = _start(request)
    run_id, _ = started
    assert process.run(resume_stalled(timedelta(seconds=60))) == []
    with session_scope(settings.database_url) as session:
        session.execute(
            update(ReviewRun)
            .where(ReviewRun.id == run_id)
            .values(stage_started_at=utcnow() - timedelta(hours=1))
        )
    assert process.run(resume_stalled(timedelta(seconds=60))) == [(run_id, RunStage.INDEXING)]
    drive_review(request)
    assert process.run(resume_stalled(timedelta(seconds=0))) == []
