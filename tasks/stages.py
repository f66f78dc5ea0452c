"""The stages of a review run. Each reads what the previous stage stored, does its work, and commits its
results together with the move to the next stage (compare-and-set), so a run resumes from the last
completed stage and a superseded run's late results are thrown away.

Database work runs on worker threads; GitHub calls run on the process's event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gidgethub import GitHubBroken, GraphQLException
from sqlalchemy.orm import Session

from bot.github.api import GitHubUnavailable
from bot.github.client import JSON, GitHubClient
from maze.analysis import ChangedFile, Problem, find_problems, is_python, propose, prove
from maze.diff import FilePatch, parse_patch
from maze.installations import is_suspended
from maze.outdated import Fate, fate
from maze.repo_config import REPO_CONFIG_PATH, RepoConfig, RepoConfigError, parse_repo_config
from maze.review import (
    OpenFinding,
    ProvenSuggestion,
    ReviewDraft,
    compose_review,
    fingerprint_in,
    review_marker,
)
from maze.run_data import (
    FileRecord,
    as_candidate,
    as_problem,
    files_of,
    findings_of,
    mark_fate,
    posted_on_earlier_heads,
    record_posted_review,
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
from maze.store.models import ReviewRun, RunStage, Suggestion, SuggestionStatus
from maze.suggestions import Candidate
from maze.validation import Baseline, Verdict
from tasks import runtime

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_000_000
POST_ATTEMPTS = 8


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


async def _commit(run: RunInfo, stage: RunStage, work: Callable[[Session], None], **summary: Any) -> None:
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


async def _client(run: RunInfo) -> GitHubClient:
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
    client = await _client(run)
    config, notes = await _repo_config(client, run)
    records = []
    for item in await client.pull_request_files(run.repository, run.pr_number):
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
    await _commit(
        run,
        RunStage.INDEXING,
        lambda session: save_files(session, run.id, records),
        config=config.model_dump(mode="json"),
        notes=notes,
        files=len(records),
        reviewed_files=sum(1 for r in records if r.content is not None),
    )


def _config(run: RunInfo) -> RepoConfig:
    return RepoConfig.model_validate(run.summary.get("config") or {})


def _changed_files(session: Session, run_id: int) -> list[ChangedFile]:
    return [
        ChangedFile(f.path, f.content, parse_patch(f.path, f.patch))
        for f in files_of(session, run_id)
        if f.content is not None
    ]


# ----- finding, generating, validating: the engine --------------------------------------------------


async def find(run: RunInfo) -> None:
    config = _config(run)
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

    await _commit(run, RunStage.FINDING, store, findings=len(problems))


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

    def store(session: Session) -> None:
        by_id = {finding.id: finding for finding in findings_of(session, run.id)}
        save_proposals(session, [(by_id[row_id], proposal) for row_id, proposal in proposals if proposal])

    await _commit(run, RunStage.GENERATING, store, candidates=sum(1 for _, p in proposals if p))


async def validate(run: RunInfo) -> None:
    def load(session: Session) -> list[_Work]:
        texts = {changed.path: changed.text for changed in _changed_files(session, run.id)}
        return [
            _Work(s.id, as_problem(s.finding), texts[s.path], as_candidate(s))
            for s in suggestions_of(session, run.id, SuggestionStatus.PROPOSED)
            if s.path in texts
        ]

    def prove_all(work: list[_Work]) -> dict[int, Verdict]:
        baselines: dict[str, Baseline] = {}
        verdicts = {}
        for item in work:
            assert item.candidate is not None
            path = item.candidate.path
            baseline = baselines.get(path) or baselines.setdefault(path, Baseline.of(path, item.text))
            verdicts[item.row_id] = prove(item.candidate, item.problem, baseline)
        return verdicts

    verdicts = await asyncio.to_thread(prove_all, await in_db(load))

    def store(session: Session) -> None:
        for suggestion in suggestions_of(session, run.id, SuggestionStatus.PROPOSED):
            if suggestion.id in verdicts:
                record_verdict(suggestion, verdicts[suggestion.id])

    await _commit(run, RunStage.VALIDATING, store, proven=sum(1 for v in verdicts.values() if v.valid))


# ----- posting: one review, exactly once; earlier suggestions applied or outdated ---------------------


@dataclass(frozen=True)
class _Earlier:
    suggestion_id: int
    path: str
    old_text: str
    start_line: int
    end_line: int
    replacement: str
    node_id: str | None
    fingerprint: str


def _to_post(
    session: Session, run: RunInfo
) -> tuple[list[ProvenSuggestion], list[OpenFinding], dict[str, FilePatch]]:
    patches = {f.path: parse_patch(f.path, f.patch) for f in files_of(session, run.id)}
    proven_by_finding = {
        s.finding_id: s
        for s in suggestions_of(session, run.id, SuggestionStatus.VALIDATED, SuggestionStatus.POSTED)
    }
    suggestions: list[ProvenSuggestion] = []
    open_findings: list[OpenFinding] = []
    seen: set[str] = set()
    for finding in findings_of(session, run.id):
        suggestion = proven_by_finding.get(finding.id)
        if suggestion is not None and suggestion.fingerprint in seen:
            continue
        if suggestion is None:
            open_findings.append(
                OpenFinding(finding.path, finding.line, finding.rule, finding.tool, finding.message)
            )
            continue
        seen.add(suggestion.fingerprint)
        suggestions.append(
            ProvenSuggestion(
                path=suggestion.path,
                start_line=suggestion.start_line,
                end_line=suggestion.end_line,
                replacement=suggestion.replacement,
                rule=finding.rule,
                tool=finding.tool,
                message=finding.message,
                description=suggestion.description,
                checks=tuple(suggestion.checks),
                fingerprint=suggestion.fingerprint,
            )
        )
    return suggestions, open_findings, patches


def _earlier(session: Session, run: RunInfo) -> list[_Earlier]:
    stored = session.get(ReviewRun, run.id)
    assert stored is not None
    earlier = []
    for suggestion, comment in posted_on_earlier_heads(session, stored):
        old = next(
            (f.content for f in files_of(session, suggestion.finding.run_id) if f.path == suggestion.path),
            None,
        )
        if old is None:
            continue
        earlier.append(
            _Earlier(
                suggestion.id,
                suggestion.path,
                old,
                suggestion.start_line,
                suggestion.end_line,
                suggestion.replacement,
                comment.node_id,
                suggestion.fingerprint,
            )
        )
    return earlier


async def _settle_earlier(
    client: GitHubClient, run: RunInfo, earlier: list[_Earlier]
) -> tuple[set[str], dict[int, Fate]]:
    """Judge suggestions posted on earlier heads against this head; hide the outdated ones.

    Returns the fingerprints still standing (not to be posted again) and the fate of each that moved on.
    """
    texts = await in_db(lambda session: {f.path: f.content for f in files_of(session, run.id)})
    standing: set[str] = set()
    fates: dict[int, Fate] = {}
    for item in earlier:
        text = texts.get(item.path)
        if text is None:
            raw = await client.file_content(run.repository, item.path, run.head_sha)
            text = raw.decode("utf-8", errors="replace") if raw is not None else None
        verdict = fate(item.old_text, item.start_line, item.end_line, item.replacement, text)
        if verdict is Fate.STANDING:
            standing.add(item.fingerprint)
            continue
        if verdict is Fate.OUTDATED and item.node_id:
            try:
                await client.minimize_comment(item.node_id, "OUTDATED")
            except (GraphQLException, GitHubBroken, GitHubUnavailable) as error:
                log.warning("could not minimize outdated comment %s: %s", item.node_id, error)
                continue
        fates[item.suggestion_id] = verdict
    return standing, fates


def _marked(reviews: list[JSON], marker: str) -> JSON | None:
    return next((review for review in reviews if marker in str(review.get("body") or "")), None)


async def _publish(client: GitHubClient, run: RunInfo, draft: ReviewDraft) -> tuple[int, list[JSON]]:
    """Create the review, or update the one an earlier attempt created (found by its hidden marker).

    A create that fails in transit may still have reached GitHub, so every retry looks for the marker first.
    """
    marker = review_marker(run.id, run.pr_number, run.head_sha)
    process = runtime.current()
    async with process.lock(f"publish:{run.id}", ttl=process.settings.review_timeout_seconds):
        return await _publish_once(client, run, draft, marker)


async def _publish_once(
    client: GitHubClient, run: RunInfo, draft: ReviewDraft, marker: str
) -> tuple[int, list[JSON]]:
    for attempt in range(1, POST_ATTEMPTS + 1):
        existing = _marked(await client.reviews(run.repository, run.pr_number), marker)
        try:
            if existing is not None:
                review = await client.update_review(
                    run.repository, run.pr_number, int(existing["id"]), body=draft.body
                )
            else:
                review = await client.create_review(
                    run.repository,
                    run.pr_number,
                    commit_id=run.head_sha,
                    body=draft.body,
                    comments=draft.api_comments,
                )
            break
        except (GitHubUnavailable, GitHubBroken) as error:
            if attempt == POST_ATTEMPTS:
                raise
            log.warning(
                "posting the review of run %s failed (%s); looking for it before attempt %d",
                run.id,
                error,
                attempt + 1,
            )
            await client.back_off(attempt)
    review_id = int(review["id"])
    return review_id, await client.review_comments(run.repository, run.pr_number, review_id)


async def post(run: RunInfo) -> None:
    client = await _client(run)
    suggestions, open_findings, patches = await in_db(lambda session: _to_post(session, run))
    standing, fates = await _settle_earlier(client, run, await in_db(lambda session: _earlier(session, run)))
    fresh = [s for s in suggestions if s.fingerprint not in standing]
    draft = compose_review(
        run_id=run.id,
        pr_number=run.pr_number,
        head_sha=run.head_sha,
        suggestions=fresh,
        open_findings=open_findings,
        patches=patches,
        max_suggestions=_config(run).max_suggestions,
        notes=[str(note) for note in run.summary.get("notes") or []],
    )
    review: tuple[int, list[JSON]] | None = None
    if draft.comments or open_findings or run.summary.get("notes"):
        review = await _publish(client, run, draft)

    def store(session: Session) -> None:
        for suggestion_id, verdict in fates.items():
            earlier = session.get(Suggestion, suggestion_id)
            if earlier is not None and earlier.status is SuggestionStatus.POSTED:
                mark_fate(session, earlier, SuggestionStatus(str(verdict)), {"head": run.head_sha})
        if review is None:
            return
        review_id, comments = review
        by_fingerprint = {
            s.fingerprint: s for s in suggestions_of(session, run.id, SuggestionStatus.VALIDATED)
        }
        rows = []
        for comment in comments:
            suggestion = by_fingerprint.get(fingerprint_in(str(comment.get("body") or "")) or "")
            rows.append(
                (
                    suggestion,
                    int(comment["id"]),
                    comment.get("node_id"),
                    str(comment["path"]),
                    int(comment.get("line") or 0),
                )
            )
        stored = session.get(ReviewRun, run.id)
        assert stored is not None
        record_posted_review(
            session,
            stored,
            github_review_id=review_id,
            marker=review_marker(run.id, run.pr_number, run.head_sha),
            comments=rows,
        )

    await _commit(
        run,
        RunStage.POSTING,
        store,
        posted=len(draft.comments),
        review_id=review[0] if review else None,
        outdated=sum(1 for f in fates.values() if f is Fate.OUTDATED),
        applied=sum(1 for f in fates.values() if f is Fate.APPLIED),
    )


STAGES: dict[RunStage, Callable[[RunInfo], Awaitable[None]]] = {
    RunStage.INDEXING: index,
    RunStage.FINDING: find,
    RunStage.GENERATING: generate,
    RunStage.VALIDATING: validate,
    RunStage.POSTING: post,
}
