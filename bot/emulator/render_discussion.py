"""GitHub's JSON for conversation and checks: reviews, review and issue comments, reactions, check runs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.emulator.model import Account, CheckRun, IssueComment, Reaction, Repository, Review, ReviewComment
from bot.emulator.render import (
    Site,
    app_json,
    author_association,
    iso8601,
    node_id,
    optional_iso8601,
    reactions_rollup,
    user_json,
)
from bot.emulator.render_graphql import issue_comment_id, review_comment_id


def review_json(site: Site, review: Review) -> dict[str, Any]:
    api_pull = f"{site.repo_api(review.full_name)}/pulls/{review.number}"
    html = f"{site.repo_html(review.full_name)}/pull/{review.number}#pullrequestreview-{review.id}"
    rendered: dict[str, Any] = {
        "id": review.id,
        "node_id": node_id("PullRequestReview", review.id),
        "user": user_json(site, review.user),
        "body": review.body,
        "state": review.state,
        "html_url": html,
        "pull_request_url": api_pull,
        "author_association": "NONE",
        "_links": {"html": {"href": html}, "pull_request": {"href": api_pull}},
        "commit_id": review.commit_id,
    }
    if review.submitted_at is not None:
        rendered["submitted_at"] = iso8601(review.submitted_at)
    return rendered


def review_comment_json(
    site: Site, repo: Repository, comment: ReviewComment, reactions: Iterable[Reaction]
) -> dict[str, Any]:
    api_pull = f"{site.repo_api(comment.full_name)}/pulls/{comment.number}"
    url = f"{site.repo_api(comment.full_name)}/pulls/comments/{comment.id}"
    html = f"{site.repo_html(comment.full_name)}/pull/{comment.number}#discussion_r{comment.id}"
    rendered: dict[str, Any] = {
        "url": url,
        "pull_request_review_id": comment.review_id,
        "id": comment.id,
        "node_id": review_comment_id(repo, comment),
        "diff_hunk": comment.diff_hunk,
        "path": comment.path,
        "position": comment.position,
        "original_position": comment.position,
        "commit_id": comment.commit_id,
        "original_commit_id": comment.commit_id,
        "user": user_json(site, comment.user),
        "body": comment.body,
        "created_at": iso8601(comment.created_at),
        "updated_at": iso8601(comment.updated_at),
        "html_url": html,
        "pull_request_url": api_pull,
        "author_association": author_association(repo, comment.user),
        "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": api_pull}},
        "reactions": reactions_rollup(f"{url}/reactions", reactions),
        "start_line": comment.start_line,
        "original_start_line": comment.start_line,
        "start_side": comment.start_side,
        "line": comment.line,
        "original_line": comment.line,
        "side": comment.side,
        "subject_type": "line",
    }
    if comment.in_reply_to_id is not None:
        rendered["in_reply_to_id"] = comment.in_reply_to_id
    return rendered


def issue_comment_json(
    site: Site, repo: Repository, comment: IssueComment, reactions: Iterable[Reaction], app_owner: Account
) -> dict[str, Any]:
    api = site.repo_api(comment.full_name)
    url = f"{api}/issues/comments/{comment.id}"
    return {
        "url": url,
        "html_url": f"{site.repo_html(comment.full_name)}/pull/{comment.number}#issuecomment-{comment.id}",
        "issue_url": f"{api}/issues/{comment.number}",
        "id": comment.id,
        "node_id": issue_comment_id(repo, comment),
        "user": user_json(site, comment.user),
        "created_at": iso8601(comment.created_at),
        "updated_at": iso8601(comment.updated_at),
        "author_association": author_association(repo, comment.user),
        "body": comment.body,
        "reactions": reactions_rollup(f"{url}/reactions", reactions),
        "performed_via_github_app": app_json(site, app_owner) if comment.via_app else None,
    }


def reaction_json(site: Site, reaction: Reaction) -> dict[str, Any]:
    return {
        "id": reaction.id,
        "node_id": node_id("Reaction", reaction.id),
        "user": user_json(site, reaction.user),
        "content": reaction.content,
        "created_at": iso8601(reaction.created_at),
    }


def check_run_json(
    site: Site, run: CheckRun, app_owner: Account, pull_requests: list[dict[str, Any]]
) -> dict[str, Any]:
    api = site.repo_api(run.full_name)
    url = f"{api}/check-runs/{run.id}"
    html = f"{site.repo_html(run.full_name)}/runs/{run.id}"
    return {
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": node_id("CheckRun", run.id),
        "external_id": run.external_id or "",
        "url": url,
        "html_url": html,
        "details_url": run.details_url or f"{site.html_url}/apps/{site.app_slug}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": optional_iso8601(run.started_at),
        "completed_at": optional_iso8601(run.completed_at),
        "output": {
            "title": run.output.get("title"),
            "summary": run.output.get("summary"),
            "text": run.output.get("text"),
            "annotations_count": len(run.annotations),
            "annotations_url": f"{url}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": run.check_suite_id},
        "app": app_json(site, app_owner),
        "pull_requests": pull_requests,
    }


def annotation_json(run: CheckRun, annotation: dict[str, Any], site: Site) -> dict[str, Any]:
    """One entry of `check-runs/{id}/annotations`."""
    return {
        "path": annotation["path"],
        "start_line": annotation["start_line"],
        "end_line": annotation["end_line"],
        "start_column": annotation.get("start_column"),
        "end_column": annotation.get("end_column"),
        "annotation_level": annotation["annotation_level"],
        "title": annotation.get("title"),
        "message": annotation["message"],
        "raw_details": annotation.get("raw_details"),
        "blob_href": f"{site.repo_html(run.full_name)}/blob/{run.head_sha}/{annotation['path']}",
    }
