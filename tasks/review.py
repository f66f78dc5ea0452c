"""The review of one pull-request head: fetch through GitHub, run the engine, persist, post one review."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp
from gidgethub import HTTPException
from sqlalchemy.orm import Session

from bot.github.client import JSON, GitHubClient
from maze.analysis import ChangedFile, FindingResult, analyse_file, is_python
from maze.config import Settings
from maze.diff import FilePatch, parse_patch
from maze.repo_config import REPO_CONFIG_PATH, RepoConfig, RepoConfigError, parse_repo_config
from maze.review import (
    OpenFinding,
    ProvenSuggestion,
    ReviewDraft,
    compose_review,
    fingerprint_in,
    review_marker,
)
from maze.runs import (
    ReviewRequest,
    ensure_repository,
    get_or_create_run,
    posted_fingerprints,
    record_delivery,
    record_posted_review,
    set_stage,
    store_results,
)
from maze.store.db import session_scope
from maze.store.models import ReviewRun, RunStage, Suggestion
from tasks import runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    run_id: int
    stage: RunStage
    review_id: int | None = None


def describe_error(error: BaseException) -> str:
    """A one-line reason for the run's record: GitHub's status code when GitHub refused."""
    if isinstance(error, HTTPException):
        return f"GitHub answered HTTP {int(error.status_code)}: {error}"
    return f"{type(error).__name__}: {error}"


def _load_run(session: Session, run_id: int) -> ReviewRun:
    run = session.get(ReviewRun, run_id)
    if run is None:
        raise LookupError(f"review run {run_id} does not exist")
    return run


async def _repo_config(
    client: GitHubClient, full_name: str, default_branch: str
) -> tuple[RepoConfig, list[str]]:
    """The repository's configuration from its default branch; a broken file is reported, not fatal."""
    raw = await client.file_content(full_name, REPO_CONFIG_PATH, default_branch)
    if raw is None:
        return RepoConfig(), []
    source = f"{full_name}:{REPO_CONFIG_PATH}@{default_branch}"
    try:
        return parse_repo_config(raw.decode("utf-8"), source=source), []
    except (RepoConfigError, UnicodeDecodeError) as error:
        return RepoConfig(), [f"`{REPO_CONFIG_PATH}` was ignored and defaults used: {error}"]


async def _changed_files(
    client: GitHubClient, request: ReviewRequest, config: RepoConfig
) -> tuple[list[ChangedFile], dict[str, FilePatch]]:
    files: list[ChangedFile] = []
    patches: dict[str, FilePatch] = {}
    for item in await client.pull_request_files(request.repository, request.pr_number):
        path = str(item["filename"])
        patch = parse_patch(path, item.get("patch"))
        patches[path] = patch
        if (
            item.get("status") == "removed"
            or not is_python(path)
            or config.is_ignored(path)
            or not patch.hunks
        ):
            continue
        raw = await client.file_content(request.repository, path, request.head_sha)
        if raw is None:
            continue
        files.append(ChangedFile(path, raw.decode("utf-8", errors="replace"), patch))
    return files, patches


def _draft(
    request: ReviewRequest,
    results: list[FindingResult],
    patches: dict[str, FilePatch],
    config: RepoConfig,
    notes: list[str],
    already_posted: set[str],
) -> ReviewDraft:
    suggestions: list[ProvenSuggestion] = []
    open_findings: list[OpenFinding] = []
    seen: set[str] = set()
    for result in results:
        proven = result.proven_suggestion()
        if proven is None:
            open_findings.append(
                OpenFinding(result.path, result.line, result.rule, result.tool, result.message)
            )
        elif proven.fingerprint not in seen and proven.fingerprint not in already_posted:
            seen.add(proven.fingerprint)
            suggestions.append(proven)
    return compose_review(
        pr_number=request.pr_number,
        head_sha=request.head_sha,
        suggestions=suggestions,
        open_findings=open_findings,
        patches=patches,
        max_suggestions=config.max_suggestions,
        notes=notes,
    )


async def _post(client: GitHubClient, request: ReviewRequest, draft: ReviewDraft) -> tuple[int, list[JSON]]:
    """Create the review, or update the one a previous attempt already created (found by its marker)."""
    marker = review_marker(request.pr_number, request.head_sha)
    existing = next(
        (
            review
            for review in await client.reviews(request.repository, request.pr_number)
            if marker in str(review.get("body") or "")
        ),
        None,
    )
    if existing is not None:
        review = await client.update_review(
            request.repository, request.pr_number, int(existing["id"]), body=draft.body
        )
    else:
        review = await client.create_review(
            request.repository,
            request.pr_number,
            commit_id=request.head_sha,
            body=draft.body,
            comments=draft.api_comments,
        )
    review_id = int(review["id"])
    return review_id, await client.review_comments(request.repository, request.pr_number, review_id)


