"""What every validator gets: the tree, its private copy, the changed lines, the runners and the cache."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from maze.sandbox.api import Runner
from maze.validators.cache import CacheKey, DiagnosticCache
from maze.validators.model import Diagnostic, Report, ToolOutput, ToolRun
from maze.validators.process import ToolFailed
from maze.validators.settings import ValidationSettings
from maze.validators.tree import Snapshot

NO_SANDBOX = "bubblewrap is missing: repository code is not executed"


@dataclass(frozen=True)
class ToolContext:
    """One validation of one tree.

    `sandbox` runs tools that may execute repository code and is None when no sandbox is available;
    `tools` runs the checkers that only read code (ruff, mypy without plugins, tsc): the sandbox when
    there is one, else a plain subprocess. `workdir` is the private copy every tool runs in; `scratch`
    holds the directories runs write their reports and caches into.
    """

    snapshot: Snapshot
    workdir: Path
    scratch: Path
    changed: Mapping[str, set[int] | None]
    sandbox: Runner | None
    tools: Runner
    settings: ValidationSettings
    cache: DiagnosticCache | None
    state_dir: Path | None = None
    baseline: Report | None = None

    def fresh_dir(self, name: str) -> Path:
        """A new empty directory under `scratch` for one run's reports or cache."""
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.scratch))

    def changed_files(self, suffixes: tuple[str, ...]) -> list[str]:
        """Changed paths that exist in the tree and end with one of `suffixes`, sorted."""
        return sorted(p for p in self.changed if p.endswith(suffixes) and self.snapshot.has(p))

    def on_changed_line(self, diagnostic: Diagnostic) -> bool:
        """True when the diagnostic's file changed and, for line-level changes, it touches a changed line."""
        if diagnostic.path not in self.changed:
            return False
        lines = self.changed[diagnostic.path]
        return lines is None or bool(lines & set(range(diagnostic.start_line, diagnostic.end_line + 1)))

    def run_cached(
        self,
        tool: str,
        version: str,
        *,
        config_hash: str,
        content_hash: str,
        produce: Callable[[], ToolOutput],
        targets: tuple[str, ...] = (),
    ) -> ToolRun:
        """The tool's output from the cache, or from `produce` (then stored); a failure becomes a skip."""
        started = time.perf_counter()
        key = CacheKey.of(tool, version, config_hash, content_hash)
        found = self.cache.get(key) if self.cache is not None else None
        if found is not None:
            seconds = time.perf_counter() - started
            return ToolRun.of(tool, version, found, seconds=seconds, cached=True, targets=targets)
        try:
            output = produce()
        except ToolFailed as error:
            seconds = time.perf_counter() - started
            return ToolRun(
                tool, version, ran=False, skipped_reason=f"failed: {error}", seconds=seconds, targets=targets
            )
        if self.cache is not None:
            self.cache.put(key, output)
        seconds = time.perf_counter() - started
        return ToolRun.of(tool, version, output, seconds=seconds, cached=False, targets=targets)
