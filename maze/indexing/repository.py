"""Index a whole repository snapshot: choose files, reuse cached blobs, parse the rest on every core.

`plan` decides per entry whether it is indexed and under which language; `parse_many` extracts contents,
in this process for small batches and in a pool of processes for large ones; `index_source` ties both
to a Source and the shared cache. The GitHub path in the workers uses `plan` and `parse_many` directly,
so it fetches only blobs the cache does not hold.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from maze.indexing import cache
from maze.indexing.cache import CacheKey
from maze.indexing.codec import CacheFormatError, decode, encode
from maze.indexing.extract import extract
from maze.indexing.model import FileIndex
from maze.indexing.selection import DEFAULT_MAX_BYTES, HEAD_BYTES, Skip, classify, skip_by_path
from maze.indexing.sources import Entry, Source, git_blob_sha

# Below this much source, starting worker processes costs more than it saves.
POOL_THRESHOLD_BYTES = 400_000
_CHUNK_BYTES = 256_000

Progress = Callable[[int], None]
Work = tuple[str, str, bytes, str | None]
"""What `parse_many` takes: path, language, content, and the blob SHA when the caller knows it."""


@dataclass
class IndexReport:
    """What happened to every entry of the snapshot; skipped files are counted by reason."""

    entries: int = 0
    indexed: int = 0
    parsed: int = 0
    cached: int = 0
    lines: int = 0
    bytes: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    with_syntax_errors: list[str] = field(default_factory=list)
    invalid_utf8: list[str] = field(default_factory=list)
    not_fetched: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self, *, list_limit: int | None = None) -> dict[str, Any]:
        """The report as JSON; `list_limit` caps the path lists (their full lengths stay in the counts)."""
        return {
            "entries": self.entries,
            "indexed": self.indexed,
            "parsed": self.parsed,
            "cached": self.cached,
            "lines": self.lines,
            "bytes": self.bytes,
            "languages": dict(sorted(self.languages.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "with_syntax_errors": sorted(self.with_syntax_errors)[:list_limit],
            "with_syntax_errors_count": len(self.with_syntax_errors),
            "invalid_utf8": sorted(self.invalid_utf8)[:list_limit],
            "invalid_utf8_count": len(self.invalid_utf8),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class RepositoryIndex:
    """Per path, the cache key; per key, the encoded result when at hand (`load_cached` fetches the rest).

    FileIndex records are decoded on first use.
    """

    keys: dict[str, CacheKey]
    encoded: dict[CacheKey, bytes]
    report: IndexReport
    _decoded: dict[str, FileIndex] = field(default_factory=dict, repr=False)

    def file(self, path: str) -> FileIndex:
        found = self._decoded.get(path)
        if found is None:
            found = self._decoded[path] = decode(self.encoded[self.keys[path]], path)
        return found

    def files(self) -> dict[str, FileIndex]:
        """Every file whose result is at hand; a cache row this version cannot read is left out."""
        result: dict[str, FileIndex] = {}
        for path in sorted(self.keys):
            if self.keys[path] in self.encoded:
                with contextlib.suppress(CacheFormatError):
                    result[path] = self.file(path)
        return result


@dataclass(frozen=True)
class Candidate:
    """A file chosen for indexing; `content` is None while only the GitHub tree has been read."""

    path: str
    language: str
    key: CacheKey | None
    content: bytes | None = None


@dataclass(frozen=True)
class Parsed:
    """One extraction result, ready for the cache."""

    path: str
    key: CacheKey
    data: bytes
    lines: int
    syntax_errors: bool
    invalid_utf8: bool


def needs_content(entry: Entry) -> bool:
    """Whether a file's language can only be told from its content (an extensionless script)."""
    name = entry.path.rsplit("/", 1)[-1]
    return "." not in name.lstrip(".")


def plan_entry(
    entry: Entry,
    head: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ignored: Callable[[str], bool] | None = None,
) -> str | Skip:
    """The language for `entry`, or why it is skipped; `head` is b"" when the content is not at hand."""
    if entry.kind == "symlink":
        return Skip.SYMLINK
    if entry.kind == "symlink-outside":
        return Skip.SYMLINK_OUTSIDE
    if entry.kind == "outside":
        return Skip.OUTSIDE
    if entry.kind == "submodule":
        return Skip.SUBMODULE
    if ignored is not None and ignored(entry.path):
        return Skip.IGNORED
    reason = skip_by_path(entry.path)
    if reason is not None:
        return reason
    return classify(entry.path, head, entry.size, max_bytes)


def _parse_one(path: str, language: str, content: bytes, blob_sha: str | None) -> Parsed:
    index = extract(path, content, language)
    key = CacheKey(blob_sha or git_blob_sha(content), language, index.grammar_version, index.query_hash)
    try:
        content.decode("utf-8")
        invalid = False
    except UnicodeDecodeError:
        invalid = True
    return Parsed(path, key, encode(index), content.count(b"\n") + 1, bool(index.syntax_errors), invalid)


