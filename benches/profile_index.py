"""Where the indexer's time goes: per-file cost split, and the main process's time in each kind of run.

    python benches/profile_index.py [--corpus click|rxjs|stdlib] [--workers N] [--cprofile]

1. Per file, one process, contents in memory: tree-sitter parse; plus the tag query's matches (the
   query as the extractor runs it); plus the Python walk over the matches (`extract_rows`: definitions,
   signatures, references, syntax errors); plus the rest of the indexer's `_parse_one` (encoding the
   rows, the blob SHA, the UTF-8 check). Steps alternate file by file.
2. A cold index with N processes and an empty SQLite cache, then a warm one, on the plain tree: the main
   process's wall time by activity (listing, reading and classifying, cache lookups and writes, parsing
   in this process, waiting for workers). Parsing in worker processes overlaps the rest, so their CPU
   time is given beside the wall time.
3. A PR re-index of the benchmark's 20 files on a git work tree of the corpus, in a process that
   compiled the tag queries first (`warm_up()`), as a long-lived worker does: median of 5.
With `--cprofile`, the functions taking most time in a single-process cold index.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import bench_index
import corpora
from tree_sitter import Parser, QueryCursor

from maze.indexing import cache, repository
from maze.indexing.extract import extract_rows
from maze.indexing.languages import get
from maze.indexing.sources import DirectorySource
from maze.store import schema
from maze.store.db import session_scope

PHASES: dict[str, float] = defaultdict(float)
MAIN_PID = os.getpid()
LISTING = "list files (DirectorySource.entries, git ls-files)"
_NESTED: list[float] = []  # per active timer: time spent in timers nested in it


def _enter() -> float:
    _NESTED.append(0.0)
    return time.perf_counter()


def _leave(name: str, began: float) -> None:
    elapsed = time.perf_counter() - began
    nested = _NESTED.pop()
    if os.getpid() == MAIN_PID:  # forked children inherit the wrappers, not the tally
        PHASES[name] += elapsed - nested
        if _NESTED:
            _NESTED[-1] += elapsed


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, its time counted under `name` (less the time of timed calls inside it)."""

    @functools.wraps(function)  # the same name, so the pool still pickles it by reference
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = _enter()
        try:
            return function(*args, **kwargs)
        finally:
            _leave(name, began)

    return wrapper


