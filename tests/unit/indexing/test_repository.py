"""Indexing a working tree through the shared cache, on SQLite and PostgreSQL: cold, warm, incremental."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from maze.indexing import cache
from maze.indexing.cache import CacheKey
from maze.indexing.codec import CacheFormatError, decode, encode
from maze.indexing.extract import extract
from maze.indexing.repository import RepositoryIndex, index_source, load_cached, parse_many
from maze.indexing.sources import DirectorySource, git_blob_sha
from maze.store import schema
from maze.store.db import session_scope
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
    url = f"sqlite:///{tmp_path / 'maze.db'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_url"
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
