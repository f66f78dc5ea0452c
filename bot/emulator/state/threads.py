"""Review threads and minimized comments: what GitHub's GraphQL API reads and changes, and test helpers.

A thread is a top-level review comment and its replies; its resolution lives on the top-level comment and
its global id (`PRRT_...`) carries that comment's id. Whether a thread is outdated is worked out from the
commits (see `bot.emulator.outdated`). Minimizing hides a review or issue comment behind a reason; REST
does not show it (GitHub's REST comments do not either).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.emulator.diffing import Side
from bot.emulator.errors import invalid_request
from bot.emulator.globalids import parse_global_id, parse_legacy_id
from bot.emulator.model import IssueComment, Pull, Repository, ReviewComment
from bot.emulator.outdated import Placement, follow_lines, in_diff
from bot.emulator.render_graphql import (
    ISSUE_COMMENT_PREFIX,
    MINIMIZED_REASONS,
    REVIEW_COMMENT_PREFIX,
    THREAD_PREFIX,
    issue_comment_node,
    pull_node,
    repository_node,
    review_comment_node,
    thread_id,
    thread_node,
)
from bot.emulator.state.discussion import DiscussionState

NodeKind = Literal["thread", "review_comment", "issue_comment", "pull_request", "repository"]
_PREFIXES: dict[str, NodeKind] = {
    THREAD_PREFIX: "thread",
    REVIEW_COMMENT_PREFIX: "review_comment",
    ISSUE_COMMENT_PREFIX: "issue_comment",
}
_COMMENTS_DOCS = "https://docs.github.com/graphql/reference/mutations#minimizecomment"
_Thread = tuple[ReviewComment, list[ReviewComment]]


@dataclass(frozen=True)
class NodeRef:
    """What a global id names: a kind of object, its repository, and its database id (a pull request's
    number for `pull_request`)."""

    kind: NodeKind
    full_name: str
    id: int


class ThreadState(DiscussionState):
    """Review threads (resolution, outdatedness), minimized comments, and their GraphQL objects."""

    # ----- threads -----------------------------------------------------------------------------------

    def resolve_review_thread(
        self,
        full_name: str,
        comment_id: int,
        *,
        resolved: bool = True,
        resolver_login: str | None = "octocat",
    ) -> None:
        """Resolve (or unresolve) the thread holding review comment `comment_id`, as `resolver_login` does
        (None: the app's bot user, as the GraphQL mutation with an installation token)."""
        with self._lock:
            root = self._thread_root(self._find_review_comment(full_name, comment_id))
            root.thread_resolved = resolved
            root.thread_resolved_by = self._author(resolver_login) if resolved else None

    def is_thread_resolved(self, full_name: str, comment_id: int) -> bool:
        """Whether the thread holding review comment `comment_id` (top-level or reply) is resolved."""
        with self._lock:
            return self._thread_root(self._find_review_comment(full_name, comment_id)).thread_resolved

    def review_thread_id(self, full_name: str, comment_id: int) -> str:
        """The global id (`PRRT_...`) of the thread holding review comment `comment_id`."""
        with self._lock:
            root = self._thread_root(self._find_review_comment(full_name, comment_id))
            return thread_id(self._repo(full_name), root)

    def review_thread(self, full_name: str, comment_id: int) -> dict[str, Any]:
        """The `thread` of a `pull_request_review_thread` webhook: its node id and its comments (REST)."""
        with self._lock:
            root = self._thread_root(self._find_review_comment(full_name, comment_id))
            comments = [root, *self._replies(root)]
            return {
                "node_id": thread_id(self._repo(full_name), root),
                "comments": [self._review_comment_json(c) for c in comments],
            }

    def review_threads(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """The pull request's threads, oldest first: `id`, `isResolved`, `isOutdated`, `path`, `line` (now,
        None when outdated), `originalLine`, `resolvedBy` (a REST login or None) and `comment_ids`."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            summaries = []
            for root, replies in self._threads(full_name, number):
                placement = self._placement(repo, pull, root)
                resolver = root.thread_resolved_by if root.thread_resolved else None
                summaries.append(
                    {
                        "id": thread_id(repo, root),
                        "isResolved": root.thread_resolved,
                        "isOutdated": placement.outdated,
                        "path": root.path,
                        "line": placement.line,
                        "originalLine": root.line,
                        "resolvedBy": resolver.login if resolver is not None else None,
                        "comment_ids": [root.id] + [reply.id for reply in replies],
                    }
                )
            return summaries

    # ----- minimized comments ------------------------------------------------------------------------

    def minimize_comment(self, full_name: str, comment_id: int, classifier: str = "OUTDATED") -> None:
        """Minimize review or issue comment `comment_id` for `classifier` (GitHub's
        ReportedContentClassifiers: SPAM, ABUSE, OFF_TOPIC, OUTDATED, DUPLICATE, RESOLVED)."""
        reason = MINIMIZED_REASONS.get(classifier)
        if reason is None:
            raise invalid_request(
                f"classifier must be one of {', '.join(MINIMIZED_REASONS)}, not {classifier!r}",
                documentation_url=_COMMENTS_DOCS,
            )
        with self._lock:
            self._any_comment(full_name, comment_id).minimized_reason = reason

    def unminimize_comment(self, full_name: str, comment_id: int) -> None:
        with self._lock:
            self._any_comment(full_name, comment_id).minimized_reason = None

    def comment_minimized(self, full_name: str, comment_id: int) -> str | None:
        """Why review or issue comment `comment_id` is minimized ("outdated", "off-topic"...), or None."""
        with self._lock:
            return self._any_comment(full_name, comment_id).minimized_reason

    # ----- GraphQL objects ---------------------------------------------------------------------------

    def locate_node(self, global_id: str) -> NodeRef | None:
        """What `global_id` names, when it exists: a thread, a review or issue comment (newer ids), or a
        pull request or repository (their REST `node_id`)."""
        with self._lock:
            newer = parse_global_id(global_id)
            if newer is not None:
                return self._locate_newer(*newer)
            legacy = parse_legacy_id(global_id)
            return self._locate_legacy(*legacy) if legacy is not None else None

    def graphql_repository(self, full_name: str) -> dict[str, Any]:
        with self._lock:
            return repository_node(self._site(), self._repo(full_name))

    def graphql_pull_request(self, full_name: str, number: int) -> dict[str, Any]:
        with self._lock:
            repo = self._repo(full_name)
            return pull_node(self._site(), repo, self._pull(repo, number))

    def graphql_review_threads(
        self, full_name: str, number: int, *, viewer_login: str | None, can_write: bool
    ) -> list[dict[str, Any]]:
        """The pull request's threads as GraphQL objects, oldest first, each with all its comments."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            pull_record = pull_node(self._site(), repo, pull)
            return [
                self._thread_node(repo, pull, pull_record, thread, viewer_login, can_write)
                for thread in self._threads(full_name, number)
            ]

    def graphql_node(self, ref: NodeRef, *, viewer_login: str | None, can_write: bool) -> dict[str, Any]:
        """The GraphQL object `ref` names (404 when it has gone since it was located)."""
        with self._lock:
            repo = self._repo(ref.full_name)
            if ref.kind == "repository":
                return repository_node(self._site(), repo)
            if ref.kind == "pull_request":
                return pull_node(self._site(), repo, self._pull(repo, ref.id))
            if ref.kind == "issue_comment":
                comment = self._find_issue_comment(ref.full_name, ref.id)
                return issue_comment_node(
                    self._site(), repo, comment, viewer_login=viewer_login, can_write=can_write
                )
            found = self._find_review_comment(ref.full_name, ref.id)
            root = self._thread_root(found)
            pull = self._pull(repo, root.number)
            pull_record = pull_node(self._site(), repo, pull)
            thread = self._thread_node(
                repo, pull, pull_record, (root, self._replies(root)), viewer_login, can_write
            )
            if ref.kind == "thread":
                return thread
            comments: list[dict[str, Any]] = thread["_comments"]
            return next(comment for comment in comments if comment["databaseId"] == found.id)

    # ----- internals ---------------------------------------------------------------------------------

    def _thread_root(self, comment: ReviewComment) -> ReviewComment:
        if comment.in_reply_to_id is None:
            return comment
        return self._comments.get(comment.in_reply_to_id, comment)

    def _replies(self, root: ReviewComment) -> list[ReviewComment]:
        return sorted((c for c in self._comments.values() if c.in_reply_to_id == root.id), key=lambda c: c.id)

    def _threads(self, full_name: str, number: int) -> list[_Thread]:
        """(top-level comment, replies) of each thread, oldest first; a reply whose top-level comment was
        deleted heads a thread of its own."""
        comments = sorted(self._review_comments_of(full_name, number), key=lambda c: c.id)
        roots = [c for c in comments if self._thread_root(c) is c]
        return [(root, self._replies(root)) for root in roots]

    def _any_comment(self, full_name: str, comment_id: int) -> ReviewComment | IssueComment:
        self._repo(full_name)
        review_comment = self._comments.get(comment_id)
        if review_comment is not None and review_comment.full_name == full_name:
            return review_comment
        return self._find_issue_comment(full_name, comment_id)

    def _repository_by_id(self, repository_id: int) -> Repository | None:
        return next((r for r in self._repositories.values() if r.id == repository_id), None)

    def _locate_newer(self, prefix: str, numbers: tuple[int, ...]) -> NodeRef | None:
        kind = _PREFIXES.get(prefix)
        if kind is None or len(numbers) != 2:
            return None
        repo = self._repository_by_id(numbers[0])
        if repo is None:
            return None
        if kind == "issue_comment":
            issue_comment = self._issue_comments.get(numbers[1])
            found = issue_comment is not None and issue_comment.full_name == repo.full_name
        else:
            comment = self._comments.get(numbers[1])
            found = comment is not None and comment.full_name == repo.full_name
            if comment is not None and kind == "thread":
                found = found and self._thread_root(comment) is comment
        return NodeRef(kind, repo.full_name, numbers[1]) if found else None

    def _locate_legacy(self, type_name: str, database_id: int) -> NodeRef | None:
        for repo in self._repositories.values():
            if type_name == "Repository" and repo.id == database_id:
                return NodeRef("repository", repo.full_name, repo.id)
            for pull in repo.pulls.values():
                if type_name == "PullRequest" and pull.id == database_id:
                    return NodeRef("pull_request", repo.full_name, pull.number)
        return None

    def _thread_node(
        self,
        repo: Repository,
        pull: Pull,
        pull_record: dict[str, Any],
        thread: _Thread,
        viewer_login: str | None,
        can_write: bool,
    ) -> dict[str, Any]:
        root, replies = thread
        placement = self._placement(repo, pull, root)
        site = self._site()
        root_node = review_comment_node(
            site,
            repo,
            root,
            placement,
            review=self._reviews.get(root.review_id),
            reply_to=None,
            viewer_login=viewer_login,
            can_write=can_write,
        )
        reply_nodes = [
            review_comment_node(
                site,
                repo,
                reply,
                placement,
                review=self._reviews.get(reply.review_id),
                reply_to=root_node,
                viewer_login=viewer_login,
                can_write=can_write,
            )
            for reply in replies
        ]
        return thread_node(
            site,
            repo,
            root,
            placement,
            comments=[root_node, *reply_nodes],
            pull=pull_record,
            can_write=can_write,
        )

    def _placement(self, repo: Repository, pull: Pull, comment: ReviewComment) -> Placement:
        """Where the comment's lines are in the pull request's diff now, or that it is outdated."""
        diff = next((d for d in self._pull_diffs(repo, pull) if d.path == comment.path), None)
        first = comment.start_line or comment.line
        start_side = comment.start_side or comment.side
        if start_side == comment.side:
            moved = self._follow(repo, pull, comment, comment.side, first, comment.line)
            if moved is None or not in_diff(diff, comment.side, moved[first], moved[comment.line]):
                return Placement.gone()
            return Placement(False, moved[comment.line], moved[first] if comment.start_line else None)
        start = self._follow(repo, pull, comment, start_side, first, first)
        end = self._follow(repo, pull, comment, comment.side, comment.line, comment.line)
        if start is None or end is None:
            return Placement.gone()
        if not (
            in_diff(diff, start_side, start[first], start[first])
            and in_diff(diff, comment.side, end[comment.line], end[comment.line])
        ):
            return Placement.gone()
        return Placement(False, end[comment.line], start[first])

    def _follow(
        self, repo: Repository, pull: Pull, comment: ReviewComment, side: Side, first: int, last: int
    ) -> dict[int, int] | None:
        """Lines `first..last` of `side` when the comment was made, as numbered in the diff now."""
        if side == "RIGHT":
            then, now = comment.commit_id, pull.head_sha
        else:
            then = self._merge_base(repo, repo.branches[pull.base_ref], comment.commit_id)
            now = self._pull_base(repo, pull)
        old = repo.commits[then].tree.get(comment.path)
        new = repo.commits[now].tree.get(comment.path)
        return follow_lines(old, new, first, last)
