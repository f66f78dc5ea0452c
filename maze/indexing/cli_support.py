"""`maze index PATH`: index a working tree with a progress bar and report it as text or JSON."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from maze.indexing.repomap import RepoMap, build_repo_map
from maze.indexing.repository import (
    IndexReport,
    RepositoryIndex,
    default_workers,
    index_source,
    load_cached,
)
from maze.indexing.selection import DEFAULT_MAX_BYTES
from maze.indexing.sources import DirectorySource, SourceError
from maze.store.db import session_scope


@dataclass(frozen=True)
class IndexOutcome:
    """The report of one `maze index` and, when asked for, the repo map."""

    root: Path
    report: IndexReport
    repo_map: RepoMap | None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"root": str(self.root), "report": self.report.to_json()}
        if self.repo_map is not None:
            document["repo_map"] = {
                "tokens": self.repo_map.tokens,
                "budget": self.repo_map.budget,
                "symbols": len(self.repo_map.symbols),
                "text": self.repo_map.text,
            }
        return document

    def to_text(self) -> str:
        report = self.report
        lines = [
            f"{self.root}: {report.indexed} files indexed ({report.parsed} parsed, "
            f"{report.cached} from cache), {report.lines} lines in {report.seconds:.2f}s",
        ]
        if report.languages:
            lines.append("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(report.languages.items())))
        if report.skipped:
            lines.append("skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items())))
        if report.with_syntax_errors:
            lines.append(f"parsed with syntax errors: {len(report.with_syntax_errors)}")
            lines.extend(f"  {path}" for path in sorted(report.with_syntax_errors)[:20])
        if report.invalid_utf8:
            lines.append(f"not valid UTF-8 (indexed with replacement): {len(report.invalid_utf8)}")
        if self.repo_map is not None:
            lines.append(f"repo map ({self.repo_map.tokens} of {self.repo_map.budget} tokens):")
            lines.append(self.repo_map.text)
        return "\n".join(lines)


class _ProgressBar:
    """A click progress bar opened when the number of files to parse is first known."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self._bar: Any = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if not total:
                return
            self._bar = self._stack.enter_context(
                click.progressbar(length=total, label="parsing", file=sys.stderr)
            )
        self._bar.update(done - self._done)
        self._done = done


def run_index(
    root: Path,
    *,
    database_url: str | None,
    workers: int | None = None,
    max_bytes: int | None = None,
    map_tokens: int = 0,
    changed: Sequence[str] = (),
    show_progress: bool = True,
) -> IndexOutcome:
    """Index `root`, through the shared cache unless `database_url` is None."""
    try:
        source = DirectorySource(root)
    except SourceError as error:
        raise click.ClickException(str(error)) from error
    workers = workers or default_workers()
    max_bytes = max_bytes or DEFAULT_MAX_BYTES
    with contextlib.ExitStack() as stack:
        progress = _ProgressBar(stack) if show_progress and sys.stderr.isatty() else None
        if database_url is None:
            index = index_source(source, None, workers=workers, max_bytes=max_bytes, progress=progress)
        else:
            with session_scope(database_url) as session:
                index = index_source(
                    source, session, workers=workers, max_bytes=max_bytes, progress=progress
                )
                if map_tokens > 0:
                    load_cached(session, index)
    return IndexOutcome(source.root, index.report, _repo_map(index, changed, map_tokens))


def _repo_map(index: RepositoryIndex, changed: Sequence[str], tokens: int) -> RepoMap | None:
    if tokens <= 0:
        return None
    return build_repo_map(index.files(), changed, tokens)
