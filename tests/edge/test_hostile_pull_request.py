"""A pull request whose tests attack the worker: the review still completes, says why tests did not count,
and nothing of the worker's leaks into it or changes outside the sandbox."""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType

import pytest

from bot.demo import sample_repository
from bot.emulator.state import EmulatorState
from maze.config import Settings
from maze.runs import ReviewRequest, find_run
from maze.sandbox.api import Limits
from maze.sandbox.factory import bubblewrap_status
from maze.store.db import session_scope
from maze.store.models import RunStage
from maze.validators import settings as validator_settings
from tasks.queue import drive_review

pytestmark = pytest.mark.skipif(
    not bubblewrap_status().available and os.environ.get("CI") != "true",
    reason="bubblewrap is not usable here (CI fails instead of skipping)",
)

HOSTILE_TEST = '''"""Related to inventory.stock by import, so Maze selects it."""
import os
import socket

from inventory.stock import Stock


def test_steals_and_hangs():
    print("LEAK", {k: v for k, v in os.environ.items() if k.startswith("MAZE_")})
    try:
        print("LEAK", open("/proc/1/environ", "rb").read())
    except OSError:
        pass
    for port in (6379, 5432):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            print("CONNECTED", port)
        except OSError:
            pass
    try:
        open("{marker}", "w").write("escaped")
    except OSError:
        pass
    assert Stock() is not None
    while True:
        pass
'''


def _open(state: EmulatorState, repo_name: str, extra: dict[str, str]) -> ReviewRequest:
    base, head = sample_repository()
    installation = state.installation_ids()[0]
    repo = state.create_repository(installation, repo_name, base)
    state.push(repo_name, "topic", {**head, **extra})
    pull = state.open_pull_request(repo_name, head="topic")
    number, head_sha = int(pull["number"]), pull["head"]["sha"]
    return ReviewRequest(installation, int(repo["id"]), repo_name, number, head_sha, "d")


def test_hostile_tests_are_contained_and_reported(
    world: tuple[EmulatorState, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, settings = world
    marker = tmp_path / "escaped.txt"
    monkeypatch.setenv("MAZE_WEBHOOK_SECRET", "worker-secret-do-not-leak")
    short = {**validator_settings.DEFAULT_LIMITS, "pytest": Limits(wall_seconds=4, cpu_seconds=4)}
    monkeypatch.setattr(validator_settings, "DEFAULT_LIMITS", MappingProxyType(short))

    attack = HOSTILE_TEST.replace("{marker}", str(marker))
    request = _open(state, "octo-org/hostile", {"tests/test_stock_attack.py": attack})
    drive_review(request)
    with session_scope(settings.database_url) as session:
        run = find_run(session, request.repository_id, request.pr_number, request.head_sha)
        assert run is not None
        assert run.stage is RunStage.DONE, run.error
        notes = run.summary["notes"]
    assert any("pytest did not run on this head" in note and "timed out" in note for note in notes), notes
    (review,) = state.reviews("octo-org/hostile", request.pr_number)
    posted = review["body"] + "".join(c["body"] for c in state.review_comments("octo-org/hostile", 1))
    assert "timed out" in review["body"]
    assert "worker-secret-do-not-leak" not in posted and "LEAK" not in posted
    assert not marker.exists()

    # The same worker goes on to review an ordinary pull request, tests and all.
    monkeypatch.setattr(validator_settings, "DEFAULT_LIMITS", MappingProxyType(dict(short, pytest=Limits())))
    calm = _open(state, "octo-org/calm", {})
    drive_review(calm)
    with session_scope(settings.database_url) as session:
        run = find_run(session, calm.repository_id, calm.pr_number, calm.head_sha)
        assert run is not None and run.stage is RunStage.DONE
        assert run.summary["baseline"].endswith("3 tests")
        assert run.summary["posted"] == 6
