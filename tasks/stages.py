"""The stages of a review run up to validation (posting is in `tasks.posting`).

Each reads what the previous stage stored, does its work, and commits its results together with the
move to the next stage (compare-and-set), so a run resumes from the last completed stage and a superseded
run's late results are thrown away.

Database work runs on worker threads; GitHub calls run on the process's event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.github.client import JSON, GitHubClient
from maze.analysis import ChangedFile, Problem, Proposal, as_proposal, is_python
from maze.diff import parse_patch
from maze.installations import is_suspended
from maze.repair.engine import EngineOptions, Focus, Repairer, tier_of
from maze.repair.engine import generate as generate_candidates
from maze.repair.findings import findings_from_report
from maze.repair.project import Project
from maze.repair.prover import TreeProver, skipped_notes
from maze.repo_config import REPO_CONFIG_PATH, RepoConfig, RepoConfigError, parse_repo_config
from maze.run_data import (
    FileRecord,
    as_candidate,
    as_problem,
    files_of,
    findings_of,
    record_outcomes,
    save_files,
    save_findings,
    save_proposals,
    suggestions_of,
)
from maze.runs import (
    ReviewRequest,
    ensure_repository,
    get_or_create_run,
    next_stage,
    record_delivery,
    supersede_other_heads,
    transition,
)
from maze.store.db import session_scope
from maze.store.models import ReviewRun, RunStage, SuggestionStatus
from maze.suggestions import Candidate
from maze.validators.settings import ValidationSettings
from tasks import runtime
from tasks.proving import tree_prover
from tasks.repo_index import RepositoryUnreadable, index_at_head
from tasks.trees import head_tree

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_000_000


class StageLost(RuntimeError):
    """The run moved on (superseded, or another worker finished the stage) while this stage worked."""


@dataclass(frozen=True)
class RunInfo:
    id: int
    stage: RunStage
    installation_id: int
    repository: str
    default_branch: str
    pr_number: int
    head_sha: str
    summary: dict[str, Any]


def run_info(session: Session, run_id: int) -> RunInfo:
    run = session.get(ReviewRun, run_id)
    if run is None:
        raise LookupError(f"review run {run_id} does not exist")
    repository = run.repository
    return RunInfo(
        run.id,
        run.stage,
        repository.installation_id,
        repository.full_name,
        repository.default_branch,
        run.pr_number,
        run.head_sha,
        dict(run.summary),
    )


def _database() -> str:
    return runtime.settings().database_url


async def in_db(work: Callable[[Session], Any]) -> Any:
    def unit() -> Any:
        with session_scope(_database()) as session:
            return work(session)

    return await asyncio.to_thread(unit)


async def commit_stage(
    run: RunInfo, stage: RunStage, work: Callable[[Session], None], **summary: Any
) -> None:
    """Store a stage's results and move the run to the next stage in one transaction, or not at all."""

    def unit(session: Session) -> None:
        work(session)
        if summary:
            stored = session.get(ReviewRun, run.id)
            assert stored is not None
            stored.summary = {**stored.summary, **summary}
        if not transition(session, run.id, stage, next_stage(stage)):
            raise StageLost(f"run {run.id} left {stage} while the stage worked")

    await in_db(unit)


async def github_client(run: RunInfo) -> GitHubClient:
    return GitHubClient(await runtime.current().github(), run.installation_id)


# ----- start: pick the head to review, supersede the others -----------------------------------------


async def start(request: ReviewRequest) -> tuple[int, RunStage] | None:
    """Create (or find) the run for the PR's *current* head; returns it with the stage to schedule.

    A run found part-way (a redelivered start after a crash) gets its current stage scheduled again.
    """
    if await in_db(lambda session: is_suspended(session, request.installation_id)):
        log.info(
            "%s#%s skipped: installation %s is suspended",
            request.repository,
            request.pr_number,
            request.installation_id,
        )
        return None
    client = GitHubClient(await runtime.current().github(), request.installation_id)
    repo = await client.repository(request.repository)
    pull = await client.pull_request(request.repository, request.pr_number)
    head = str(pull["head"]["sha"])

    def begin(session: Session) -> tuple[int, RunStage] | None:
        record_delivery(session, request)
        ensure_repository(
            session,
            request,
            account_login=str(repo["owner"]["login"]),
            default_branch=str(repo["default_branch"]),
        )
        run = get_or_create_run(session, request, head_sha=head)
        stopped = supersede_other_heads(session, run)
        if stopped:
            log.info(
                "runs %s superseded by %s#%s@%s", stopped, request.repository, request.pr_number, head[:12]
            )
        if run.stage.is_final:
            return None
        if run.stage is not RunStage.QUEUED:
            return run.id, run.stage
        if pull.get("state") != "open":
            transition(
                session, run.id, RunStage.QUEUED, RunStage.SKIPPED, detail="the pull request is closed"
            )
            return None
        if not transition(session, run.id, RunStage.QUEUED, RunStage.INDEXING):
            return None
        return run.id, RunStage.INDEXING

    result: tuple[int, RunStage] | None = await in_db(begin)
    return result


