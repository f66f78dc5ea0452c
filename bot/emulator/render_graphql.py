"""GitHub's GraphQL objects for the emulator's records: plain dicts the GraphQL executor reads fields from.

Each object carries `__typename` (so interfaces such as `Node` and `Minimizable` resolve); keys starting
with an underscore are the executor's own (sort keys for cursors, a thread's comments to paginate) and are
not fields. Quirks kept from GitHub: a bot's `login` has no `[bot]` suffix in GraphQL (REST says
`maze[bot]`, GraphQL says `maze`); review comments and threads have newer ids (`PRRC_...`, `PRRT_...`),
which REST's `node_id` shares; `minimizedReason` is spelt differently from the classifier (`OFF_TOPIC` ->
`off-topic`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.emulator.globalids import global_id
from bot.emulator.model import Account, IssueComment, Pull, Repository, Review, ReviewComment
from bot.emulator.outdated import Placement
from bot.emulator.render import Site, avatar, iso8601, node_id

MINIMIZED_REASONS: Mapping[str, str] = {
    "ABUSE": "abuse",
    "DUPLICATE": "duplicate",
    "OFF_TOPIC": "off-topic",
    "OUTDATED": "outdated",
    "RESOLVED": "resolved",
    "SPAM": "spam",
}
THREAD_PREFIX = "PRRT"
REVIEW_COMMENT_PREFIX = "PRRC"
ISSUE_COMMENT_PREFIX = "IC"


def thread_id(repo: Repository, root: ReviewComment) -> str:
    """The thread's global id: GitHub numbers a thread like the comment that starts it."""
    return global_id(THREAD_PREFIX, repo.id, root.id)


def review_comment_id(repo: Repository, comment: ReviewComment) -> str:
    return global_id(REVIEW_COMMENT_PREFIX, repo.id, comment.id)


def issue_comment_id(repo: Repository, comment: IssueComment) -> str:
    return global_id(ISSUE_COMMENT_PREFIX, repo.id, comment.id)


def actor_node(site: Site, account: Account) -> dict[str, Any]:
    is_bot = account.type == "Bot"
    login = account.login.removesuffix("[bot]") if is_bot else account.login
    path = f"/apps/{login}" if is_bot else f"/{login}"
    return {
        "__typename": account.type,
        "id": node_id(account.type, account.id),
        "databaseId": account.id,
        "login": login,
        "avatarUrl": avatar(account.id),
        "resourcePath": path,
        "url": site.html_url + path,
    }


def repository_node(site: Site, repo: Repository) -> dict[str, Any]:
    return {
        "__typename": "Repository",
        "id": node_id("Repository", repo.id),
        "databaseId": repo.id,
        "name": repo.name,
        "nameWithOwner": repo.full_name,
        "owner": actor_node(site, repo.owner),
        "isPrivate": repo.private,
        "url": site.repo_html(repo.full_name),
        "_full_name": repo.full_name,
    }


def pull_node(site: Site, repo: Repository, pull: Pull) -> dict[str, Any]:
    return {
        "__typename": "PullRequest",
        "id": node_id("PullRequest", pull.id),
        "databaseId": pull.id,
        "number": pull.number,
        "title": pull.title,
        "body": pull.body,
        "state": pull.state.upper(),
        "isDraft": False,
        "url": f"{site.repo_html(repo.full_name)}/pull/{pull.number}",
        "headRefOid": pull.head_sha,
        "headRefName": pull.head_ref,
        "baseRefName": pull.base_ref,
        "author": actor_node(site, pull.user),
        "createdAt": iso8601(pull.created_at),
        "updatedAt": iso8601(pull.updated_at),
        "repository": repository_node(site, repo),
        "_full_name": repo.full_name,
    }


def review_node(site: Site, review: Review) -> dict[str, Any]:
    return {
        "__typename": "PullRequestReview",
        "id": node_id("PullRequestReview", review.id),
        "databaseId": review.id,
        "state": review.state,
        "body": review.body,
        "author": actor_node(site, review.user),
    }


