"""The sandbox a worker proves candidates in, and the prover for a run's head tree.

The proving itself (a baseline of the head, a private patched copy per candidate, the differential
verdict) is `maze.repair.prover.TreeProver`; this module picks the sandbox from the settings and says,
for the review, when none is available.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from maze.repair.prover import TreeProver
from maze.sandbox.api import Runner, SandboxUnavailable
from maze.sandbox.factory import make_runner
from maze.validators.cache import DatabaseDiagnosticCache
from maze.validators.settings import ValidationSettings

log = logging.getLogger(__name__)


def runner_for(mode: str) -> tuple[Runner | None, str | None]:
    """The sandbox for `mode`, or None and the sentence the review shows when it is unavailable."""
    try:
        return make_runner("none" if mode == "none" else "bubblewrap"), None
    except SandboxUnavailable as error:
        return None, f"Repository code (tests) was not run: {error}"


def tree_prover(
    tree: Path,
    changed: Mapping[str, set[int] | None],
    *,
    repository: str,
    sandbox: str,
    database_url: str,
    work_dir: Path,
    settings: ValidationSettings,
) -> tuple[TreeProver, str | None]:
    """The prover for a head tree of `repository`, and the note to show when tests cannot run."""
    runner, unavailable = runner_for(sandbox)
    if sandbox == "none":
        log.warning("%s: sandbox = none, repository code runs without isolation", repository)
    prover = TreeProver(
        tree,
        changed,
        runner=runner,
        settings=settings,
        cache=DatabaseDiagnosticCache(database_url),
        state_dir=work_dir / "state" / repository,
        scratch=work_dir / "candidates",
    )
    return prover, unavailable
