"""Migrations and models on SQLite and PostgreSQL: they apply, they agree, and the run key is unique."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from maze.analysis import FindingResult
from maze.runs import ReviewRequest, get_or_create_run, record_delivery, set_stage, store_results
from maze.store import schema
from maze.store.db import engine_for, session_scope
from maze.store.models import Installation, Repository, ReviewRun, RunStage, Suggestion
from maze.suggestions import Candidate
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


def test_findings_and_suggestions_persist_and_cascade(database_url: str) -> None:
    _seed(database_url)
    candidate = Candidate("a.py", 1, 1, "", "ruff-fix", "F401", "Remove unused import")
    proven = FindingResult(
        "ruff",
        "F401",
        "`os` imported but unused",
        "a.py",
        1,
        1,
        candidate,
        Verdict(True, ("ruff",)),
        "f" * 64,
    )
    refuted = FindingResult(
        "ruff",
        "F541",
        "f-string",
        "a.py",
        2,
        2,
        candidate,
        Verdict(False, ("ruff",), "ruff still reports F541 after the fix"),
        "e" * 64,
    )
    bare = FindingResult("ruff", "E722", "bare except", "a.py", 5, 5)
    with session_scope(database_url) as session:
        run = get_or_create_run(session, _request())
        ids = store_results(session, run, [proven, refuted, bare])
        set_stage(session, run, RunStage.DONE)
        assert set(ids) == {"f" * 64}
    with session_scope(database_url) as session:
        run = session.scalars(select(ReviewRun)).one()
        assert run.stage is RunStage.DONE and run.finished_at is not None
        statuses = sorted(str(s.status) for s in session.scalars(select(Suggestion)))
        assert statuses == ["rejected", "validated"]
        session.delete(session.get(Installation, 9))
    with session_scope(database_url) as session:
        assert session.scalars(select(ReviewRun)).all() == []
        assert session.scalars(select(Suggestion)).all() == []


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
