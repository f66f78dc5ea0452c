"""The posting stage: one review per run, exactly once; the fate of suggestions posted on earlier heads."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gidgethub import GitHubBroken, GraphQLException
from sqlalchemy.orm import Session

from bot.github.api import GitHubUnavailable
from bot.github.client import JSON, GitHubClient
from maze.diff import FilePatch, parse_patch
from maze.outdated import Fate, fate
from maze.review import (
    OpenFinding,
    ProvenSuggestion,
    ReviewDraft,
    compose_review,
    fingerprint_in,
    review_marker,
)
from maze.run_data import (
    files_of,
    findings_of,
    mark_fate,
    posted_on_earlier_heads,
    record_posted_review,
    suggestions_of,
)
from maze.store.models import ReviewRun, RunStage, Suggestion, SuggestionStatus
from tasks import runtime
from tasks.command_posting import post_thread_reply
from tasks.command_replies import answers_in_thread
from tasks.stages import RunInfo, commit_stage, config_of, github_client, in_db

log = logging.getLogger(__name__)

POST_ATTEMPTS = 8


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
    seen: set[object] = set()
    for finding in findings_of(session, run.id):
        suggestion = proven_by_finding.get(finding.id)
        if suggestion is not None and (
            suggestion.fingerprint in seen
            or (suggestion.path, suggestion.start_line, suggestion.end_line, suggestion.replacement) in seen
        ):
            continue
        if suggestion is None:
            open_findings.append(
                OpenFinding(finding.path, finding.line, finding.rule, finding.tool, finding.message)
            )
            continue
        seen.add(suggestion.fingerprint)
        seen.add((suggestion.path, suggestion.start_line, suggestion.end_line, suggestion.replacement))
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
                finding_line=finding.line,
                original=suggestion.original,
                why=str(finding.detail.get("why") or ""),
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


def _max_suggestions(run: RunInfo) -> int:
    """The repository's limit, or a `/maze fix` run's own (`max_suggestions` in its summary)."""
    own = run.summary.get("max_suggestions")
    return own if isinstance(own, int) and own > 0 else config_of(run).max_suggestions


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
    if answers_in_thread(run.summary):
        await post_thread_reply(run)  # a `/maze fix` in a line thread is answered there, not by a review
        return
    client = await github_client(run)
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
        max_suggestions=int(str(run.summary.get("max_suggestions") or config_of(run).max_suggestions)),
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

    await commit_stage(
        run,
        RunStage.POSTING,
        store,
        posted=len(draft.comments),
        review_id=review[0] if review else None,
        outdated=sum(1 for f in fates.values() if f is Fate.OUTDATED),
        applied=sum(1 for f in fates.values() if f is Fate.APPLIED),
    )
