"""`maze validate`: run the validators on a working tree, optionally only what is new against a git ref.

Without a ref every diagnostic of the tree is shown. With one, the ref's tree (from `git archive`) is the
baseline and only diagnostics new relative to it, in files changed since the ref, are shown, together
with tests that fail now and did not before.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from maze.repo_config import REPO_CONFIG_PATH, RepoConfigError, parse_repo_config
from maze.sandbox.api import Runner, SandboxUnavailable
from maze.validators.cache import DiagnosticCache
from maze.validators.differential import new_diagnostics
from maze.validators.model import TEST_TOOL, Diagnostic, Report, Severity
from maze.validators.sarif import to_sarif
from maze.validators.settings import ValidationSettings
from maze.validators.suite import validate_tree
from maze.validators.tree import Snapshot

Changed = dict[str, set[int] | None]


class BadInput(ValueError):
    """The command cannot run as asked: not a git repository, an unknown ref, an invalid maze.toml."""


@dataclass(frozen=True)
class ValidateOutcome:
    """What `maze validate` shows: the working tree's report and the diagnostics chosen from it."""

    report: Report
    shown: tuple[Diagnostic, ...]
    against: str | None = None
    baseline: Report | None = None

    @property
    def errors(self) -> int:
        return sum(1 for d in self.shown if d.severity is Severity.ERROR)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def to_text(self) -> str:
        lines = [d.to_text() for d in self.shown]
        lines.append(f"checked: {self.report.summary()}")
        scope = f" new against {self.against}" if self.against else ""
        others = len(self.shown) - self.errors
        lines.append(f"{self.errors} error(s) and {others} other diagnostic(s){scope}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "against": self.against,
            "summary": self.report.summary(),
            "diagnostics": [d.to_json() for d in self.shown],
            "runs": self.report.to_json()["runs"],
            "baseline": None if self.baseline is None else self.baseline.summary(),
            "exit_code": self.exit_code,
        }

    def to_sarif(self) -> dict[str, Any]:
        return to_sarif(self.report, self.shown)


def _git(repo: Path, *args: str) -> bytes:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=True, timeout=300
        ).stdout
    except subprocess.CalledProcessError as error:
        message = error.stderr.decode("utf-8", "replace").strip()
        raise BadInput(f"git {args[0]} failed: {message}") from error
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BadInput(f"git {args[0]} failed: {error}") from error


def settings_for(tree: Path) -> ValidationSettings:
    """The tree's `.github/maze.toml` as validation settings (defaults when it has none)."""
    config_file = tree / REPO_CONFIG_PATH
    text = config_file.read_text(encoding="utf-8") if config_file.is_file() else ""
    try:
        return ValidationSettings.from_repo_config(parse_repo_config(text, source=str(config_file)))
    except RepoConfigError as error:
        raise BadInput(str(error)) from error


def sandbox_runner(mode: Literal["bubblewrap", "none"]) -> Runner | None:
    """The runner for `--sandbox`: None when bubblewrap is asked for and missing (tests are then skipped)."""
    from maze.sandbox.factory import make_runner

    try:
        return make_runner(mode)
    except SandboxUnavailable:
        return None


def _line_numbers(patched: Any, number: str, kind: str) -> set[int]:
    found: set[int] = set()
    for hunk in patched:
        for line in hunk:
            value = getattr(line, number)
            if getattr(line, kind) and isinstance(value, int):
                found.add(value)
    return found


def changes_since(repo: Path, ref: str) -> tuple[Changed, Changed]:
    """Changed paths with their added lines (working tree) and removed lines (at `ref`)."""
    try:
        top = Path(_git(repo, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    except BadInput as error:
        raise BadInput(f"{repo} is not a git repository; --against needs one ({error})") from error
    if top != repo.resolve():
        raise BadInput(f"{repo} is not the root of its git repository ({top}); --against needs the root")
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except BadInput as error:
        raise BadInput(f"unknown ref {ref!r}: it names no commit of {repo}") from error
    diff = _git(repo, "diff", "--no-color", "--no-ext-diff", "--no-renames", "-U0", ref, "--")
    try:
        patch = PatchSet(io.StringIO(diff.decode("utf-8", "replace")))
    except UnidiffParseError as error:
        raise BadInput(f"cannot read `git diff {ref}`: {error}") from error
    added: Changed = {}
    removed: Changed = {}
    for patched in patch:
        added[patched.path] = _line_numbers(patched, "target_line_no", "is_added")
        removed[patched.path] = _line_numbers(patched, "source_line_no", "is_removed")
    untracked = _git(repo, "ls-files", "-z", "--others", "--exclude-standard").decode().split("\0")
    for path in filter(None, untracked):
        added[path] = None
        removed[path] = None
    return added, removed


def export(repo: Path, ref: str, destination: Path) -> None:
    """The tree of `ref` written into `destination` (git archive, extracted with tarfile's data filter)."""
    archive = _git(repo, "archive", "--format=tar", ref)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")


def _new_test_failures(baseline: Report, report: Report) -> list[Diagnostic]:
    failed_before = baseline.tests_failed
    return [
        d
        for d in report.diagnostics
        if d.tool == TEST_TOOL and d.message.split(" failed: ", 1)[0] not in failed_before
    ]


def run_validate(
    tree: Path,
    *,
    against: str | None,
    runner: Runner | None,
    cache: DiagnosticCache | None,
    settings: ValidationSettings | None = None,
) -> ValidateOutcome:
    """Validate `tree`: everything, or (with `against`) what is new relative to that git ref."""
    if not tree.is_dir():
        raise BadInput(f"{tree} is not a directory")
    settings = settings or settings_for(tree)
    with tempfile.TemporaryDirectory(prefix="maze-validate-state-") as state:
        if against is None:
            everything: Mapping[str, set[int] | None] = dict.fromkeys(Snapshot.of(tree).files)
            report = validate_tree(
                tree, everything, runner=runner, settings=settings, cache=cache, state_dir=Path(state)
            )
            return ValidateOutcome(report, tuple(sorted(report.diagnostics, key=lambda d: d.location)))
        added, removed = changes_since(tree, against)
        report = validate_tree(
            tree, added, runner=runner, settings=settings, cache=cache, state_dir=Path(state)
        )
        with tempfile.TemporaryDirectory(prefix="maze-validate-base-") as base:
            export(tree, against, Path(base))
            baseline = validate_tree(
                Path(base),
                removed,
                runner=runner,
                settings=settings,
                cache=cache,
                state_dir=Path(state),
                baseline=report,
            )
    fresh = [d for d in new_diagnostics(baseline, report) if d.path in added]
    shown = tuple(sorted([*fresh, *_new_test_failures(baseline, report)], key=lambda d: d.location))
    return ValidateOutcome(report, shown, against, baseline)


def render(outcome: ValidateOutcome, output: str) -> str:
    """The outcome as `text`, `json` or `sarif`."""
    if output == "json":
        return json.dumps(outcome.to_json(), indent=2)
    if output == "sarif":
        return json.dumps(outcome.to_sarif(), indent=2)
    return outcome.to_text()
