"""Conversation on pull requests: issue comments, review comment replies and threads, reactions.

Methods take `author_login`: None means the app's bot user (what the app's installation token does over
HTTP); a login scripts a human. Every pull request is also an issue, so issue comments use its number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.emulator.diffing import FileDiff
from bot.emulator.errors import EmulatorError, invalid_request, not_found, unprocessable, validation_failed
from bot.emulator.model import (
    REACTION_CONTENTS,
    Account,
    CommentKind,
    IssueComment,
    Reaction,
    Review,
    ReviewComment,
)
from bot.emulator.render_discussion import issue_comment_json, reaction_json, review_comment_json
from bot.emulator.reviews import Anchor, anchor
from bot.emulator.state.core import StateCore

MAX_BODY = 65536
_ISSUE_COMMENTS_DOCS = "https://docs.github.com/rest/issues/comments"
_REVIEW_COMMENTS_DOCS = "https://docs.github.com/rest/pulls/comments"
_REACTIONS_DOCS = "https://docs.github.com/rest/reactions/reactions"


def _body(value: Any, resource: str, documentation_url: str) -> str:
    if value is None:
        raise invalid_request('"body" wasn\'t supplied.', documentation_url=documentation_url)
    if not isinstance(value, str):
        raise invalid_request(
            f"For 'properties/body', {value!r} is not a string.", documentation_url=documentation_url
        )
    if not value.strip():
        raise validation_failed(resource, "body", "missing_field", value, documentation_url=documentation_url)
    if len(value) > MAX_BODY:
        raise validation_failed(
            resource, "body", "too_long", value[:40] + "…", documentation_url=documentation_url
        )
    return value


def _anchor_one(payload: Mapping[str, Any], body: str, diffs: Mapping[str, FileDiff]) -> Anchor:
    """Anchor a lone review comment; its 422 carries error objects, unlike a whole review's strings."""
    try:
        return anchor({**payload, "body": body}, diffs)
    except EmulatorError as error:
        if error.status != 422 or not error.errors:
            raise
        raise EmulatorError(
            422,
            "Validation Failed",
            errors=[_thread_error(str(message)) for message in error.errors],
            documentation_url=_REVIEW_COMMENTS_DOCS,
        ) from error


def _thread_error(message: str) -> dict[str, str]:
    if message.startswith("Path"):
        field = "path"
    elif "start line" in message:
        field = "start_line"
    else:
        field = "line"
    return {
        "resource": "PullRequestReviewComment",
        "code": "custom",
        "field": f"pull_request_review_thread.{field}",
        "message": message,
    }


