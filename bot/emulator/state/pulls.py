"""Repositories, contents, pull requests and reviews as GitHub shows them, and creating reviews."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.emulator.errors import invalid_request, not_found, unprocessable
from bot.emulator.gitdata import directory_sha
from bot.emulator.model import Pull, Repository, Review, ReviewComment
from bot.emulator.render import issue_json
from bot.emulator.render_discussion import review_comment_json, review_json
from bot.emulator.render_git import content_json, directory_listing, file_json
from bot.emulator.reviews import REVIEW_EVENTS, Anchor, anchor, review_fields
from bot.emulator.state.core import StateCore

MAX_PULL_FILES = 3000
_CONTENTS_DOCS = "https://docs.github.com/rest/repos/contents#get-repository-content"
_REVIEWS_DOCS = "https://docs.github.com/rest/pulls/reviews"


class PullState(StateCore):
    """Reads of repositories and pull requests; reviews."""

    def repository(self, full_name: str) -> dict[str, Any]:
        with self._lock:
            return self._repository_json(self._repo(full_name))

    def pull_request(self, full_name: str, number: int) -> dict[str, Any]:
        with self._lock:
            repo = self._repo(full_name)
            return self._pull_json(repo, self._pull(repo, number))

    def issue(self, full_name: str, number: int) -> dict[str, Any]:
        """The issue of pull request `number` (every pull request is an issue; it has `pull_request`)."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            return issue_json(
                self._site(),
                repo,
                pull,
                comments=len(self._issue_comments_of(full_name, number)),
                reactions=[],
            )

    def pull_request_files(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """The PR's changed files as `GET pulls/{n}/files` lists them (all pages, at most 3000)."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            site = self._site()
            diffs = self._pull_diffs(repo, pull)[:MAX_PULL_FILES]
            return [file_json(site, repo, pull.head_sha, diff) for diff in diffs]

    def head_history(self, full_name: str, number: int) -> list[str]:
        """Every head SHA the pull request has had, oldest first."""
        with self._lock:
            repo = self._repo(full_name)
            return list(self._pull(repo, number).head_history)

    def contents(self, full_name: str, path: str, ref: str | None = None) -> dict[str, Any] | list[Any]:
        """`GET contents/{path}`: a file object, or a list of entries for a directory; 404 otherwise."""
        with self._lock:
            repo = self._repo(full_name)
            ref_name = ref or repo.default_branch
            commit = repo.commits[self._resolve_ref(repo, ref_name)]
            path = path.strip("/")
            if path in commit.tree:
                return content_json(self._site(), repo, ref_name, path, commit.tree[path], with_content=True)
            tree_sha = directory_sha(repo.trees, commit.tree_sha, path)
            if tree_sha is None:
                raise not_found(_CONTENTS_DOCS)
            prefix = f"{path}/" if path else ""
            files = {name: data for name, data in commit.tree.items() if _child(prefix, name)}
            directories = {
                prefix + entry.name: entry.sha for entry in repo.trees[tree_sha] if entry.type == "tree"
            }
            return directory_listing(self._site(), repo, ref_name, files, directories)

    def reviews(self, full_name: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            repo = self._repo(full_name)
            self._pull(repo, number)
            site = self._site()
            return [review_json(site, review) for review in self._reviews_of(full_name, number)]

    def review(self, full_name: str, number: int, review_id: int) -> dict[str, Any]:
        with self._lock:
            return review_json(self._site(), self._find_review(full_name, number, review_id))

    def review_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Every review comment of the pull request, replies included, oldest first."""
        with self._lock:
            repo = self._repo(full_name)
            self._pull(repo, number)
            return [self._comment_json(repo, c) for c in self._review_comments_of(full_name, number)]

    def comments_of_review(self, full_name: str, number: int, review_id: int) -> list[dict[str, Any]]:
        with self._lock:
            review = self._find_review(full_name, number, review_id)
            repo = self._repo(full_name)
            return [self._comment_json(repo, self._comments[comment_id]) for comment_id in review.comment_ids]

    def create_review(self, full_name: str, number: int, payload: Mapping[str, Any]) -> dict[str, Any]:
        """`POST pulls/{n}/reviews` by the app's bot: validates everything first and stores all or nothing."""
        with self._lock:
            repo = self._repo(full_name)
            pull = self._pull(repo, number)
            event, body, commit_id, raw_comments = review_fields(payload)
            state = REVIEW_EVENTS[event] if event else "PENDING"
            if commit_id is not None and commit_id != pull.head_sha:
                raise unprocessable(f"Commit {commit_id} is not the head of the pull request.")
            if event in ("REQUEST_CHANGES", "COMMENT") and not body and not raw_comments:
                raise unprocessable(f"Body is required for the {event} event when there are no comments.")
            if state == "PENDING" and self._pending_review(full_name, number) is not None:
                raise unprocessable("User can only have one pending review per pull request")
            diffs = {diff.path: diff for diff in self._pull_diffs(repo, pull)}
            anchors = [anchor(comment, diffs) for comment in raw_comments]
            return self._store_review(repo, pull, state, body, anchors)

    def update_review(self, full_name: str, number: int, review_id: int, body: Any) -> dict[str, Any]:
        """`PUT pulls/{n}/reviews/{id}`: replace the review's body."""
        with self._lock:
            review = self._find_review(full_name, number, review_id)
            if not isinstance(body, str):
                raise invalid_request('"body" wasn\'t supplied.')
            review.body = body
            return review_json(self._site(), review)

    # ----- internals -------------------------------------------------------------------------------

    def _comment_json(self, repo: Repository, comment: ReviewComment) -> dict[str, Any]:
        return review_comment_json(self._site(), repo, comment, self._reactions_of("review", comment.id))

    def _reviews_of(self, full_name: str, number: int) -> list[Review]:
        return [r for r in self._reviews.values() if (r.full_name, r.number) == (full_name, number)]

    def _pending_review(self, full_name: str, number: int) -> Review | None:
        return next((r for r in self._reviews_of(full_name, number) if r.state == "PENDING"), None)

    def _find_review(self, full_name: str, number: int, review_id: int) -> Review:
        self._pull(self._repo(full_name), number)
        review = self._reviews.get(review_id)
        if review is None or (review.full_name, review.number) != (full_name, number):
            raise not_found(_REVIEWS_DOCS)
        return review

    def _store_review(
        self, repo: Repository, pull: Pull, state: str, body: str, anchors: list[Anchor]
    ) -> dict[str, Any]:
        now = self.clock()
        review = Review(
            self._next_id("review"),
            repo.full_name,
            pull.number,
            self._bot,
            body,
            state,
            pull.head_sha,
            None if state == "PENDING" else now,
        )
        for placed in anchors:
            comment = ReviewComment(
                self._next_id("comment"),
                review.id,
                repo.full_name,
                pull.number,
                self._bot,
                placed.body,
                placed.path,
                pull.head_sha,
                placed.hunk.text_through(placed.target),
                placed.target.position,
                placed.line,
                placed.side,
                placed.start_line,
                placed.start_side,
                now,
                now,
            )
            self._comments[comment.id] = comment
            review.comment_ids.append(comment.id)
        self._reviews[review.id] = review
        pull.updated_at = now
        return review_json(self._site(), review)


def _child(prefix: str, path: str) -> bool:
    """Whether `path` is a file directly inside the directory `prefix` ("" for the root)."""
    return path.startswith(prefix) and "/" not in path[len(prefix) :]