# ----- indexing: read the changed files and the repository's configuration ---------------------------


async def _repo_config(client: GitHubClient, run: RunInfo) -> tuple[RepoConfig, list[str]]:
    raw = await client.file_content(run.repository, REPO_CONFIG_PATH, run.default_branch)
    if raw is None:
        return RepoConfig(), []
    source = f"{run.repository}:{REPO_CONFIG_PATH}@{run.default_branch}"
    try:
        return parse_repo_config(raw.decode("utf-8"), source=source), []
    except (RepoConfigError, UnicodeDecodeError) as error:
        return RepoConfig(), [f"`{REPO_CONFIG_PATH}` was ignored and defaults used: {error}"]


def _skip_reason(item: JSON, config: RepoConfig) -> str | None:
    path = str(item["filename"])
    if item.get("status") == "removed":
        return "removed"
    if config.is_ignored(path):
        return "ignored by .github/maze.toml"
    if not is_python(path):
        return "language not reviewed yet"
    if not item.get("patch"):
        return "no diff (binary, too large or renamed only)"
    return None


async def index(run: RunInfo) -> None:
    client = await github_client(run)
    config, notes = await _repo_config(client, run)
    files = await client.pull_request_files(run.repository, run.pr_number)
    try:
        report = await index_at_head(
            client,
            run.repository,
            run.head_sha,
            in_db,
            ignored=config.is_ignored,
            changed=frozenset(str(item["filename"]) for item in files),
        )
        index_summary = report.to_json(list_limit=20)
    except RepositoryUnreadable as error:
        notes.append(f"The repository could not be indexed: {error}")
        index_summary = {"error": str(error)}
    records = []
    for item in files:
        path = str(item["filename"])
        skipped = _skip_reason(item, config)
        content = None
        if skipped is None:
            raw = await client.file_content(run.repository, path, run.head_sha)
            if raw is None:
                skipped = "not found at the head"
            elif len(raw) > MAX_FILE_BYTES:
                skipped = f"larger than {MAX_FILE_BYTES} bytes"
            else:
                content = raw.decode("utf-8", errors="replace")
        records.append(
            FileRecord(path, str(item.get("status")), item.get("sha"), item.get("patch"), content, skipped)
        )
    await commit_stage(
        run,
        RunStage.INDEXING,
        lambda session: save_files(session, run.id, records),
        config=config.model_dump(mode="json"),
        notes=notes,
        files=len(records),
        reviewed_files=sum(1 for r in records if r.content is not None),
        index=index_summary,
    )


def config_of(run: RunInfo) -> RepoConfig:
    return RepoConfig.model_validate(run.summary.get("config") or {})


def _changed_files(session: Session, run_id: int) -> list[ChangedFile]:
    return [
        ChangedFile(f.path, f.content, parse_patch(f.path, f.patch))
        for f in files_of(session, run_id)
        if f.content is not None
    ]


def _changed(session: Session, run_id: int) -> tuple[dict[str, set[int] | None], dict[str, str]]:
    """The reviewed files' added lines and texts."""
    files = _changed_files(session, run_id)
    return {f.path: set(f.patch.added_lines) for f in files}, {f.path: f.text for f in files}


def focus_of(run: RunInfo) -> Focus | None:
    """The lines a `/maze fix` on a review thread asked about, stored in the run's summary."""
    raw = run.summary.get("focus")
    if not isinstance(raw, dict):
        return None
    return Focus(str(raw["path"]), int(raw["start_line"]), int(raw["end_line"]))


async def _prover(run: RunInfo) -> tuple[Path, TreeProver, str | None]:
    """The head's files on disk and the prover for them (its baseline is cached by file contents)."""
    settings = runtime.settings()
    tree = await head_tree(await github_client(run), run.repository, run.head_sha, settings.work_dir)
    changed, _ = await in_db(lambda session: _changed(session, run.id))
    prover, unavailable = tree_prover(
        tree,
        changed,
        repository=run.repository,
        sandbox=settings.sandbox,
        database_url=settings.database_url,
        work_dir=settings.work_dir,
        settings=ValidationSettings.from_repo_config(config_of(run)),
    )
    return tree, prover, unavailable