class DiscussionState(StateCore):
    """Issue comments, review comments after their review, threads and reactions."""

    # ----- issue comments --------------------------------------------------------------------------

    def issue_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            repo = self._repo(full_name)
            self._pull(repo, number)
            return [self._issue_comment_json(c) for c in self._issue_comments_of(full_name, number)]

    def create_issue_comment(
        self, full_name: str, number: int, body: Any, author_login: str | None = None
    ) -> dict[str, Any]:
        """`POST issues/{n}/comments` (the number of a pull request works: it is an issue too)."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            text = _body(body, "IssueComment", _ISSUE_COMMENTS_DOCS)
            now = self.clock()
            author = self._author(author_login)
            comment = IssueComment(
                self._next_id("issue_comment"),
                full_name,
                number,
                author,
                text,
                now,
                now,
                author_login is None,
            )
            self._issue_comments[comment.id] = comment
            pull.updated_at = now
            return self._issue_comment_json(comment)

    def add_issue_comment(self, full_name: str, number: int, body: str, user_login: str) -> dict[str, Any]:
        """A human's comment on the pull request's conversation (for scripting `/maze` commands)."""
        return self.create_issue_comment(full_name, number, body, user_login)

    def issue_comment(self, full_name: str, comment_id: int) -> dict[str, Any]:
        with self._lock:
            return self._issue_comment_json(self._find_issue_comment(full_name, comment_id))

    def update_issue_comment(self, full_name: str, comment_id: int, body: Any) -> dict[str, Any]:
        with self._lock:
            comment = self._find_issue_comment(full_name, comment_id)
            comment.body = _body(body, "IssueComment", _ISSUE_COMMENTS_DOCS)
            comment.updated_at = self.clock()
            return self._issue_comment_json(comment)

    def delete_issue_comment(self, full_name: str, comment_id: int) -> None:
        with self._lock:
            self._find_issue_comment(full_name, comment_id)
            del self._issue_comments[comment_id]
            self._drop_reactions("issue", comment_id)

    # ----- review comments -------------------------------------------------------------------------

    def review_comment(self, full_name: str, comment_id: int) -> dict[str, Any]:
        with self._lock:
            return self._review_comment_json(self._find_review_comment(full_name, comment_id))

    def update_review_comment(self, full_name: str, comment_id: int, body: Any) -> dict[str, Any]:
        with self._lock:
            comment = self._find_review_comment(full_name, comment_id)
            comment.body = _body(body, "PullRequestReviewComment", _REVIEW_COMMENTS_DOCS)
            comment.updated_at = self.clock()
            return self._review_comment_json(comment)

    def delete_review_comment(self, full_name: str, comment_id: int) -> None:
        with self._lock:
            comment = self._find_review_comment(full_name, comment_id)
            del self._comments[comment_id]
            review = self._reviews.get(comment.review_id)
            if review is not None and comment_id in review.comment_ids:
                review.comment_ids.remove(comment_id)
            self._drop_reactions("review", comment_id)

    def create_review_comment(
        self, full_name: str, number: int, payload: Mapping[str, Any], author_login: str | None = None
    ) -> dict[str, Any]:
        """`POST pulls/{n}/comments`: one comment anchored like a review's (or a reply, with `in_reply_to`).

        `commit_id` must be a commit the pull request's head has been; the anchor is checked against the
        pull request's diff at that commit. File-level comments (`subject_type: file`) are not emulated.
        """
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            if payload.get("in_reply_to") is not None:
                return self.reply_to_review_comment(
                    full_name, number, payload["in_reply_to"], payload.get("body"), author_login
                )
            text = _body(payload.get("body"), "PullRequestReviewComment", _REVIEW_COMMENTS_DOCS)
            commit_id = payload.get("commit_id")
            if not isinstance(commit_id, str):
                raise invalid_request(
                    '"commit_id" wasn\'t supplied.', documentation_url=_REVIEW_COMMENTS_DOCS
                )
            if commit_id not in pull.head_history:
                raise unprocessable(f"commit_id {commit_id} is not part of the pull request")
            diffs = {diff.path: diff for diff in self._diff(repo, self._pull_base(repo, pull), commit_id)}
            placed = _anchor_one(payload, text, diffs)
            comment = self._store_anchored(full_name, number, commit_id, placed, self._author(author_login))
            return self._review_comment_json(comment)

    def reply_to_review_comment(
        self, full_name: str, number: int, comment_id: int, body: Any, author_login: str | None = None
    ) -> dict[str, Any]:
        """`POST pulls/{n}/comments/{id}/replies`: a reply in the thread of top-level comment `comment_id`.

        GitHub's documentation says replies to replies are not supported; the emulator answers them with
        a 422 so that code passing here always replies to the thread's first comment.
        """
        with self._lock:
            parent = self._find_review_comment(full_name, comment_id)
            if parent.number != number:
                raise not_found(_REVIEW_COMMENTS_DOCS)
            if parent.in_reply_to_id is not None:
                raise invalid_request(
                    "Replies to replies are not supported: reply to the thread's top-level comment "
                    f"{parent.in_reply_to_id}.",
                    documentation_url=_REVIEW_COMMENTS_DOCS,
                )
            text = _body(body, "PullRequestReviewComment", _REVIEW_COMMENTS_DOCS)
            return self._review_comment_json(self._store_reply(parent, text, self._author(author_login)))

    def reply_as(
        self, full_name: str, number: int, comment_id: int, body: str, user_login: str
    ) -> dict[str, Any]:
        """A human's reply in a review thread (for scripting conversations with the bot)."""
        return self.reply_to_review_comment(full_name, number, comment_id, body, user_login)

    # ----- reactions -------------------------------------------------------------------------------

    def reactions(
        self, full_name: str, kind: CommentKind, comment_id: int, content: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            self._find_comment(full_name, kind, comment_id)
            site = self._site()
            return [
                reaction_json(site, reaction)
                for reaction in self._reactions_of(kind, comment_id)
                if content is None or reaction.content == content
            ]

    def create_reaction(
        self,
        full_name: str,
        kind: CommentKind,
        comment_id: int,
        content: Any,
        author_login: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """React to a comment; returns the reaction and whether it is new (201) or already there (200)."""
        with self._lock:
            self._find_comment(full_name, kind, comment_id)
            if content is None:
                raise invalid_request('"content" wasn\'t supplied.', documentation_url=_REACTIONS_DOCS)
            if content not in REACTION_CONTENTS:
                raise validation_failed(
                    "Reaction", "content", "invalid", content, documentation_url=_REACTIONS_DOCS
                )
            user = self._author(author_login)
            for existing in self._reactions_of(kind, comment_id):
                if (existing.user.login, existing.content) == (user.login, content):
                    return reaction_json(self._site(), existing), False
            reaction = Reaction(self._next_id("reaction"), kind, comment_id, user, content, self.clock())
            self._reactions[reaction.id] = reaction
            return reaction_json(self._site(), reaction), True

    def add_reaction(
        self, full_name: str, kind: CommentKind, comment_id: int, content: str, user_login: str
    ) -> dict[str, Any]:
        """A human's reaction to an issue ("issue") or review ("review") comment."""
        return self.create_reaction(full_name, kind, comment_id, content, user_login)[0]

    def delete_reaction(
        self,
        full_name: str,
        kind: CommentKind,
        comment_id: int,
        reaction_id: int,
        author_login: str | None = None,
    ) -> None:
        """Remove one's own reaction (another user's reaction is not found)."""
        with self._lock:
            self._find_comment(full_name, kind, comment_id)
            reaction = self._reactions.get(reaction_id)
            owner = self._author(author_login)
            if reaction is None or (reaction.kind, reaction.comment_id, reaction.user) != (
                kind,
                comment_id,
                owner,
            ):
                raise not_found(_REACTIONS_DOCS)
            del self._reactions[reaction_id]

    # ----- internals -------------------------------------------------------------------------------

    def _author(self, login: str | None) -> Account:
        return self._bot if login is None else self._account(login)

    def _find_issue_comment(self, full_name: str, comment_id: int) -> IssueComment:
        self._repo(full_name)
        comment = self._issue_comments.get(comment_id)
        if comment is None or comment.full_name != full_name:
            raise not_found(_ISSUE_COMMENTS_DOCS)
        return comment

    def _find_review_comment(self, full_name: str, comment_id: int) -> ReviewComment:
        self._repo(full_name)
        comment = self._comments.get(comment_id)
        if comment is None or comment.full_name != full_name:
            raise not_found(_REVIEW_COMMENTS_DOCS)
        return comment

    def _find_comment(
        self, full_name: str, kind: CommentKind, comment_id: int
    ) -> IssueComment | ReviewComment:
        if kind == "issue":
            return self._find_issue_comment(full_name, comment_id)
        if kind == "review":
            return self._find_review_comment(full_name, comment_id)
        raise EmulatorError(404)

    def _drop_reactions(self, kind: CommentKind, comment_id: int) -> None:
        for reaction in self._reactions_of(kind, comment_id):
            del self._reactions[reaction.id]

    def _issue_comment_json(self, comment: IssueComment) -> dict[str, Any]:
        repo = self._repo(comment.full_name)
        reactions = self._reactions_of("issue", comment.id)
        return issue_comment_json(self._site(), repo, comment, reactions, self._app_owner)

    def _review_comment_json(self, comment: ReviewComment) -> dict[str, Any]:
        repo = self._repo(comment.full_name)
        return review_comment_json(self._site(), repo, comment, self._reactions_of("review", comment.id))

    def _own_review(self, full_name: str, number: int, commit_id: str, author: Account, now: float) -> Review:
        """GitHub files a lone review comment (or reply) in a review of its own, state COMMENTED."""
        review = Review(self._next_id("review"), full_name, number, author, "", "COMMENTED", commit_id, now)
        self._reviews[review.id] = review
        return review

    def _store_comment(self, review: Review, comment: ReviewComment) -> ReviewComment:
        review.comment_ids.append(comment.id)
        self._comments[comment.id] = comment
        return comment

    def _store_reply(self, parent: ReviewComment, body: str, author: Account) -> ReviewComment:
        now = self.clock()
        review = self._own_review(parent.full_name, parent.number, parent.commit_id, author, now)
        reply = ReviewComment(
            self._next_id("comment"),
            review.id,
            parent.full_name,
            parent.number,
            author,
            body,
            parent.path,
            parent.commit_id,
            parent.diff_hunk,
            parent.position,
            parent.line,
            parent.side,
            parent.start_line,
            parent.start_side,
            now,
            now,
            in_reply_to_id=parent.id,
        )
        return self._store_comment(review, reply)

    def _store_anchored(
        self, full_name: str, number: int, commit_id: str, placed: Anchor, author: Account
    ) -> ReviewComment:
        now = self.clock()
        review = self._own_review(full_name, number, commit_id, author, now)
        comment = ReviewComment(
            self._next_id("comment"),
            review.id,
            full_name,
            number,
            author,
            placed.body,
            placed.path,
            commit_id,
            placed.hunk.text_through(placed.target),
            placed.target.position,
            placed.line,
            placed.side,
            placed.start_line,
            placed.start_side,
            now,
            now,
        )
        return self._store_comment(review, comment)
