"""Indexing the PR's repository from the emulated GitHub: tree first, then only the blobs the cache lacks."""

from __future__ import annotations

import pytest

from bot.demo import sample_repository
from bot.emulator.state import EmulatorState
from bot.github.client import GitHubClient
from maze.config import Settings
from maze.indexing.cache import CacheKey, load
from maze.indexing.codec import decode
from maze.indexing.repository import IndexReport
from maze.indexing.sources import git_blob_sha
from maze.runs import ReviewRequest, find_run
from maze.store.db import session_scope
from tasks import runtime
from tasks.queue import drive_review
from tasks.repo_index import BLOB_REQUESTS_LIMIT, index_at_head
from tasks.stages import in_db

REPO = "octo-org/widgets"


def _module(i: int) -> str:
    header = "from pkg.base import Base\n\n\n"
    return header + f"class Widget{i}(Base):\n    def size(self) -> int:\n        return {i}\n"


BASE = {
    "pkg/base.py": "class Base:\n    pass\n",
    "web/index.ts": "export const answer: number = 42;\n",
    "README.md": "# widgets\n",
    "vendor/lib.go": "package lib\n",
    ".github/maze.toml": 'ignore = ["scratch/**"]\n',
    "scratch/tmp.py": "x = 1\n",
}


def _repository(state: EmulatorState, modules: int) -> tuple[int, str]:
    installation = state.installation_ids()[0]
    files = {**BASE, **{f"pkg/w{i}.py": _module(i) for i in range(modules)}}
    state.create_repository(installation, REPO, files)
    return installation, state.push(REPO, "main", {})


def _index(installation: int, head: str, *, ignore_scratch: bool = True) -> IndexReport:
    async def work() -> IndexReport:
        client = GitHubClient(await runtime.current().github(), installation)
        return await index_at_head(
            client,
            REPO,
            head,
            in_db,
            ignored=(lambda path: path.startswith("scratch/")) if ignore_scratch else None,
        )

    report: IndexReport = runtime.current().run(work())
    return report


def _requests(state: EmulatorState, fragment: str) -> int:
    return sum(1 for _, path, status in state.request_log if fragment in path and status < 400)


def test_cold_index_uses_the_tarball_then_a_push_fetches_only_changed_blobs(
    world: tuple[EmulatorState, Settings],
) -> None:
    state, _ = world
    modules = BLOB_REQUESTS_LIMIT + 10
    installation, head = _repository(state, modules)
    cold = _index(installation, head)
    assert (cold.indexed, cold.parsed, cold.cached) == (modules + 2, modules + 2, 0)
    assert dict(cold.skipped) == {
        "ignored by configuration": 1,
        "other language": 2,  # README.md and .github/maze.toml
        "vendored": 1,
    }
    assert dict(cold.languages) == {"python": modules + 1, "typescript": 1}
    assert _requests(state, "/tarball/") == 1 and _requests(state, "/git/blobs/") == 0

    state.request_log.clear()
    head = state.push(REPO, "main", {"pkg/w1.py": _module(1) + "\n\ndef extra() -> None:\n    pass\n"})
    warm = _index(installation, head)
    assert (warm.indexed, warm.parsed, warm.cached) == (modules + 2, 1, modules + 1)
    assert _requests(state, "/git/blobs/") == 1 and _requests(state, "/tarball/") == 0


def test_a_truncated_tree_is_read_from_the_tarball(world: tuple[EmulatorState, Settings]) -> None:
    state, _ = world
    installation, head = _repository(state, 5)
    state.tree_entry_limit = 3
    report = _index(installation, head)
    assert (report.indexed, report.parsed) == (7, 7)
    assert report.skipped["vendored"] == 1 and report.skipped["ignored by configuration"] == 1
    assert _requests(state, "/tarball/") == 1


def test_few_missing_blobs_are_fetched_one_by_one(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    installation, head = _repository(state, 3)
    report = _index(installation, head, ignore_scratch=False)
    assert (report.indexed, report.parsed) == (6, 6)
    assert _requests(state, "/git/blobs/") == 6 and _requests(state, "/tarball/") == 0
    key = CacheKey.current(git_blob_sha(_module(2).encode()), "python")
    with session_scope(settings.database_url) as session:
        stored = load(session, [key])
    widget = decode(stored[key], "pkg/w2.py")
    assert [d.qualified_name for d in widget.definitions] == ["Widget2", "Widget2.size"]
    assert widget.imports[0].module == "pkg.base"


def test_the_review_records_the_index_report(world: tuple[EmulatorState, Settings]) -> None:
    state, settings = world
    base, head_files = sample_repository()
    installation = state.installation_ids()[0]
    repo = state.create_repository(installation, "octo-org/inventory", base)
    state.push("octo-org/inventory", "topic", head_files)
    pull = state.open_pull_request("octo-org/inventory", head="topic")
    request = ReviewRequest(installation, int(repo["id"]), "octo-org/inventory", 1, pull["head"]["sha"], "d")
    drive_review(request)
    with session_scope(settings.database_url) as session:
        run = find_run(session, request.repository_id, 1, request.head_sha)
        assert run is not None
        index = run.summary["index"]
    assert index["indexed"] == len([p for p in {**base, **head_files} if p.endswith(".py")])
    assert index["parsed"] == index["indexed"] and index["skipped"] == {"other language": 1}


@pytest.mark.parametrize("leg", ["/tarball/", "/_emulator/codeload/"])
@pytest.mark.parametrize("status", [403, 429, 502])
def test_a_tarball_download_survives_rate_limits_and_5xx(
    world: tuple[EmulatorState, Settings], leg: str, status: int
) -> None:
    state, _ = world
    installation, head = _repository(state, 2)
    headers = {"retry-after": "0"} if status != 502 else None
    state.fail_next("GET", f".*{leg}.*", status, times=2, headers=headers)

    async def work() -> bytes:
        client = GitHubClient(await runtime.current().github(), installation)
        return await client.tarball(REPO, head)

    archive: bytes = runtime.current().run(work())
    assert archive[:2] == b"\x1f\x8b"
