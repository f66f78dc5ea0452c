"""Index a pull request's repository at its head SHA from GitHub, parsing only blobs the cache lacks.

The recursive git tree names every blob with its SHA, so the cache is asked first and only missing blobs
are downloaded: one by one when they are few (a PR re-index), from the codeload tarball when they are
many (the first index of a repository). A tree GitHub truncates is read from the tarball whole.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot.github.client import JSON, GitHubClient
from maze.indexing import cache
from maze.indexing.cache import CacheKey
from maze.indexing.repository import (
    IndexReport,
    Work,
    needs_content,
    parse_many,
    plan_entry,
)
from maze.indexing.selection import HEAD_BYTES, Skip
from maze.indexing.sources import Entry, EntryKind, SourceError, TarballSource

T = TypeVar("T")
Database = Callable[[Callable[[Session], T]], Awaitable[T]]

# More missing blobs than this are read from one tarball instead of one request each.
BLOB_REQUESTS_LIMIT = 40
# A repository whose files add up to more than this is not downloaded whole.
TARBALL_LIMIT_BYTES = 300_000_000
# ...and then at most this many blobs are fetched one by one.
BLOB_FETCH_CAP = 1_000
_CONCURRENT_BLOB_REQUESTS = 8
_EXECUTABLE = "100755"


class RepositoryUnreadable(RuntimeError):
    """GitHub answered, but with an archive that cannot be read; retrying would not help."""


def _entry(item: JSON) -> Entry | None:
    kind: EntryKind
    if item.get("type") == "commit":
        kind = "submodule"
    elif item.get("type") != "blob":
        return None
    elif item.get("mode") == "120000":
        kind = "symlink"
    else:
        kind = "file"
    path, size, sha = str(item["path"]), int(item.get("size") or 0), str(item["sha"])
    return Entry(path, size, kind, sha, executable=item.get("mode") == _EXECUTABLE)


async def index_at_head(
    client: GitHubClient,
    full_name: str,
    head_sha: str,
    db: Database[Any],
    *,
    ignored: Callable[[str], bool] | None = None,
    changed: frozenset[str] = frozenset(),
) -> IndexReport:
    """Index `full_name` at `head_sha` into the shared cache and report what was indexed and skipped."""
    started = time.perf_counter()
    report = IndexReport()
    tree = await client.git_tree(full_name, head_sha)
    tarball: TarballSource | None = None
    if tree.get("truncated"):
        tarball = await _tarball(client, full_name, head_sha)
        entries = list(tarball.entries())
    else:
        entries = [entry for item in tree.get("tree", []) if (entry := _entry(item)) is not None]
    report.entries = len(entries)
    languages: dict[str, str] = {}
    unknown_scripts: list[Entry] = []
    for entry in entries:
        decision = plan_entry(entry, b"", ignored=ignored)
        if decision is Skip.OTHER_LANGUAGE and _maybe_script(entry, tarball):
            unknown_scripts.append(entry)
        elif isinstance(decision, Skip):
            report.skipped[decision] += 1
        else:
            languages[entry.path] = decision
    by_path = {entry.path: entry for entry in entries}
    keys = {
        path: CacheKey.current(by_path[path].blob_sha or "", language)
        for path, language in languages.items()
        if by_path[path].blob_sha
    }
    stored: set[CacheKey] = await db(lambda session: cache.present(session, keys.values()))
    missing = [path for path in sorted(languages) if keys.get(path) not in stored]
    wanted = missing + [entry.path for entry in unknown_scripts]
    contents = await _contents(client, full_name, head_sha, wanted, by_path, tarball, changed, report)
    work: list[Work] = []
    for path in wanted:
        content = contents.get(path)
        if content is None:
            if path not in languages or path in report.not_fetched:
                continue
            report.skipped[Skip.UNREADABLE] += 1
            continue
        decision = plan_entry(by_path[path], content[:HEAD_BYTES], ignored=ignored)
        if isinstance(decision, Skip):
            report.skipped[decision] += 1
            continue
        work.append((path, decision, content, by_path[path].blob_sha))
        report.lines += content.count(b"\n") + 1
        report.bytes += len(content)
    parsed = await asyncio.to_thread(parse_many, work)
    if parsed:
        fresh = {item.key: item.data for item in parsed}
        await db(lambda session: cache.store(session, fresh))
    indexed = {path: languages[path] for path in languages if keys.get(path) in stored}
    indexed.update({item.path: item.key.language for item in parsed})
    report.indexed = len(indexed)
    report.parsed = len(parsed)
    report.cached = report.indexed - report.parsed
    report.languages.update(indexed.values())
    report.with_syntax_errors.extend(item.path for item in parsed if item.syntax_errors)
    report.invalid_utf8.extend(item.path for item in parsed if item.invalid_utf8)
    report.seconds = time.perf_counter() - started
    return report


def _maybe_script(entry: Entry, tarball: TarballSource | None) -> bool:
    """Extensionless files may name their language in a shebang; GitHub marks scripts executable."""
    if entry.kind != "file" or not needs_content(entry) or entry.size > HEAD_BYTES * 125:
        return False
    return tarball is not None or entry.executable


async def _tarball(client: GitHubClient, full_name: str, head_sha: str) -> TarballSource:
    archive = await client.tarball(full_name, head_sha)
    try:
        return TarballSource(archive)
    except SourceError as error:
        raise RepositoryUnreadable(f"{full_name}@{head_sha}: {error}") from error


async def _contents(
    client: GitHubClient,
    full_name: str,
    head_sha: str,
    paths: list[str],
    by_path: dict[str, Entry],
    tarball: TarballSource | None,
    changed: frozenset[str],
    report: IndexReport,
) -> dict[str, bytes]:
    if not paths:
        return {}
    if tarball is None and len(paths) > BLOB_REQUESTS_LIMIT:
        total = sum(entry.size for entry in by_path.values())
        if total <= TARBALL_LIMIT_BYTES:
            tarball = await _tarball(client, full_name, head_sha)
    if tarball is not None:
        available = {entry.path for entry in tarball.entries() if entry.kind == "file"}
        return {path: tarball.read(path) for path in paths if path in available}
    ordered = sorted(paths, key=lambda path: (path not in changed, path))
    if len(ordered) > BLOB_FETCH_CAP:
        report.not_fetched.extend(ordered[BLOB_FETCH_CAP:])
        report.skipped[Skip.TOO_MANY] += len(ordered) - BLOB_FETCH_CAP
        ordered = ordered[:BLOB_FETCH_CAP]
    gate = asyncio.Semaphore(_CONCURRENT_BLOB_REQUESTS)

    async def fetch(path: str) -> tuple[str, bytes]:
        async with gate:
            return path, await client.git_blob(full_name, by_path[path].blob_sha or "")

    return dict(await asyncio.gather(*(fetch(path) for path in ordered)))
