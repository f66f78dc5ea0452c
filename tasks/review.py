"""The review of one pull-request head: fetch through GitHub, run the engine, persist, post one review."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from gidgethub import GitHubBroken, HTTPException
from sqlalchemy.orm import Session

from bot.github.api import GitHubUnavailable
from bot.github.client import JSON, GitHubClient
from maze.analysis import ChangedFile, FindingResult, analyse_file, is_python
from maze.config import Settings
from maze.diff import FilePatch, parse_patch
from maze.installations import is_suspended
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

POST_ATTEMPTS = 8


@dataclass(frozen=True)
class Outcome:
    run_id: int | None
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


def _marked(reviews: list[JSON], marker: str) -> JSON | None:
    return next((review for review in reviews if marker in str(review.get("body") or "")), None)


async def _post(client: GitHubClient, request: ReviewRequest, draft: ReviewDraft) -> tuple[int, list[JSON]]:
    """Create the review, or update the one an earlier attempt created (found by its hidden marker).

    A create that fails in transit may still have reached GitHub, so every retry looks for the marker first.
    """
    marker = review_marker(request.pr_number, request.head_sha)
    for attempt in range(1, POST_ATTEMPTS + 1):
        existing = _marked(await client.reviews(request.repository, request.pr_number), marker)
        try:
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
            break
        except (GitHubUnavailable, GitHubBroken) as error:
            if attempt == POST_ATTEMPTS:
                raise
            log.warning(
                "posting the review of %s#%s failed (%s); checking for it before attempt %d",
                request.repository,
                request.pr_number,
                describe_error(error),
                attempt + 1,
            )
            await client.back_off(attempt)
    review_id = int(review["id"])
    return review_id, await client.review_comments(request.repository, request.pr_number, review_id)


def _begin(request: ReviewRequest, url: str, repo: JSON) -> tuple[int, RunStage]:
    """Record the delivery and get or create the run; final runs and suspended installations stop here."""
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
            return run.id, run.stage
        run.attempts += 1
        set_stage(session, run, RunStage.FINDING)
        return run.id, run.stage


def _suspended(url: str, installation_id: int) -> bool:
    with session_scope(url) as session:
        return is_suspended(session, installation_id)


def _finish(url: str, run_id: int, stage: RunStage, *, error: str | None = None, **summary: object) -> None:
    with session_scope(url) as session:
        run = _load_run(session, run_id)
        if summary:
            run.summary = dict(summary)
        if error is not None:
            error = f"failed while {run.stage}: {error}"
        set_stage(session, run, stage, error=error)


def _store(
    url: str, request: ReviewRequest, run_id: int, results: list[FindingResult]
) -> tuple[dict[str, int], set[str]]:
    with session_scope(url) as session:
        run = _load_run(session, run_id)
        set_stage(session, run, RunStage.VALIDATING)
        suggestion_ids = {fp: s.id for fp, s in store_results(session, run, results).items()}
        already = posted_fingerprints(session, request.repository_id, request.pr_number, excluding_run=run_id)
        set_stage(session, run, RunStage.POSTING)
        return suggestion_ids, already


def _record_post(
    url: str,
    request: ReviewRequest,
    run_id: int,
    review_id: int,
    comments: list[JSON],
    suggestion_ids: dict[str, int],
) -> None:
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


async def review_pull_request(settings: Settings, request: ReviewRequest) -> Outcome:
    """Run the whole review of `request`; safe to call twice for the same head SHA.

    Database work runs on worker threads so that the shared event loop keeps serving other reviews.
    """
    url = settings.database_url
    if await asyncio.to_thread(_suspended, url, request.installation_id):
        log.info(
            "review of %s#%s skipped: installation %s is suspended",
            request.repository,
            request.pr_number,
            request.installation_id,
        )
        return Outcome(None, RunStage.SKIPPED)
    client = GitHubClient(await runtime.current().github(), request.installation_id)
    repo = await client.repository(request.repository)
    run_id, stage = await asyncio.to_thread(_begin, request, url, repo)
    if stage is not RunStage.FINDING:
        log.info(
            "run %s for %s#%s@%s is %s",
            run_id,
            request.repository,
            request.pr_number,
            request.head_sha[:12],
            stage,
        )
        return Outcome(run_id, stage)
    try:
        return await _review(client, url, request, run_id, str(repo["default_branch"]))
    except Exception as error:
        await asyncio.to_thread(_finish, url, run_id, RunStage.FAILED, error=describe_error(error))
        raise


async def _review(
    client: GitHubClient, url: str, request: ReviewRequest, run_id: int, default_branch: str
) -> Outcome:
    pull = await client.pull_request(request.repository, request.pr_number)
    if str(pull["head"]["sha"]) != request.head_sha or pull.get("state") != "open":
        stage = RunStage.SUPERSEDED if pull.get("state") == "open" else RunStage.SKIPPED
        await asyncio.to_thread(_finish, url, run_id, stage)
        return Outcome(run_id, stage)
    config, notes = await _repo_config(client, request.repository, default_branch)
    files, patches = await _changed_files(client, request, config)
    results = await asyncio.to_thread(
        lambda: [
            result
            for changed in files
            for result in analyse_file(
                changed, run_ruff=config.allows("ruff"), run_syntax=config.allows("syntax")
            )
        ]
    )
    suggestion_ids, already = await asyncio.to_thread(_store, url, request, run_id, results)
    draft = _draft(request, results, patches, config, notes, already)
    if not draft.comments and not results and not notes:
        await asyncio.to_thread(_finish, url, run_id, RunStage.DONE, files=len(files), findings=0, posted=0)
        return Outcome(run_id, RunStage.DONE)
    review_id, comments = await _post(client, request, draft)
    await asyncio.to_thread(_record_post, url, request, run_id, review_id, comments, suggestion_ids)
    await asyncio.to_thread(
        _finish,
        url,
        run_id,
        RunStage.DONE,
        files=len(files),
        findings=len(results),
        posted=len(draft.comments),
    )
    return Outcome(run_id, RunStage.DONE, review_id)


def run_review(request: ReviewRequest) -> Outcome:
    """Synchronous entry for a worker thread or a Celery task: runs on the process's event loop."""
    process = runtime.current()
    return process.run(review_pull_request(process.settings, request))
