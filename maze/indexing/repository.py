"""Index a whole repository snapshot: choose files, reuse cached blobs, parse the rest on every core.

`plan_entry` decides per entry whether it is indexed and under which language; `parse_many` extracts
contents, in this process for small batches and in a pool of processes for large ones; `index_source`
ties both to a Source and the shared cache. The GitHub path in the workers uses `plan_entry` and
`parse_many` directly, so it fetches only blobs the cache does not hold.

`index_source` is a pipeline: files are parsed (by forked processes once there is enough work to pay for
forking) while the source is still being listed, read and looked up, and each chunk's results are stored
as it comes back. An entry whose blob SHA is known up front (a clean file of a git work tree) is looked
up in the cache by that SHA and read only when the cache lacks it: the cache holds only files that were
classified as indexable, so a hit needs no content, and a file of another language is skipped by path.
Files without a known SHA (a pull request's changed files, in a work tree) are read first, so their
parsing overlaps the lookups of all the others. A blob met at several paths is parsed once.

A long-lived worker calls `warm_up()` once at start, so no request compiles the tag queries.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session

from maze.indexing import cache, languages
from maze.indexing.cache import CacheKey
from maze.indexing.codec import CacheFormatError, decode, encode_rows
from maze.indexing.extract import extract_rows
from maze.indexing.model import FileIndex
from maze.indexing.selection import DEFAULT_MAX_BYTES, HEAD_BYTES, Skip, classify_content, skip_by_path
from maze.indexing.sources import Entry, Source, git_blob_sha

# Below this much source, forking (1-2 ms, plus copy-on-write faults in the child) costs more than a
# second core saves: one process extracts 3-5 MB/s.
POOL_THRESHOLD_BYTES = 64_000
# Up to this much work at once is split up front among forked children, which start within 2 ms; more
# goes through a process pool, which balances chunks as they finish but takes 10-20 ms to start.
_FORK_JOIN_BYTES = 1_000_000
_CHUNK_BYTES = 256_000
_MIN_CHUNK_BYTES = 16_000
# Work given to children while this process still lists and looks up entries: its own share, beside a
# child's 1.0 (in a 20-file pull request, the lookups of the unchanged files take a third as long as
# parsing the changed ones).
_LISTING_WEIGHT = 2 / 3
# Files read are looked up in the cache this many (or this much) at a time, so parsing starts early;
# entries listed with a SHA cost no reading, so they are looked up in larger batches.
_LOOKUP_FILES = 200
_LOOKUP_BYTES = 1_000_000
_LOOKUP_KNOWN = 1_800

Progress = Callable[[int], None]
Work = tuple[str, str, bytes, str | None]
"""What `parse_many` takes: path, language, content, and the blob SHA when the caller knows it."""


def warm_up() -> None:
    """Load every grammar and compile every tag query now, once per process.

    For a long-lived worker, at start and before it forks: no request then pays the ~70 ms, and forked
    children (pool workers) inherit the compiled queries.
    """
    languages.warm_up()


@dataclass
class IndexReport:
    """What happened to every entry of the snapshot; skipped files are counted by reason.

    `lines` and `bytes` count the files whose content was read: a file found in the cache by the SHA
    its source gave up front is indexed without being read.
    """

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
    return classify_content(entry.path, head, entry.size, max_bytes)


def path_language(
    source: Source,
    entry: Entry,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ignored: Callable[[str], bool] | None = None,
) -> str | Skip:
    """`plan_entry` before the content is read: by path, or by the head of an extensionless script.

    OSError when that head cannot be read.
    """
    decision = plan_entry(entry, b"", max_bytes=max_bytes, ignored=ignored)
    if decision is Skip.OTHER_LANGUAGE and entry.kind == "file" and needs_content(entry):
        decision = plan_entry(entry, source.head(entry.path, HEAD_BYTES), max_bytes=max_bytes)
    return decision


def read_indexable(
    source: Source,
    entry: Entry,
    report: IndexReport,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ignored: Callable[[str], bool] | None = None,
    language: str | None = None,
) -> tuple[str, bytes] | None:
    """The language and content of `entry` if it is indexed, else None with the reason counted.

    `language` is the entry's `path_language` when already known.
    """
    try:
        decision = language or path_language(source, entry, max_bytes=max_bytes, ignored=ignored)
        if isinstance(decision, Skip):
            report.skipped[decision] += 1
            return None
        content = source.read(entry.path)
    except OSError:
        report.skipped[Skip.UNREADABLE] += 1
        return None
    # The path rules passed above: only the content's own rules are left (binary, generated...).
    decision = classify_content(entry.path, content[:HEAD_BYTES], entry.size, max_bytes)
    if isinstance(decision, Skip):
        report.skipped[decision] += 1
        return None
    return decision, content


def _parse_one(path: str, language: str, content: bytes, blob_sha: str | None) -> Parsed:
    rows = extract_rows(content, language)
    key = CacheKey(blob_sha or git_blob_sha(content), language, rows.grammar_version, rows.query_hash)
    return Parsed(
        path,
        key,
        encode_rows(rows),
        content.count(b"\n") + 1,
        bool(rows.syntax_errors),
        not _is_utf8(content),
    )


def _is_utf8(content: bytes) -> bool:
    if content.isascii():
        return True
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse_chunk(items: list[Work]) -> list[Parsed]:
    return [_parse_one(*item) for item in items]


def _size_then_path(item: Work) -> tuple[int, str]:
    return len(item[2]), item[0]


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class _Scheduler:
    """Parses work as it arrives, with `processes` processes: this one and `processes - 1` forked ones.

    Below POOL_THRESHOLD_BYTES, and with one process, everything is parsed here. Up to _FORK_JOIN_BYTES,
    work is split into balanced groups, largest file first, each parsed by a forked child that starts
    within 2 ms: work that arrives all at once (a `parse_many` call) by this process and children at the
    same time; the first work to arrive while more may follow (a pull request's changed files, read
    before the rest of the tree is looked up) by `processes` children in the background, while this
    process goes on listing. Otherwise a process pool starts once enough work has gathered: while work
    still arrives this process lists and reads, and the workers parse (an idle worker gets a share of
    what waits, a busy one a full _CHUNK_BYTES, at most two chunks each in flight); once everything has
    arrived this process parses too, and a worker never holds more than its share of what is left, so
    nobody waits long on another's last chunk. `done` gets each chunk's results, in this process.
    """

    def __init__(self, processes: int, done: Callable[[list[Parsed]], None]) -> None:
        forking = hasattr(os, "fork") and not multiprocessing.current_process().daemon
        self._workers = processes - 1 if processes > 1 and forking else 0
        self._done = done
        self._waiting: list[Work] = []
        self._waiting_bytes = 0
        self._background: _Forked | None = None
        self._mine: list[Work] = []  # this process's share of the work given to background children
        self._pool: ProcessPoolExecutor | None = None
        self._running: dict[Future[list[Parsed]], int] = {}  # chunks in flight, with their sizes
        self.added = 0

    def __enter__(self) -> _Scheduler:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._background is not None:
            self._background.kill()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def add(self, items: Iterable[Work], *, more: bool = True) -> None:
        """Queue items; `more=False` when nothing else will come before `finish`."""
        for item in items:
            self._waiting.append(item)
            self._waiting_bytes += len(item[2])
            self.added += 1
        if not self._workers:
            if self._waiting_bytes >= _CHUNK_BYTES:
                self._done(_parse_chunk(self._take_all()))
            return
        if self._pool is None:
            if self._waiting_bytes < (POOL_THRESHOLD_BYTES if more else _FORK_JOIN_BYTES):
                return
            if more and self._background is None and self._waiting_bytes < _FORK_JOIN_BYTES:
                # This process still has entries to look up: children take the larger shares now.
                weights = [1.0] * self._workers + [_LISTING_WEIGHT]
                *groups, self._mine = _balanced(self._take_all(), weights)
                self._background = _Forked([group for group in groups if group])
                return
            _compile_queries(self._waiting)
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=context)
        self._collect()
        self._feed(more=more)

    def finish(self) -> None:
        """Parse everything still waiting, and return when every chunk's results have been handed on."""
        if self._mine:
            self._done(_parse_chunk(self._mine))
            self._mine = []
        if self._pool is None:
            items = self._take_all()
            if self._background is not None:  # the children are busy: the rest is parsed here
                if items:
                    self._done(_parse_chunk(items))
            elif self._workers and sum(len(item[2]) for item in items) >= POOL_THRESHOLD_BYTES:
                groups = _balanced(items, [1.0] * (self._workers + 1))
                forked = _Forked(groups[1:])
                try:
                    self._done(_parse_chunk(groups[0]))
                    for parsed in forked.join():
                        self._done(parsed)
                finally:
                    forked.kill()
            elif items:
                self._done(_parse_chunk(items))
        while self._waiting or self._running:
            self._collect()
            self._feed(more=False)
            if self._waiting:
                size = self._waiting_bytes // (2 * (self._workers + 1))
                self._done(_parse_chunk(self._take(min(_CHUNK_BYTES, max(_MIN_CHUNK_BYTES, size)))))
            elif self._running:
                wait(self._running, return_when=FIRST_COMPLETED)
        if self._background is not None:
            for parsed in self._background.join():
                self._done(parsed)

    def _collect(self) -> None:
        for future in [future for future in self._running if future.done()]:
            del self._running[future]
            self._done(future.result())

    def _feed(self, *, more: bool) -> None:
        """Give workers chunks: while work still arrives, to keep them busy; after, their fair share."""
        assert self._pool is not None
        while self._waiting and len(self._running) < 2 * self._workers:
            if more:
                idle = self._workers - len(self._running)
                if idle > 0:
                    size = min(_CHUNK_BYTES, -(-self._waiting_bytes // idle))
                elif self._waiting_bytes >= _CHUNK_BYTES:
                    size = _CHUNK_BYTES
                else:
                    return
            else:
                # This process parses too: a worker holds at most its share of what is left.
                in_flight = sum(self._running.values())
                share = (in_flight + self._waiting_bytes) // (self._workers + 1)
                room = share - in_flight // self._workers
                if room <= 0:
                    return
                size = min(_CHUNK_BYTES, max(_MIN_CHUNK_BYTES, room))
            chunk = self._take(size)
            future = self._pool.submit(_parse_chunk, chunk)
            self._running[future] = sum(len(item[2]) for item in chunk)

    def _take(self, size: int) -> list[Work]:
        """Items from the largest down, until `size` bytes are taken; at least one item."""
        self._waiting.sort(key=_size_then_path)
        chunk: list[Work] = []
        taken = 0
        while self._waiting and (not chunk or taken < size):
            item = self._waiting.pop()
            chunk.append(item)
            taken += len(item[2])
        self._waiting_bytes -= taken
        return chunk

    def _take_all(self) -> list[Work]:
        items, self._waiting, self._waiting_bytes = self._waiting, [], 0
        return items


def _balanced(items: list[Work], weights: list[float]) -> list[list[Work]]:
    """`items` in one group per weight, sizes in proportion: each file, largest first, to the group
    whose size is smallest for its weight."""
    groups: list[list[Work]] = [[] for _ in weights]
    loads = [0.0] * len(weights)
    for item in sorted(items, key=_size_then_path, reverse=True):
        lightest = min(range(len(weights)), key=lambda number: loads[number] / weights[number])
        groups[lightest].append(item)
        loads[lightest] += len(item[2])
    return groups


def _compile_queries(items: Iterable[Work]) -> None:
    """Compile the tag queries of these items' languages here, so children forked next inherit them."""
    languages.compile_queries({item[1] for item in items})


class _Forked:
    """Groups of work, each parsed by a forked child; `join` gives each group's results in turn.

    A child writes its pickled results to an unlinked temporary file (a pipe would block it until this
    process reads) and leaves with `os._exit`, touching nothing it inherited. A group whose child
    failed is parsed in this process instead.
    """

    def __init__(self, groups: list[list[Work]]) -> None:
        self._children: list[tuple[int, int, list[Work]]] = []  # pid, spool file descriptor, group
        _compile_queries(item for group in groups for item in group)
        try:
            for group in groups:
                self._fork(group)
        except BaseException:
            self.kill()
            raise

    def _fork(self, group: list[Work]) -> None:
        spool, name = tempfile.mkstemp(prefix="maze-index-")
        os.unlink(name)
        try:
            pid = os.fork()
        except BaseException:
            os.close(spool)
            raise
        if pid == 0:  # pragma: no cover - the child process
            status = 1
            try:
                with os.fdopen(spool, "wb") as out:
                    pickle.dump(_parse_chunk(group), out, protocol=pickle.HIGHEST_PROTOCOL)
                status = 0
            finally:
                os._exit(status)
        self._children.append((pid, spool, group))

    def join(self) -> Iterator[list[Parsed]]:
        while self._children:
            pid, spool, group = self._children[0]
            _, status = os.waitpid(pid, 0)
            self._children.pop(0)
            with os.fdopen(spool, "rb") as results:
                if os.waitstatus_to_exitcode(status) == 0:
                    results.seek(0)
                    parsed: list[Parsed] = pickle.load(results)
                else:
                    parsed = _parse_chunk(group)
            yield parsed

    def kill(self) -> None:
        """End the children still running (after an error here)."""
        for pid, spool, _group in self._children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(spool)
        self._children = []


def parse_many(items: list[Work], *, workers: int = 1, progress: Progress | None = None) -> list[Parsed]:
    """Extract (path, language, content, blob sha or None) items; order of the result is by path.

    `workers` is the number of processes that parse, this one included.
    """
    results: list[Parsed] = []

    def done(parsed: list[Parsed]) -> None:
        results.extend(parsed)
        if progress is not None:
            progress(len(parsed))

    with _Scheduler(workers, done) as scheduler:
        scheduler.add(items, more=False)
        scheduler.finish()
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

    `progress(done, total)` is called as files are parsed, from when the number of files that need
    parsing is known (once every entry has been listed).
    """
    started = time.perf_counter()
    pipeline = _Pipeline(source, session, workers=workers, max_bytes=max_bytes, ignored=ignored)
    index = pipeline.run(progress)
    index.report.seconds = time.perf_counter() - started
    return index


class _Pipeline:
    """One `index_source` run: list, look up, read and parse at once, storing results as they come."""

    def __init__(
        self,
        source: Source,
        session: Session | None,
        *,
        workers: int,
        max_bytes: int,
        ignored: Callable[[str], bool] | None,
    ) -> None:
        self.source = source
        self.session = session
        self.max_bytes = max_bytes
        self.ignored = ignored
        self.report = IndexReport()
        self.keys: dict[str, CacheKey] = {}
        self.fresh: dict[CacheKey, bytes] = {}
        # Entries with a SHA given up front, and files read and hashed, whose keys are not looked up yet.
        self.known: list[tuple[Entry, str, CacheKey]] = []
        self.read: list[Work] = []
        self.read_bytes = 0
        # A blob met twice in one run is parsed once: paths waiting for a blob being parsed, and the
        # (syntax errors, invalid UTF-8) flags of blobs parsed. Every such path counts as parsed.
        self.waiting: dict[CacheKey, list[str]] = {}
        self.flags: dict[CacheKey, tuple[bool, bool]] = {}
        self.scheduler = _Scheduler(workers, self._store)
        self.parsed = 0
        self.blobs_parsed = 0
        self.progress: Callable[[int, int], None] | None = None

    def run(self, progress: Callable[[int, int], None] | None) -> RepositoryIndex:
        report = self.report
        with self.scheduler:
            # Files that must be read (no SHA given) first, so their parsing starts while the entries
            # with a SHA are looked up: in a git work tree, a pull request's changed files.
            known: list[Entry] = []
            for entry in self.source.entries():
                report.entries += 1
                if entry.blob_sha is not None and self.session is not None:
                    known.append(entry)
                else:
                    self._plan(entry)
            self._look_up_read(more=bool(known))
            for entry in known:
                self._plan(entry)
            self._look_up_known()
            self._look_up_read(more=False)
            self.progress = progress
            if progress is not None:
                progress(self.blobs_parsed, self.scheduler.added)
            self.scheduler.finish()
        report.indexed = len(self.keys)
        report.parsed = self.parsed
        report.cached = report.indexed - self.parsed
        report.languages.update(key.language for key in self.keys.values())
        report.with_syntax_errors.sort()
        report.invalid_utf8.sort()
        return RepositoryIndex(dict(sorted(self.keys.items())), self.fresh, report)

    def _plan(self, entry: Entry) -> None:
        if entry.blob_sha is None or self.session is None:
            self._read(entry)
            return
        try:
            decision = path_language(self.source, entry, max_bytes=self.max_bytes, ignored=self.ignored)
        except OSError:
            self.report.skipped[Skip.UNREADABLE] += 1
            return
        if isinstance(decision, Skip):
            self.report.skipped[decision] += 1
            return
        self.known.append((entry, decision, CacheKey.current(entry.blob_sha, decision)))
        if len(self.known) >= _LOOKUP_KNOWN:
            self._look_up_known()

    def _look_up_known(self) -> None:
        """Cache hits among the entries listed with a SHA are indexed unread; the others are read."""
        batch, self.known = self.known, []
        if not batch:
            return
        assert self.session is not None
        stored = cache.present(self.session, [key for _, _, key in batch])
        for entry, language, key in batch:
            if self._parsed_in_this_run(entry.path, key) or key in stored:
                self.keys[entry.path] = key
            else:
                self._read(entry, language)

    def _read(self, entry: Entry, language: str | None = None) -> None:
        found = read_indexable(
            self.source, entry, self.report, max_bytes=self.max_bytes, ignored=self.ignored, language=language
        )
        if found is None:
            return
        language, content = found
        sha = entry.blob_sha or git_blob_sha(content)
        self.keys[entry.path] = CacheKey.current(sha, language)
        self.report.lines += content.count(b"\n") + 1
        self.report.bytes += len(content)
        self.read.append((entry.path, language, content, sha))
        self.read_bytes += len(content)
        if len(self.read) >= _LOOKUP_FILES or self.read_bytes >= _LOOKUP_BYTES:
            self._look_up_read(more=True)

    def _look_up_read(self, *, more: bool) -> None:
        """Files read and not in the cache go to the parser."""
        batch, self.read, self.read_bytes = self.read, [], 0
        stored: set[CacheKey] = set()
        if self.session is not None and batch:
            stored = cache.present(self.session, [self.keys[item[0]] for item in batch])
        work: list[Work] = []
        for item in batch:
            key = self.keys[item[0]]
            if not self._parsed_in_this_run(item[0], key) and key not in stored:
                self.waiting[key] = [item[0]]
                work.append(item)
        self.scheduler.add(work, more=more)

    def _parsed_in_this_run(self, path: str, key: CacheKey) -> bool:
        """Whether the blob of `path` is parsed, or being parsed, in this run; `path` then counts too."""
        if key in self.waiting:
            self.waiting[key].append(path)
            return True
        flags = self.flags.get(key)
        if flags is not None:
            self._count_parsed(path, flags)
            return True
        return False

    def _count_parsed(self, path: str, flags: tuple[bool, bool]) -> None:
        self.parsed += 1
        if flags[0]:
            self.report.with_syntax_errors.append(path)
        if flags[1]:
            self.report.invalid_utf8.append(path)

    def _store(self, parsed: list[Parsed]) -> None:
        fresh = {item.key: item.data for item in parsed}
        if self.session is not None:
            cache.store(self.session, fresh)
        self.fresh.update(fresh)
        for item in parsed:
            flags = self.flags[item.key] = (item.syntax_errors, item.invalid_utf8)
            for path in self.waiting.pop(item.key, [item.path]):
                self._count_parsed(path, flags)
        self.blobs_parsed += len(parsed)
        if self.progress is not None:
            self.progress(self.blobs_parsed, self.scheduler.added)


def load_cached(session: Session, index: RepositoryIndex) -> None:
    """Fetch from the cache the encoded results this index only knows by key."""
    absent = {key for key in index.keys.values() if key not in index.encoded}
    index.encoded.update(cache.load(session, absent))
