"""Indexing a working tree through the shared cache, on SQLite and PostgreSQL: cold, warm, incremental."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, event, func, select

from bot.cli import main
from maze.indexing import cache, languages, repository
from maze.indexing.cache import CacheKey
from maze.indexing.codec import CacheFormatError, decode, encode
from maze.indexing.extract import extract
from maze.indexing.repository import RepositoryIndex, index_source, load_cached, parse_many, warm_up
from maze.indexing.sources import DirectorySource, Entry, git_blob_sha
from maze.store import schema
from maze.store.db import engine_for, session_scope
from maze.store.models import IndexedBlob

FILES = {
    "pkg/__init__.py": "from pkg.core import Engine\n",
    "pkg/core.py": (
        'class Engine:\n    """Runs things."""\n\n    def run(self, n: int) -> int:\n        return n\n'
    ),
    "pkg/broken.py": "def ok():\n    return 1\n\ndef broken(:\n    pass\n\nX = 2\n",
    "web/app.ts": "export function greet(name: string): string { return name; }\n",
    "web/legacy.js": "function old(a) { return a; }\n",
    "cmd/main.go": "package main\n\nfunc main() {}\n",
    "src/lib.rs": "pub fn add(a: i32, b: i32) -> i32 { a + b }\n",
    "README.md": "# docs\n",
    "node_modules/dep/index.js": "module.exports = 1;\n",
    "gen/api_pb2.py": "X = 1\n",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = (
        f"sqlite:///{tmp_path / 'maze.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    schema.upgrade(url)
    yield url
    schema.downgrade(url, "base")


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for path, content in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
    (root / "pkg" / "latin1.py").write_bytes(b"NAME = '\xe9t\xe9'\n\ndef f():\n    return NAME\n")
    (root / "pkg" / "huge.py").write_bytes(b"x = 1\n" * 200_000)
    (root / "assets").mkdir()
    (root / "assets" / "logo.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    return root


def _index(root: Path, url: str, **options: object) -> RepositoryIndex:
    with session_scope(url) as session:
        index = index_source(DirectorySource(root), session, **options)  # type: ignore[arg-type]
        load_cached(session, index)
    return index


def _rows(url: str) -> int:
    with session_scope(url) as session:
        return int(session.scalar(select(func.count()).select_from(IndexedBlob)) or 0)


def test_cold_then_warm_then_incremental(tree: Path, database_url: str) -> None:
    cold = _index(tree, database_url)
    report = cold.report.to_json()
    assert report["indexed"] == 8 and report["parsed"] == 8 and report["cached"] == 0
    assert report["languages"] == {"go": 1, "javascript": 1, "python": 4, "rust": 1, "typescript": 1}
    assert report["skipped"] == {
        "binary": 1,
        "generated": 1,
        "oversize": 1,
        "other language": 1,
        "vendored": 1,
    }
    assert report["entries"] == sum(report["skipped"].values()) + report["indexed"]
    assert report["with_syntax_errors"] == ["pkg/broken.py"]
    assert report["invalid_utf8"] == ["pkg/latin1.py"]
    assert _rows(database_url) == 8

    warm = _index(tree, database_url)
    assert (warm.report.parsed, warm.report.cached) == (0, 8)
    assert warm.files() == cold.files()

    (tree / "pkg" / "core.py").write_text("class Engine:\n    def stop(self) -> None:\n        pass\n")
    (tree / "web" / "new.ts").write_text("export const two = 2;\n")
    again = _index(tree, database_url)
    assert (again.report.parsed, again.report.cached, again.report.indexed) == (2, 7, 9)
    assert [d.qualified_name for d in again.file("pkg/core.py").definitions] == ["Engine", "Engine.stop"]
    assert _rows(database_url) == 10


def test_recovered_definitions_of_a_broken_file(tree: Path, database_url: str) -> None:
    broken = _index(tree, database_url).file("pkg/broken.py")
    assert {"ok", "X"} <= {d.name for d in broken.definitions}
    assert broken.syntax_errors


def test_same_blob_at_two_paths_is_stored_once(tmp_path: Path, database_url: str) -> None:
    for name in ("a.py", "b/a.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("def shared(): pass\n")
    index = _index(tmp_path, database_url)
    assert index.keys["a.py"] == index.keys["b/a.py"]
    assert index.file("b/a.py").path == "b/a.py"
    assert _rows(database_url) == 1


def test_key_follows_grammar_and_query(tree: Path, database_url: str) -> None:
    index = _index(tree, database_url)
    key = index.keys["pkg/core.py"]
    assert key.blob_sha == git_blob_sha((tree / "pkg" / "core.py").read_bytes())
    assert key == CacheKey.current(key.blob_sha, "python")
    stale = CacheKey(key.blob_sha, "python", key.grammar_version, "0" * 64)
    with session_scope(database_url) as session:
        assert cache.present(session, [key, stale]) == {key}


def test_concurrent_writers_store_each_blob_once(database_url: str) -> None:
    parsed = parse_many([(f"m{i}.py", "python", f"V{i} = {i}\n".encode(), None) for i in range(30)])
    results = {item.key: item.data for item in parsed}
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with session_scope(database_url) as session:
                cache.store(session, results)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _rows(database_url) == 30


def test_pool_and_in_process_parsing_agree() -> None:
    items = [
        (f"f{i}.py", "python", (f"def f{i}(a: int) -> int:\n    return a\n" * 400).encode(), None)
        for i in range(40)
    ]
    pooled = parse_many(items, workers=2)
    single = parse_many(items, workers=1)
    assert sum(len(item[2]) for item in items) > 400_000  # large enough to use the pool
    assert [(p.path, p.key, p.data) for p in pooled] == [(p.path, p.key, p.data) for p in single]


def test_codec_round_trip_and_corruption() -> None:
    source = FILES["pkg/core.py"].encode()
    index = extract("pkg/core.py", source, "python")
    assert decode(encode(index), "pkg/core.py") == index
    with pytest.raises(CacheFormatError):
        decode(b"not zlib", "x.py")


def test_cli_json_and_repo_map(tree: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    first = runner.invoke(main, ["--database-url", url, "index", str(tree), "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)["report"]
    assert (report["parsed"], report["indexed"]) == (8, 8)
    map_options = ["--map-tokens", "200", "--changed", "pkg/core.py"]
    second = runner.invoke(main, ["--database-url", url, "index", str(tree), "--json", *map_options])
    assert second.exit_code == 0, second.output
    document = json.loads(second.output)
    assert document["report"]["cached"] == 8
    assert "Engine" in document["repo_map"]["text"]
    assert document["repo_map"]["tokens"] <= 200
    text = runner.invoke(main, ["--database-url", url, "index", str(tree), "--no-cache"])
    assert text.exit_code == 0
    assert "8 files indexed (8 parsed, 0 from cache)" in text.output
    assert "skipped: binary 1, generated 1, other language 1, oversize 1, vendored 1" in text.output
    missing = runner.invoke(main, ["index", str(tmp_path / "absent")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


class CountingSource:
    """A Source that records which files were read whole and which only had their head read."""

    def __init__(self, inner: DirectorySource) -> None:
        self.inner = inner
        self.reads: list[str] = []
        self.heads: list[str] = []

    def entries(self) -> Iterator[Entry]:
        return self.inner.entries()

    def read(self, path: str) -> bytes:
        self.reads.append(path)
        return self.inner.read(path)

    def head(self, path: str, size: int) -> bytes:
        self.heads.append(path)
        return self.inner.head(path, size)


def _git(root: Path, *arguments: str) -> None:
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    environment = {**os.environ, **identity, "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "-C", str(root), *arguments], check=True, capture_output=True, env=environment)


def _counted(root: Path, url: str) -> tuple[RepositoryIndex, CountingSource]:
    source = CountingSource(DirectorySource(root))
    with session_scope(url) as session:
        index = index_source(source, session)
        load_cached(session, index)
    return index, source


def test_git_work_tree_reads_only_what_changed(tree: Path, database_url: str) -> None:
    (tree / "bin").mkdir()
    (tree / "bin" / "tool").write_text("#!/usr/bin/env python3\ndef main():\n    pass\n")
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-q", "--no-gpg-sign", "-m", "first")
    cold, source = _counted(tree, database_url)
    assert (cold.report.parsed, cold.report.cached, cold.report.indexed) == (9, 0, 9)
    assert "README.md" not in source.reads and "README.md" not in source.heads  # skipped by its path
    assert "pkg/core.py" in source.reads

    (tree / "pkg" / "core.py").write_text("class Engine:\n    def stop(self) -> None:\n        pass\n")
    (tree / "web" / "new.ts").write_text("export const two = 2;\n")
    again, source = _counted(tree, database_url)
    # The modified and the untracked file are read; unchanged ones are found in the cache by the blob
    # SHA git gives, unread. An extensionless script still has its head read to tell its language, and
    # a file skipped for its content (binary) has no cache row, so it is read again to be skipped again.
    assert sorted(source.reads) == ["assets/logo.py", "pkg/core.py", "web/new.ts"]
    assert source.heads == ["bin/tool"]
    assert (again.report.parsed, again.report.cached, again.report.indexed) == (2, 8, 10)
    assert again.report.lines == 4 + 2  # only the indexed files that were read (newlines + 1 each)
    assert [d.qualified_name for d in again.file("pkg/core.py").definitions] == ["Engine", "Engine.stop"]
    assert again.files() == {**cold.files(), **{p: again.file(p) for p in ("pkg/core.py", "web/new.ts")}}
    # Everything a plain directory (no git) gives is the same, only read and hashed.
    shutil.rmtree(tree / ".git")
    plain = _index(tree, database_url)
    assert plain.keys == again.keys and plain.files() == again.files()


def test_git_work_tree_reads_a_clean_file_the_cache_lacks(tree: Path, database_url: str) -> None:
    _git(tree, "init", "-q")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-q", "--no-gpg-sign", "-m", "first")
    cold, _ = _counted(tree, database_url)
    with session_scope(database_url) as session:
        session.execute(delete(IndexedBlob).where(IndexedBlob.blob_sha == cold.keys["pkg/core.py"].blob_sha))
    again, source = _counted(tree, database_url)
    assert sorted(source.reads) == ["assets/logo.py", "pkg/core.py"]  # the binary one is never cached
    assert (again.report.parsed, again.report.cached) == (1, 7)
    assert again.files() == cold.files()


def test_store_is_one_executemany_insert(database_url: str) -> None:
    parsed = parse_many([(f"m{i}.py", "python", f"V{i} = {i}\n".encode(), None) for i in range(1_200)])
    results = {item.key: item.data for item in parsed}
    statements: list[tuple[str, int]] = []

    def record(_conn: object, clause: object, multiparams: list[object], *_args: object) -> None:
        statements.append((str(clause).split(" ", 1)[0], len(multiparams)))

    engine = engine_for(database_url)
    event.listen(engine, "before_execute", record)
    try:
        with session_scope(database_url) as session:
            cache.store(session, results)
    finally:
        event.remove(engine, "before_execute", record)
    assert statements == [("INSERT", 1_200)]
    assert _rows(database_url) == 1_200
    # Stored rows stay as they are; new ones are added beside them.
    extra = parse_many([("n.py", "python", b"N = 0\n", None)])[0]
    again = {key: b"other bytes" for key in list(results)[:10]} | {extra.key: extra.data}
    with session_scope(database_url) as session:
        cache.store(session, again)
        assert cache.load(session, list(again)) == {
            **{k: results[k] for k in list(results)[:10]},
            extra.key: extra.data,
        }
    assert _rows(database_url) == 1_201


def test_lookups_keep_only_the_wanted_versions(database_url: str) -> None:
    parsed = parse_many([(f"m{i}.py", "python", f"V{i} = {i}\n".encode(), None) for i in range(1_000)])
    results = {item.key: item.data for item in parsed}
    first = parsed[0].key
    stale = CacheKey(first.blob_sha, "python", first.grammar_version, "0" * 64)
    other_language = CacheKey(first.blob_sha, "javascript", first.grammar_version, first.query_hash)
    with session_scope(database_url) as session:
        cache.store(session, {**results, stale: b"stale"})
        assert cache.present(session, list(results)) == set(results)  # more than one batch
        assert cache.present(session, [first, other_language]) == {first}
        assert cache.load(session, [stale, other_language]) == {stale: b"stale"}
        assert cache.load(session, [first]) == {first: results[first]}


def test_a_blob_at_several_paths_is_parsed_once_and_reported_per_path(tmp_path: Path) -> None:
    for name in ("a.py", "b/a.py", "c/a.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("def broken(:\n    pass\n")
    calls: list[int] = []
    original = repository._parse_chunk

    def counting(items: list[repository.Work]) -> list[repository.Parsed]:
        calls.append(len(items))
        return original(items)

    repository._parse_chunk = counting
    try:
        index = index_source(DirectorySource(tmp_path), None)
    finally:
        repository._parse_chunk = original
    assert sum(calls) == 1
    assert (index.report.parsed, index.report.cached, index.report.indexed) == (3, 0, 3)
    assert index.report.with_syntax_errors == ["a.py", "b/a.py", "c/a.py"]
    assert index.file("c/a.py").path == "c/a.py" and index.file("c/a.py").syntax_errors


def _modules(count: int, size: int) -> list[repository.Work]:
    """`count` modules of `size` functions each, and three empty `__init__.py` files."""
    body = "".join(f"def f{n}(a: int, b: str = 'x') -> int:\n    return g(a)\n\n" for n in range(size))
    modules: list[repository.Work] = [
        (f"pkg/m{i:03}.py", "python", (f"class C{i}:\n    pass\n\n" + body).encode(), None)
        for i in range(count)
    ]
    return modules + [(f"pkg/{name}/__init__.py", "python", b"", None) for name in ("a", "b", "c")]


@pytest.mark.parametrize("count", [8, 40])  # about 200 KB (split up front) and 1.1 MB (a process pool)
def test_parallel_paths_agree_with_one_process(count: int) -> None:
    items = _modules(count, 500)
    single = parse_many(items, workers=1)
    assert len(single) == len(items)
    for workers in (2, 3):
        pooled = parse_many(items, workers=workers)
        assert [(p.path, p.key, p.data) for p in pooled] == [(p.path, p.key, p.data) for p in single]


def test_streaming_index_agrees_with_one_process(tmp_path: Path, database_url: str) -> None:
    """More files than one lookup batch: parsing starts in a pool while files are still being read."""
    for path, _language, content, _sha in _modules(260, 20):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    single = index_source(DirectorySource(tmp_path), None, workers=1)
    assert (single.report.parsed, single.report.indexed) == (263, 263)  # the empty files too
    with session_scope(database_url) as session:
        pooled = index_source(DirectorySource(tmp_path), session, workers=2)
    assert pooled.report.to_json() | {"seconds": 0} == single.report.to_json() | {"seconds": 0}
    assert pooled.keys == single.keys and pooled.encoded == single.encoded
    assert _rows(database_url) == 261  # the three empty files are one blob


def test_a_failure_in_parallel_parsing_is_raised_and_leaves_no_process(tmp_path: Path) -> None:
    items = _modules(8, 500)
    items[3] = ("pkg/bad.py", "cobol", items[3][2], None)
    with pytest.raises(KeyError, match="cobol"):
        parse_many(items, workers=2)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_warm_up_compiles_every_query() -> None:
    warm_up()
    assert languages._tag_query.cache_info().currsize == len(languages.LANGUAGES)


def test_a_forked_child_that_fails_has_its_work_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _modules(8, 500)
    expected = parse_many(items, workers=1)
    parent = os.getpid()
    original = repository._parse_chunk

    def fails_in_children(chunk: list[repository.Work]) -> list[repository.Parsed]:
        if os.getpid() != parent:
            raise RuntimeError("a worker died")
        return original(chunk)

    monkeypatch.setattr(repository, "_parse_chunk", fails_in_children)
    assert [(p.path, p.data) for p in parse_many(items, workers=2)] == [(p.path, p.data) for p in expected]


def test_changed_files_are_parsed_while_the_rest_is_looked_up(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path, _language, content, _sha in _modules(12, 300):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "--no-gpg-sign", "-m", "first")
    _counted(tmp_path, database_url)
    for number in range(0, 12, 2):  # six changed files, about 90 KB
        path = tmp_path / f"pkg/m{number:03}.py"
        path.write_bytes(path.read_bytes() + f"\ndef added_{number}():\n    return {number}\n".encode())
    groups: list[int] = []
    original = repository._Forked.__init__

    def record(self: repository._Forked, work: list[list[repository.Work]]) -> None:
        groups.append(len(work))
        original(self, work)

    monkeypatch.setattr(repository._Forked, "__init__", record)
    source = CountingSource(DirectorySource(tmp_path))
    with session_scope(database_url) as session:
        index = index_source(source, session, workers=2)
        load_cached(session, index)
    # One child starts on the larger share at once; this process parses the rest after its lookups.
    assert groups == [1]
    assert sorted(source.reads) == [f"pkg/m{number:03}.py" for number in range(0, 12, 2)]
    assert (index.report.parsed, index.report.cached) == (6, 9)
    assert index.files() == index_source(DirectorySource(tmp_path), None, workers=1).files()
