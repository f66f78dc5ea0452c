"""Where the indexer's time goes: per-file cost split, phases of a cold index and of a PR re-index.

    python benches/profile_index.py [--corpus click|rxjs|stdlib] [--workers N] [--cprofile]

1. Per file, one process, contents in memory: tree-sitter parse; parse plus the tag query's matches;
   `extract` (adds the Python walk over matches: definitions, signatures, references, syntax errors);
   the indexer's `_parse_one` (adds encoding the result, the blob SHA, the UTF-8 check).
2. A cold index with N workers and an empty SQLite cache, split by phase (listing and reading, the
   parse pool, cache lookups and writes, the commit), with the workers' CPU time beside the wall time.
3. The same for a PR re-index of 20 changed files against the filled cache.
With `--cprofile`, the functions taking most time in a single-process cold index.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import shutil
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
from maze.indexing.extract import extract
from maze.indexing.languages import get
from maze.indexing.sources import DirectorySource
from maze.store import schema
from maze.store.db import session_scope

PHASES: dict[str, float] = defaultdict(float)


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            PHASES[name] += time.perf_counter() - began

    return wrapper


def timed_entries(function: Callable[[Any], Iterator[Any]]) -> Callable[[Any], Iterator[Any]]:
    def wrapper(self: Any) -> Iterator[Any]:
        iterator = function(self)
        while True:
            began = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                PHASES["list files (DirectorySource.entries)"] += time.perf_counter() - began
                return
            PHASES["list files (DirectorySource.entries)"] += time.perf_counter() - began
            yield item

    return wrapper


def install_timers() -> None:
    repository._read_candidate = timed(
        "classify + read + blob SHA (_read_candidate)", repository._read_candidate
    )
    repository.parse_many = timed("parse (parse_many)", repository.parse_many)
    cache.present = timed("cache lookup (cache.present)", cache.present)
    cache.store = timed("cache write (cache.store)", cache.store)
    DirectorySource.entries = timed_entries(DirectorySource.entries)  # type: ignore[method-assign]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def split_per_file(items: list[bench_index.Item], lines: int) -> None:
    print("\n1. per-file cost, one process, contents in memory (CPU seconds, steps alternating per file)")
    steps: list[tuple[str, Callable[[str, str, bytes], object]]] = []
    parsers: dict[str, Parser] = {}

    def parser_for(language: str) -> Parser:
        if language not in parsers:
            parsers[language] = Parser(get(language).ts_language)
        return parsers[language]

    def parse(path: str, language: str, content: bytes) -> object:
        return parser_for(language).parse(content)

    def parse_query(path: str, language: str, content: bytes) -> object:
        tree = parser_for(language).parse(content)
        return list(QueryCursor(get(language).query).matches(tree.root_node))

    def parse_one(path: str, language: str, content: bytes) -> object:
        return repository._parse_one(path, language, content, None)

    steps = [
        ("tree-sitter parse", parse),
        ("+ tag query matches", parse_query),
        ("+ Python walk (extract)", lambda p, lang, c: extract(p, c, lang)),
        ("+ encode, blob SHA, UTF-8 check (_parse_one)", parse_one),
    ]
    for _path, language, content in items[:50]:
        parse_one(_path, language, content)
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
            f"  (step adds {seconds - previous:5.2f} s)"
        )
        previous = seconds


def phases(title: str, run: Callable[[], repository.RepositoryIndex], workers: int) -> None:
    PHASES.clear()
    cpu = children_cpu()
    began = time.perf_counter()
    index = run()
    wall = time.perf_counter() - began
    worker_cpu = children_cpu() - cpu
    report = index.report
    print(f"\n{title}: {wall * 1000:,.0f} ms wall, {report.parsed} parsed, {report.cached} cached")
    accounted = 0.0
    for name, seconds in sorted(PHASES.items(), key=lambda item: -item[1]):
        accounted += seconds
        print(f"   {name:<48} {seconds * 1000:9,.1f} ms  {seconds / wall:6.1%}")
    rest = wall - accounted
    print(f"   {'rest (commit, sorting, report)':<48} {rest * 1000:9,.1f} ms  {rest / wall:6.1%}")
    pool = PHASES["parse (parse_many)"]
    if worker_cpu > 0.05 and pool > 0:
        print(
            f"   worker processes: {worker_cpu:.2f} s CPU in {pool:.2f} s of pool wall "
            f"= {worker_cpu / pool / workers:.0%} of {workers} cores"
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
        print(f"{args.corpus}: {len(items)} files, {lines:,} lines")
        split_per_file(items, lines)

        install_timers()
        url = f"sqlite:///{workdir / 'cache.db'}"
        schema.upgrade(url)

        def cold() -> repository.RepositoryIndex:
            with session_scope(url) as session:
                return repository.index_source(DirectorySource(corpus.root), session, workers=args.workers)

        phases(f"\n2. cold index, {args.workers} workers, empty SQLite cache", cold, args.workers)
        phases("\n   warm index (everything cached)", cold, args.workers)
        plan = bench_index.pr_plan(items)
        for number, item in enumerate(plan):
            path = corpus.root / item["path"]
            addition = (
                "\n\ndef maze_profile_{0}():\n    return {0}\n"
                if item["language"] == "python"
                else ("\nfunction maze_profile_{0}() {{ return {0}; }}\n")
            )
            path.write_bytes(path.read_bytes() + addition.format(number).encode())
        changed = [
            (item["path"], item["language"], (corpus.root / item["path"]).read_bytes()) for item in plan
        ]
        changed_lines = sum(bench_index.count_lines(content) for _p, _l, content in changed)
        print(f"\n3. PR re-index: {len(plan)} files, {changed_lines:,} lines changed files")
        phases("   PR re-index", cold, args.workers)

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