def _project(tree: Path) -> Project:
    with session_scope(_database()) as session:
        return Project.load(tree, session)


# ----- finding, generating, validating: the engine --------------------------------------------------


async def find(run: RunInfo) -> None:
    """Validate the head once; its diagnostics on the changed lines are the run's findings."""
    _, prover, unavailable = await _prover(run)
    baseline = await asyncio.to_thread(lambda: prover.baseline)
    _, texts = await in_db(lambda session: _changed(session, run.id))
    problems = findings_from_report(baseline, prover.changed, texts)
    focus = focus_of(run)
    if focus is not None:
        problems = [problem for problem in problems if focus.holds(problem)]
    notes = list(run.summary.get("notes") or [])
    extra = skipped_notes(baseline) + ((unavailable,) if unavailable else ())
    notes.extend(note for note in extra if note not in notes)

    def store(session: Session) -> None:
        save_findings(session, run.id, problems)

    await commit_stage(
        run, RunStage.FINDING, store, findings=len(problems), baseline=baseline.summary(), notes=notes
    )


@dataclass(frozen=True)
class _Work:
    """One finding to work on, detached from the session that loaded it."""

    row_id: int
    problem: Problem
    text: str


def _work(session: Session, run_id: int) -> list[_Work]:
    _, texts = _changed(session, run_id)
    return [
        _Work(finding.id, as_problem(finding), texts[finding.path])
        for finding in findings_of(session, run_id)
        if finding.path in texts
    ]


async def generate(run: RunInfo) -> None:
    """Store each finding's cheap candidates: ruff's safe fix and the symbolic repairs."""
    work = await in_db(lambda session: _work(session, run.id))
    tree = await head_tree(
        await github_client(run), run.repository, run.head_sha, runtime.settings().work_dir
    )
    project = await asyncio.to_thread(_project, tree)

    def candidates() -> list[tuple[int, Proposal]]:
        return [
            (item.row_id, as_proposal(item.problem, candidate, item.text))
            for item in work
            for tier in ("autofix", "symbolic")
            for candidate in generate_candidates(item.problem, tier, item.text, project)
        ]

    proposals = await asyncio.to_thread(candidates)

    def store(session: Session) -> None:
        by_id = {finding.id: finding for finding in findings_of(session, run.id)}
        save_proposals(session, [(by_id[row_id], proposal) for row_id, proposal in proposals])

    await commit_stage(run, RunStage.GENERATING, store, candidates=len(proposals))


@dataclass(frozen=True)
class _Stored:
    row_id: int
    finding_id: int
    tier: str
    candidate: Candidate


def _stored(session: Session, run_id: int) -> list[_Stored]:
    return [
        _Stored(s.id, s.finding_id, tier_of(s.source), as_candidate(s))
        for s in suggestions_of(session, run_id, SuggestionStatus.PROPOSED)
    ]


def _edit(candidate: Candidate) -> tuple[str, int, int, str]:
    return (candidate.path, candidate.start_line, candidate.end_line, candidate.replacement)


async def validate(run: RunInfo) -> None:
    """Prove the stored candidates tier by tier, ask the model where none is proven, choose per finding."""
    tree, prover, _ = await _prover(run)
    work = await in_db(lambda session: _work(session, run.id))
    stored = await in_db(lambda session: _stored(session, run.id))
    finding_of = {item.problem: item.row_id for item in work}
    texts = {item.problem.path: item.text for item in work}

    def source(problem: Problem, tier: str) -> list[Candidate]:
        row = finding_of[problem]
        return [item.candidate for item in stored if item.finding_id == row and item.tier == tier]

    provider = runtime.current().model()
    settings = runtime.settings()
    options = EngineOptions(
        provider=provider, rounds=settings.model_rounds, max_tokens=settings.model_max_tokens
    )
    project = await asyncio.to_thread(_project, tree) if provider else Project.of(tree, {})
    repairer = Repairer(prover, project, texts, options, source)
    try:
        outcomes = [(item.row_id, await repairer.repair(item.problem)) for item in work]
    finally:
        repairer.close()

    def store(session: Session) -> None:
        record_outcomes(session, run.id, outcomes)

    await commit_stage(
        run,
        RunStage.VALIDATING,
        store,
        proven=sum(1 for _, outcome in outcomes if outcome.chosen),
        **({"model": repairer.model_summary()} if provider else {}),
    )