def timed_iterator(name: str, function: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """A generator function whose every step is counted under `name`."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        iterator = function(*args, **kwargs)
        while True:
            began = _enter()
            try:
                item = next(iterator)
            except StopIteration:
                return
            finally:
                _leave(name, began)
            yield item

    return wrapper


def install_timers() -> None:
    """Time the main process's activities; a call nested in another counts in the innermost only."""
    repository.read_indexable = timed("read + classify + hash (read_indexable)", repository.read_indexable)
    repository.path_language = timed("plan by path (path_language)", repository.path_language)
    repository._parse_chunk = timed("parse in this process (_parse_chunk)", repository._parse_chunk)
    namespace = vars(repository)  # `wait` is imported there from concurrent.futures
    namespace["wait"] = timed("wait for pool workers", namespace["wait"])
    forked = repository._Forked
    forked.__init__ = timed("fork children", forked.__init__)  # type: ignore[method-assign]
    forked.join = timed_iterator("wait for forked children, unpickle", forked.join)  # type: ignore[method-assign]
    cache.present = timed("cache lookup (cache.present)", cache.present)
    cache.store = timed("cache write (cache.store)", cache.store)
    DirectorySource.entries = timed_iterator(LISTING, DirectorySource.entries)  # type: ignore[method-assign]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def split_per_file(items: list[bench_index.Item], lines: int) -> None:
    print("\n1. per-file cost, one process, contents in memory (CPU seconds, steps alternating per file)")
    parsers: dict[str, Parser] = {}

    def parser_for(language: str) -> Parser:
        if language not in parsers:
            parsers[language] = Parser(get(language).ts_language)
        return parsers[language]

    def parse(path: str, language: str, content: bytes) -> object:
        return parser_for(language).parse(content)

    def parse_query(path: str, language: str, content: bytes) -> object:
        tree = parser_for(language).parse(content)
        return QueryCursor(get(language).tag_query).matches(tree.root_node)

    def parse_one(path: str, language: str, content: bytes) -> object:
        return repository._parse_one(path, language, content, None)

    steps: list[tuple[str, Callable[[str, str, bytes], object]]] = [
        ("tree-sitter parse", parse),
        ("+ tag query matches", parse_query),
        ("+ Python walk (extract_rows)", lambda p, lang, c: extract_rows(c, lang)),
        ("+ encode, blob SHA, UTF-8 check (_parse_one)", parse_one),
    ]
    for path, language, content in items[:50]:
        parse_one(path, language, content)
    # Steps alternate file by file, so a slower spell of the machine weighs on all of them alike.
    totals = [0.0] * len(steps)
    for path, language, content in items:
        for number, (_label, step) in enumerate(steps):
            began = time.process_time()
            step(path, language, content)
            totals[number] += time.process_time() - began
    previous = 0.0
    for (label, _step), seconds in zip(steps, totals, strict=True):
        print(
            f"   {label:<48} {seconds:7.2f} s  {lines / seconds / 1000:6.0f} kLOC/s"
            f"  (step adds {seconds - previous:5.2f} s, {seconds / totals[0]:.2f} x the parse)"
        )
        previous = seconds


def phases(title: str, run: Callable[[], repository.RepositoryIndex], workers: int) -> float:
    PHASES.clear()
    cpu = children_cpu()
    own = time.process_time()
    began = time.perf_counter()
    index = run()
    wall = time.perf_counter() - began
    own = time.process_time() - own
    worker_cpu = children_cpu() - cpu
    report = index.report
    print(f"\n{title}: {wall * 1000:,.0f} ms wall, {report.parsed} parsed, {report.cached} cached")
    accounted = 0.0
    for name, seconds in sorted(PHASES.items(), key=lambda item: -item[1]):
        accounted += seconds
        print(f"   {name:<52} {seconds * 1000:9,.1f} ms  {seconds / wall:6.1%}")
    rest = wall - accounted
    print(f"   {'rest (plans, keys, commit, report)':<52} {rest * 1000:9,.1f} ms  {rest / wall:6.1%}")
    if worker_cpu > 0.005:
        print(
            f"   CPU: this process {own:.2f} s, forked workers {worker_cpu:.2f} s; "
            f"{(own + worker_cpu) / wall / workers:.0%} of {workers} cores over the wall time"
        )
    return wall


def pr_reindex(root: Path, url: str, items: list[bench_index.Item], workers: int) -> None:
    plan = bench_index.pr_plan(items)
    originals = {item["path"]: (root / item["path"]).read_bytes() for item in plan}
    changed_lines = sum(bench_index.count_lines(content) for content in originals.values())
    print(f"\n3. PR re-index: {len(plan)} files, {changed_lines:,} lines, git work tree, after warm_up()")
    began = time.perf_counter()
    repository.warm_up()
    print(f"   warm_up(): {(time.perf_counter() - began) * 1000:.0f} ms (once per process, untimed below)")

    def index() -> repository.RepositoryIndex:
        with session_scope(url) as session:
            return repository.index_source(DirectorySource(root), session, workers=workers)

    walls: list[float] = []
    try:
        for rep in range(5):
            for number, item in enumerate(plan):
                addition = f"\n\ndef maze_profile_{rep}_{number}():\n    return {number}\n"
                if item["language"] != "python":
                    addition = f"\nfunction maze_profile_{rep}_{number}() {{ return {number}; }}\n"
                (root / item["path"]).write_bytes(originals[item["path"]] + addition.encode())
            walls.append(phases(f"   repetition {rep + 1}", index, workers))
    finally:
        for path, content in originals.items():
            (root / path).write_bytes(content)
    print(
        f"\n   PR re-index: median {statistics.median(walls) * 1000:.0f} ms, "
        f"first {walls[0] * 1000:.0f} ms, min {min(walls) * 1000:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=corpora.CORPORA, default="stdlib")
    parser.add_argument("--workers", type=int, default=repository.default_workers())
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="maze-profile-"))
    try:
        corpus = corpora.prepare(args.corpus, workdir)
        items, _selection = bench_index.select(corpus.root)
        lines = sum(bench_index.count_lines(content) for _p, _l, content in items)
        print(f"{args.corpus}: {len(items)} files, {lines:,} lines; load average {os.getloadavg()}")
        split_per_file(items, lines)

        install_timers()
        url = f"sqlite:///{workdir / 'cache.db'}"
        schema.upgrade(url)

        def cold() -> repository.RepositoryIndex:
            with session_scope(url) as session:
                return repository.index_source(DirectorySource(corpus.root), session, workers=args.workers)

        title = f"\n2. cold index, {args.workers} processes, empty SQLite cache, plain directory"
        phases(title, cold, args.workers)
        phases("\n   warm index (everything cached), plain directory", cold, args.workers)
        git_root = bench_index.git_copy(corpus.root, workdir / "git")
        pr_reindex(git_root, url, items, args.workers)

        if args.cprofile:
            print("\n4. cProfile, one process, no cache (tottime)")
            profile = cProfile.Profile()
            profile.enable()
            repository.index_source(DirectorySource(corpus.root), None, workers=1)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
