"""The stages of a review run up to validation (posting is in `tasks.posting`).

Each reads what the previous stage stored, does its work, and commits its results together with the
move to the next stage (compare-and-set), so a run resumes from the last completed stage and a superseded
run's late results are thrown away.

Database work runs on worker threads; GitHub calls run on the process's event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.github.client import JSON, GitHubClient
from maze.analysis import ChangedFile, Problem, Proposal, find_problems, is_python, propose
from maze.diff import parse_patch
from maze.generation.candidates import model_context, model_proposals
from maze.installations import is_suspended
from maze.repo_config import REPO_CONFIG_PATH, RepoConfig, RepoConfigError, parse_repo_config
from maze.run_data import (
    FileRecord,
    as_candidate,
    as_problem,
    files_of,
    findings_of,
    record_verdict,
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
from maze.validators.cache import DatabaseDiagnosticCache
from maze.validators.settings import ValidationSettings
from tasks import runtime
from tasks.proving import Attempt, TreeProof, prove_on_tree, quick_verdicts, runner_for
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


# ----- finding, generating, validating: the engine --------------------------------------------------


async def find(run: RunInfo) -> None:
    config = config_of(run)
    files = await in_db(lambda session: _changed_files(session, run.id))
    problems = await asyncio.to_thread(
        lambda: [
            problem
            for changed in files
            for problem in find_problems(
                changed, run_ruff=config.allows("ruff"), run_syntax=config.allows("syntax")
            )
        ]
    )

    def store(session: Session) -> None:
        save_findings(session, run.id, problems)

    await commit_stage(run, RunStage.FINDING, store, findings=len(problems))


@dataclass(frozen=True)
class _Work:
    """One finding or suggestion to work on, detached from the session that loaded it."""

    row_id: int
    problem: Problem
    text: str
    candidate: Candidate | None = None


async def generate(run: RunInfo) -> None:
    def load(session: Session) -> list[_Work]:
        texts = {changed.path: changed.text for changed in _changed_files(session, run.id)}
        return [
            _Work(finding.id, as_problem(finding), texts[finding.path])
            for finding in findings_of(session, run.id)
            if finding.path in texts
        ]

    work = await in_db(load)
    proposals = await asyncio.to_thread(
        lambda: [(item.row_id, propose(item.problem, item.text)) for item in work]
    )
    model_notes = await _ask_model(work, proposals)

    def store(session: Session) -> None:
        by_id = {finding.id: finding for finding in findings_of(session, run.id)}
        save_proposals(session, [(by_id[row_id], proposal) for row_id, proposal in proposals if proposal])

    await commit_stage(
        run,
        RunStage.GENERATING,
        store,
        candidates=sum(1 for _, p in proposals if p),
        **({"model": model_notes} if model_notes else {}),
    )


async def _ask_model(work: list[_Work], proposals: list[tuple[int, Proposal | None]]) -> dict[str, Any]:
    """Fill in, from the configured model, the findings no tool fixed; what happened, for the summary."""
    provider = runtime.current().model()
    unfixed = [index for index, (_, proposal) in enumerate(proposals) if proposal is None]
    if provider is None or not unfixed:
        return {}
    texts = {item.problem.path: item.text for item in work}
    context = await asyncio.to_thread(model_context, texts)
    outcomes = await model_proposals(
        [(work[index].problem, work[index].text) for index in unfixed],
        provider,
        context,
        max_tokens=runtime.settings().model_max_tokens,
    )
    for index, outcome in zip(unfixed, outcomes, strict=True):
        proposals[index] = (proposals[index][0], outcome.proposal)
    notes = Counter(outcome.note for outcome in outcomes if outcome.proposal is None)
    return {
        "provider": provider.name,
        "asked": len(outcomes),
        "proposed": sum(1 for outcome in outcomes if outcome.proposal),
        "not_proposed": dict(notes),
        "tokens": sum(
            outcome.generation.prompt_tokens + outcome.generation.completion_tokens
            for outcome in outcomes
            if outcome.generation
        ),
    }


async def validate(run: RunInfo) -> None:
    def load(session: Session) -> tuple[list[Attempt], dict[str, set[int] | None]]:
        changed = _changed_files(session, run.id)
        texts = {item.path: item.text for item in changed}
        attempts = [
            Attempt(s.id, as_candidate(s), as_problem(s.finding), texts[s.path])
            for s in suggestions_of(session, run.id, SuggestionStatus.PROPOSED)
            if s.path in texts
        ]
        return attempts, {item.path: set(item.patch.added_lines) for item in changed}

    attempts, changed = await in_db(load)
    verdicts = await asyncio.to_thread(quick_verdicts, attempts)
    survivors = [attempt for attempt in attempts if verdicts[attempt.row_id].valid]
    notes = list(run.summary.get("notes") or [])
    baseline = ""
    if survivors:
        proof = await _prove_on_tree(run, survivors, changed)
        verdicts.update(proof.verdicts)
        notes.extend(note for note in proof.notes if note not in notes)
        baseline = proof.baseline

    def store(session: Session) -> None:
        for suggestion in suggestions_of(session, run.id, SuggestionStatus.PROPOSED):
            if suggestion.id in verdicts:
                record_verdict(suggestion, verdicts[suggestion.id])

    await commit_stage(
        run,
        RunStage.VALIDATING,
        store,
        proven=sum(1 for v in verdicts.values() if v.valid),
        baseline=baseline,
        notes=notes,
    )


async def _prove_on_tree(
    run: RunInfo, attempts: list[Attempt], changed: dict[str, set[int] | None]
) -> TreeProof:
    settings = runtime.settings()
    client = await github_client(run)
    tree = await head_tree(client, run.repository, run.head_sha, settings.work_dir)
    runner, unavailable = runner_for(settings.sandbox)
    if settings.sandbox == "none":
        log.warning("run %s: sandbox = none, repository code runs without isolation", run.id)
    validation = ValidationSettings.from_repo_config(config_of(run))
    proof = await asyncio.to_thread(
        prove_on_tree,
        tree,
        attempts,
        changed,
        runner=runner,
        settings=validation,
        cache=DatabaseDiagnosticCache(settings.database_url),
        state_dir=settings.work_dir / "state" / run.repository,
        scratch=settings.work_dir / "candidates",
    )
    notes = (unavailable,) if unavailable else ()
    return TreeProof(proof.verdicts, proof.baseline, proof.notes + notes)