async def review_pull_request(settings: Settings, request: ReviewRequest) -> Outcome:
    """Run the whole review of `request`; safe to call twice for the same head SHA."""
    url = settings.database_url
    async with aiohttp.ClientSession() as http:
        client = GitHubClient(
            http, runtime.app_auth(), request.installation_id, base_url=settings.github_api_url
        )
        repo = await client.repository(request.repository)
        with session_scope(url) as session:
            record_delivery(session, request)
            ensure_repository(
                session,
                request,
                account_login=str(repo["owner"]["login"]),
                default_branch=str(repo["default_branch"]),
            )
            run = get_or_create_run(session, request)
            if run.stage.is_final:
                log.info(
                    "run %s for %s#%s@%s is already %s",
                    run.id,
                    request.repository,
                    request.pr_number,
                    request.head_sha[:12],
                    run.stage,
                )
                return Outcome(run.id, run.stage)
            run.attempts += 1
            set_stage(session, run, RunStage.FINDING)
            run_id = run.id
        try:
            return await _review(client, settings, request, run_id, str(repo["default_branch"]))
        except Exception as error:
            with session_scope(url) as session:
                run = _load_run(session, run_id)
                set_stage(
                    session, run, RunStage.FAILED, error=f"failed while {run.stage}: {describe_error(error)}"
                )
            raise


async def _review(
    client: GitHubClient, settings: Settings, request: ReviewRequest, run_id: int, default_branch: str
) -> Outcome:
    url = settings.database_url
    pull = await client.pull_request(request.repository, request.pr_number)
    if str(pull["head"]["sha"]) != request.head_sha or pull.get("state") != "open":
        stage = RunStage.SUPERSEDED if pull.get("state") == "open" else RunStage.SKIPPED
        with session_scope(url) as session:
            set_stage(session, _load_run(session, run_id), stage)
        return Outcome(run_id, stage)
    config, notes = await _repo_config(client, request.repository, default_branch)
    files, patches = await _changed_files(client, request, config)
    results = await asyncio.to_thread(
        lambda: [
            r
            for f in files
            for r in analyse_file(f, run_ruff=config.allows("ruff"), run_syntax=config.allows("syntax"))
        ]
    )
    with session_scope(url) as session:
        run = _load_run(session, run_id)
        set_stage(session, run, RunStage.VALIDATING)
        suggestion_ids = {fp: s.id for fp, s in store_results(session, run, results).items()}
        already = posted_fingerprints(session, request.repository_id, request.pr_number, excluding_run=run_id)
        set_stage(session, run, RunStage.POSTING)
    draft = _draft(request, results, patches, config, notes, already)
    if not draft.comments and not results and not notes:
        with session_scope(url) as session:
            run = _load_run(session, run_id)
            run.summary = {"files": len(files), "findings": 0, "posted": 0}
            set_stage(session, run, RunStage.DONE)
        return Outcome(run_id, RunStage.DONE)
    review_id, comments = await _post(client, request, draft)
    with session_scope(url) as session:
        run = _load_run(session, run_id)
        rows: list[tuple[Suggestion | None, int, str, int]] = []
        for comment in comments:
            fingerprint = fingerprint_in(str(comment.get("body") or ""))
            suggestion = (
                session.get(Suggestion, suggestion_ids[fingerprint])
                if fingerprint in suggestion_ids
                else None
            )
            rows.append((suggestion, int(comment["id"]), str(comment["path"]), int(comment.get("line") or 0)))
        record_posted_review(
            session,
            run,
            github_review_id=review_id,
            marker=review_marker(request.pr_number, request.head_sha),
            comments=rows,
        )
        run.summary = {"files": len(files), "findings": len(results), "posted": len(draft.comments)}
        set_stage(session, run, RunStage.DONE)
    return Outcome(run_id, RunStage.DONE, review_id)


def run_review(request: ReviewRequest) -> Outcome:
    """Synchronous entry for a worker thread or a Celery task: one event loop for the whole review."""
    return asyncio.run(review_pull_request(runtime.settings(), request))
