"""Migrations and models on SQLite and PostgreSQL: they apply, they agree, and the run key is unique."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from maze.analysis import Problem, propose
from maze.lint.ruff import check_source
from maze.run_data import (
    FileRecord,
    as_problem,
    findings_of,
    record_verdict,
    save_files,
    save_findings,
    save_proposals,
    suggestions_of,
)
from maze.runs import (
    ReviewRequest,
    ensure_repository,
    get_or_create_run,
    record_delivery,
    supersede_other_heads,
    transition,
)
from maze.store import schema
from maze.store.db import engine_for, session_scope
from maze.store.models import (
    Installation,
    Repository,
    ReviewRun,
    RunFile,
    RunStage,
    Suggestion,
    SuggestionStatus,
)
from maze.validation import Verdict

TABLES = {
    "installations",
    "repositories",
    "review_runs",
    "findings",
    "suggestions",
    "posted_reviews",
    "posted_comments",
    "feedback_events",
    "webhook_deliveries",
    "alembic_version",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'maze.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    schema.upgrade(url)
    yield url
    schema.downgrade(url, "base")


def _request(head: str = "a" * 40, delivery: str = "d-1") -> ReviewRequest:
    return ReviewRequest(
        installation_id=9,
        repository_id=77,
        repository="o/r",
        pr_number=3,
        head_sha=head,
        delivery_id=delivery,
    )


def _seed(url: str) -> None:
    with session_scope(url) as session:
        session.add(Installation(id=9, account_login="o"))
        session.add(Repository(id=77, installation_id=9, full_name="o/r"))


def test_migrations_create_every_table_and_match_the_models(database_url: str) -> None:
    assert set(inspect(engine_for(database_url)).get_table_names()) >= TABLES
    schema.check(database_url)
    assert schema.is_current(database_url)


def test_one_run_per_head_and_deliveries_recorded_once(database_url: str) -> None:
    _seed(database_url)
    with session_scope(database_url) as session:
        first = get_or_create_run(session, _request())
        assert record_delivery(session, _request())
        assert not record_delivery(session, _request())
    with session_scope(database_url) as session:
        again = get_or_create_run(session, _request(delivery="d-2"))
        other = get_or_create_run(session, _request(head="b" * 40))
        assert again.id == first.id and other.id != first.id
        assert again.delivery_id == "d-1"


def test_stage_transitions_are_compare_and_set_with_events(database_url: str) -> None:
    _seed(database_url)
    with session_scope(database_url) as session:
        run = get_or_create_run(session, _request())
        assert transition(session, run.id, RunStage.QUEUED, RunStage.INDEXING)
        assert not transition(session, run.id, RunStage.QUEUED, RunStage.INDEXING)
        assert transition(session, run.id, RunStage.INDEXING, RunStage.FAILED, detail="boom")
    with session_scope(database_url) as session:
        stored = session.scalars(select(ReviewRun)).one()
        assert (stored.stage, stored.failed_stage, stored.error) == (RunStage.FAILED, "indexing", "boom")
        assert stored.finished_at is not None
        assert [(e.stage, e.detail) for e in stored.events] == [
            ("queued", "delivery d-1"),
            ("indexing", None),
            ("failed", "boom"),
        ]


def test_a_newer_head_supersedes_unfinished_runs_only(database_url: str) -> None:
    _seed(database_url)
    with session_scope(database_url) as session:
        old = get_or_create_run(session, _request(head="1" * 40))
        done = get_or_create_run(session, _request(head="2" * 40))
        transition(session, done.id, RunStage.QUEUED, RunStage.DONE)
        new = get_or_create_run(session, _request(head="3" * 40))
        assert supersede_other_heads(session, new) == [old.id]
    with session_scope(database_url) as session:
        stages = {r.head_sha[0]: r.stage for r in session.scalars(select(ReviewRun))}
        assert stages == {"1": RunStage.SUPERSEDED, "2": RunStage.DONE, "3": RunStage.QUEUED}


def test_stage_data_persists_and_cascades(database_url: str) -> None:
    _seed(database_url)
    text = "import os\n"
    problem = Problem("ruff", "F401", "`os` imported but unused", "a.py", 1, 1, check_source("a.py", text)[0])
    with session_scope(database_url) as session:
        run = get_or_create_run(session, _request())
        save_files(
            session, run.id, [FileRecord("a.py", "added", "b" * 40, "@@ -0,0 +1 @@\n+import os", text)]
        )
        save_findings(session, run.id, [problem, Problem("ruff", "E722", "bare", "a.py", 1, 1)])
        findings = findings_of(session, run.id)
        assert as_problem(findings[0]) == problem
        proposal = propose(problem, text)
        assert proposal is not None
        save_proposals(session, [(findings[0], proposal)])
        (suggestion,) = suggestions_of(session, run.id)
        record_verdict(suggestion, Verdict(False, ("ruff",), "ruff still reports F401 after the fix"))
    with session_scope(database_url) as session:
        (suggestion,) = session.scalars(select(Suggestion)).all()
        assert (suggestion.status, suggestion.original, suggestion.rejection) == (
            SuggestionStatus.REJECTED,
            "import os\n",
            "ruff still reports F401 after the fix",
        )
        session.delete(session.get(Installation, 9))
    with session_scope(database_url) as session:
        for model in (ReviewRun, RunFile, Suggestion):
            assert session.scalars(select(model)).all() == []


def test_maze_db_commands(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    upgraded = runner.invoke(main, ["--database-url", url, "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert schema.is_current(url)
    checked = runner.invoke(main, ["--database-url", url, "db", "check"])
    assert checked.exit_code == 0 and "agree" in checked.output
    bad = runner.invoke(main, ["--database-url", "not a url", "db", "upgrade"])
    assert bad.exit_code != 0 and "database_url" in bad.output and "command line" in bad.output


def test_concurrent_first_reviews_of_one_installation_do_not_collide(database_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def begin(number: int) -> int:
        request = ReviewRequest(9, 77, "o/r", number, f"{number:040d}", f"d-{number}")
        with session_scope(database_url) as session:
            ensure_repository(session, request, account_login="o", default_branch="main")
            return get_or_create_run(session, request).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        run_ids = list(pool.map(begin, range(16)))
    assert len(set(run_ids)) == 16
    with session_scope(database_url) as session:
        assert session.scalar(select(func.count()).select_from(Installation)) == 1