def _parse_chunk(items: list[Work]) -> list[Parsed]:
    return [_parse_one(*item) for item in items]


def _chunks(items: list[Work]) -> Iterator[list[Work]]:
    """Largest files first, so the pool does not wait on one big file at the end."""
    chunk: list[Work] = []
    size = 0
    for item in sorted(items, key=lambda entry: (-len(entry[2]), entry[0])):
        chunk.append(item)
        size += len(item[2])
        if size >= _CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parse_many(items: list[Work], *, workers: int = 1, progress: Progress | None = None) -> list[Parsed]:
    """Extract (path, language, content, blob sha or None) items; order of the result is by path."""
    total = sum(len(item[2]) for item in items)
    results: list[Parsed] = []
    if workers <= 1 or total < POOL_THRESHOLD_BYTES or multiprocessing.current_process().daemon:
        for item in items:
            results.append(_parse_one(*item))
            if progress is not None:
                progress(1)
    else:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_parse_chunk, chunk): len(chunk) for chunk in _chunks(items)}
            for future in as_completed(futures):
                results.extend(future.result())
                if progress is not None:
                    progress(futures[future])
    return sorted(results, key=lambda parsed: parsed.path)


def index_source(
    source: Source,
    session: Session | None = None,
    *,
    workers: int = 1,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ignored: Callable[[str], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RepositoryIndex:
    """Index every entry of `source`, reusing and filling the cache in `session` when one is given.

    `progress(done, total)` is called as files are parsed (total counts files that need parsing).
    """
    started = time.perf_counter()
    report = IndexReport()
    candidates: list[Candidate] = []
    for entry in source.entries():
        report.entries += 1
        candidate = _read_candidate(source, entry, report, max_bytes=max_bytes, ignored=ignored)
        if candidate is not None:
            candidates.append(candidate)
    index = _index_candidates(candidates, session, report, workers=workers, progress=progress)
    report.seconds = time.perf_counter() - started
    return index


def _read_candidate(
    source: Source,
    entry: Entry,
    report: IndexReport,
    *,
    max_bytes: int,
    ignored: Callable[[str], bool] | None,
) -> Candidate | None:
    decision = plan_entry(entry, b"", max_bytes=max_bytes, ignored=ignored)
    try:
        if decision is Skip.OTHER_LANGUAGE and entry.kind == "file" and needs_content(entry):
            decision = plan_entry(entry, source.head(entry.path, HEAD_BYTES), max_bytes=max_bytes)
        if isinstance(decision, Skip):
            report.skipped[decision] += 1
            return None
        content = source.read(entry.path)
    except OSError:
        report.skipped[Skip.UNREADABLE] += 1
        return None
    decision = plan_entry(entry, content[:HEAD_BYTES], max_bytes=max_bytes)
    if isinstance(decision, Skip):
        report.skipped[decision] += 1
        return None
    sha = entry.blob_sha or git_blob_sha(content)
    return Candidate(entry.path, decision, CacheKey.current(sha, decision), content)


def _index_candidates(
    candidates: list[Candidate],
    session: Session | None,
    report: IndexReport,
    *,
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> RepositoryIndex:
    keys = {c.path: c.key for c in candidates if c.key is not None}
    stored = cache.present(session, keys.values()) if session is not None else set()
    todo: list[Work] = []
    for c in candidates:
        if c.content is not None and (c.key is None or c.key not in stored):
            todo.append((c.path, c.language, c.content, c.key.blob_sha if c.key else None))
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, len(todo))

    if progress is not None:
        progress(0, len(todo))
    parsed = parse_many(todo, workers=workers, progress=advance)
    fresh = {item.key: item.data for item in parsed}
    if session is not None and fresh:
        cache.store(session, fresh)
    for item in parsed:
        keys[item.path] = item.key
        report.with_syntax_errors.extend([item.path] if item.syntax_errors else [])
        report.invalid_utf8.extend([item.path] if item.invalid_utf8 else [])
    for candidate in candidates:
        report.languages[candidate.language] += 1
        if candidate.content is not None:
            report.lines += candidate.content.count(b"\n") + 1
            report.bytes += len(candidate.content)
    report.parsed = len(parsed)
    report.cached = len(candidates) - len(parsed)
    report.indexed = len(candidates)
    return RepositoryIndex(keys, fresh, report)


def load_cached(session: Session, index: RepositoryIndex) -> None:
    """Fetch from the cache the encoded results this index only knows by key."""
    absent = {key for key in index.keys.values() if key not in index.encoded}
    index.encoded.update(cache.load(session, absent))