def _commit(sha: str) -> dict[str, str]:
    return {"oid": sha, "abbreviatedOid": sha[:7]}


def review_comment_node(
    site: Site,
    repo: Repository,
    comment: ReviewComment,
    placement: Placement,
    *,
    review: Review | None,
    reply_to: dict[str, Any] | None,
    viewer_login: str | None,
    can_write: bool,
) -> dict[str, Any]:
    html = f"{site.repo_html(repo.full_name)}/pull/{comment.number}#discussion_r{comment.id}"
    return {
        "__typename": "PullRequestReviewComment",
        "id": review_comment_id(repo, comment),
        "databaseId": comment.id,
        "fullDatabaseId": str(comment.id),
        "body": comment.body,
        "bodyText": comment.body,
        "url": html,
        "path": comment.path,
        "diffHunk": comment.diff_hunk,
        "line": placement.line,
        "startLine": placement.start_line,
        "originalLine": comment.line,
        "originalStartLine": comment.start_line,
        "outdated": placement.outdated,
        "isMinimized": comment.minimized_reason is not None,
        "minimizedReason": comment.minimized_reason,
        "viewerCanMinimize": can_write,
        "viewerDidAuthor": comment.user.login == viewer_login,
        "author": actor_node(site, comment.user),
        "createdAt": iso8601(comment.created_at),
        "updatedAt": iso8601(comment.updated_at),
        "commit": _commit(comment.commit_id),
        "originalCommit": _commit(comment.commit_id),
        "replyTo": reply_to,
        "pullRequestReview": review_node(site, review) if review is not None else None,
        "state": "PENDING" if review is not None and review.state == "PENDING" else "SUBMITTED",
        "_key": comment.id,
    }


def thread_node(
    site: Site,
    repo: Repository,
    root: ReviewComment,
    placement: Placement,
    *,
    comments: list[dict[str, Any]],
    pull: dict[str, Any],
    can_write: bool,
) -> dict[str, Any]:
    resolved = root.thread_resolved
    resolver = root.thread_resolved_by if resolved else None
    return {
        "__typename": "PullRequestReviewThread",
        "id": thread_id(repo, root),
        "isResolved": resolved,
        "isCollapsed": resolved,
        "isOutdated": placement.outdated,
        "path": root.path,
        "line": placement.line,
        "startLine": placement.start_line,
        "originalLine": root.line,
        "originalStartLine": root.start_line,
        "diffSide": root.side,
        "startDiffSide": root.start_side,
        "subjectType": "LINE",
        "resolvedBy": actor_node(site, resolver) if resolver is not None else None,
        "viewerCanResolve": can_write and not resolved,
        "viewerCanUnresolve": can_write and resolved,
        "viewerCanReply": can_write,
        "pullRequest": pull,
        "repository": pull["repository"],
        "_comments": comments,
        "_key": root.id,
    }


def issue_comment_node(
    site: Site, repo: Repository, comment: IssueComment, *, viewer_login: str | None, can_write: bool
) -> dict[str, Any]:
    return {
        "__typename": "IssueComment",
        "id": issue_comment_id(repo, comment),
        "databaseId": comment.id,
        "fullDatabaseId": str(comment.id),
        "body": comment.body,
        "bodyText": comment.body,
        "url": f"{site.repo_html(repo.full_name)}/pull/{comment.number}#issuecomment-{comment.id}",
        "isMinimized": comment.minimized_reason is not None,
        "minimizedReason": comment.minimized_reason,
        "viewerCanMinimize": can_write,
        "viewerDidAuthor": comment.user.login == viewer_login,
        "author": actor_node(site, comment.user),
        "createdAt": iso8601(comment.created_at),
        "updatedAt": iso8601(comment.updated_at),
        "_key": comment.id,
    }
