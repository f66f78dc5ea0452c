"""An installation-scoped GitHub client for the calls Maze makes."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from gidgethub import BadRequest

from bot.github.api import MazeGitHubAPI
from bot.github.connection import GitHubConnection

log = logging.getLogger("maze.github")

JSON = dict[str, Any]
T = TypeVar("T")


class GitHubAuthError(PermissionError):
    """GitHub refused the installation's credentials even after a fresh token was minted."""


class GitHubClient:
    """Calls on behalf of one installation. A 401 drops the token, mints a new one and retries once."""

    def __init__(self, connection: GitHubConnection, installation_id: int) -> None:
        self._connection = connection
        self._installation_id = installation_id
        self._api: MazeGitHubAPI | None = None

    async def _call(self, operation: Callable[[MazeGitHubAPI], Awaitable[T]]) -> T:
        for attempt in (1, 2):
            if self._api is None:
                self._api = await self._mint()
            try:
                return await operation(self._api)
            except BadRequest as error:
                if error.status_code != 401:
                    raise
                self._api = None
                await self._connection.auth.forget(self._installation_id)
                if attempt == 2:
                    raise GitHubAuthError(
                        f"installation {self._installation_id}: GitHub refused a freshly minted token "
                        f"(401 {error}); the installation may be deleted or its token revoked"
                    ) from error
                log.warning("token refused (401): installation=%s; minting a new one", self._installation_id)
        raise AssertionError("unreachable")

    async def _mint(self) -> MazeGitHubAPI:
        try:
            return await self._connection.installation_api(self._installation_id)
        except BadRequest as error:
            if error.status_code == 404:
                reason = "GitHub does not know this installation (the app was uninstalled)"
            elif error.status_code == 403:
                reason = f"GitHub refused a token (403 {error}); the installation may be suspended"
            elif error.status_code == 401:
                reason = f"GitHub refused the app's JWT (401 {error}); check the app id and private key"
            else:
                raise
            raise GitHubAuthError(f"installation {self._installation_id}: {reason}") from error

    async def back_off(self, attempt: int) -> None:
        """Sleep as the retry policy says before repeating a failed step of `attempt`."""
        await asyncio.sleep(self._connection.policy.backoff(attempt))

    async def _item(self, url: str, url_vars: dict[str, str] | None = None) -> JSON:
        return cast(JSON, await self._call(lambda gh: gh.getitem(url, url_vars or {})))

    async def _items(self, url: str, *, key: str | None = None) -> list[JSON]:
        async def collect(gh: MazeGitHubAPI) -> list[JSON]:
            return [cast(JSON, item) async for item in gh.getiter(url, iterable_key=key)]

        return await self._call(collect)

    async def repository(self, full_name: str) -> JSON:
        return await self._item(f"/repos/{full_name}")

    async def installation_repositories(self) -> list[JSON]:
        return await self._items("/installation/repositories?per_page=100", key="repositories")

    async def pull_request(self, full_name: str, number: int) -> JSON:
        return await self._item(f"/repos/{full_name}/pulls/{number}")

    async def pull_request_files(self, full_name: str, number: int) -> list[JSON]:
        return await self._items(f"/repos/{full_name}/pulls/{number}/files?per_page=100")

    async def file_content(self, full_name: str, path: str, ref: str) -> bytes | None:
        """The file's bytes at `ref`, or None when the path does not exist there."""
        try:
            item = await self._item(f"/repos/{full_name}/contents/{path}{{?ref}}", {"ref": ref})
        except BadRequest as error:
            if error.status_code == 404:
                return None
            raise
        if item.get("type") != "file":
            return None
        return base64.b64decode(str(item.get("content", "")))

    async def git_tree(self, full_name: str, tree_sha: str) -> JSON:
        """The recursive tree at a commit or tree SHA; `truncated` is true when GitHub cut it short."""
        return await self._item(f"/repos/{full_name}/git/trees/{tree_sha}?recursive=1")

    async def git_blob(self, full_name: str, blob_sha: str) -> bytes:
        item = await self._item(f"/repos/{full_name}/git/blobs/{blob_sha}")
        return base64.b64decode(str(item.get("content", "")))

    async def tarball(self, full_name: str, ref: str) -> bytes:
        """The repository's `.tar.gz` at `ref`, through GitHub's redirect to codeload."""
        return await self._call(lambda gh: gh.download(f"/repos/{full_name}/tarball/{ref}"))

    async def reviews(self, full_name: str, number: int) -> list[JSON]:
        return await self._items(f"/repos/{full_name}/pulls/{number}/reviews?per_page=100")

    async def create_review(
        self, full_name: str, number: int, *, commit_id: str, body: str, comments: list[dict[str, object]]
    ) -> JSON:
        data = {"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": comments}
        url = f"/repos/{full_name}/pulls/{number}/reviews"
        return cast(JSON, await self._call(lambda gh: gh.post(url, data=data)))

    async def update_review(self, full_name: str, number: int, review_id: int, *, body: str) -> JSON:
        url = f"/repos/{full_name}/pulls/{number}/reviews/{review_id}"
        return cast(JSON, await self._call(lambda gh: gh.put(url, data={"body": body})))

    async def minimize_comment(self, node_id: str, classifier: str = "OUTDATED") -> bool:
        """Hide a comment (GraphQL `minimizeComment`); True when GitHub reports it minimized."""
        query = (
            "mutation($id: ID!, $classifier: ReportedContentClassifiers!) {"
            " minimizeComment(input: {subjectId: $id, classifier: $classifier})"
            " { minimizedComment { isMinimized minimizedReason } } }"
        )
        endpoint = self._connection.graphql_url
        answer = await self._call(
            lambda gh: gh.graphql(query, endpoint=endpoint, id=node_id, classifier=classifier)
        )
        return bool(answer["minimizeComment"]["minimizedComment"]["isMinimized"])

    async def review_comments(self, full_name: str, number: int, review_id: int) -> list[JSON]:
        return await self._items(
            f"/repos/{full_name}/pulls/{number}/reviews/{review_id}/comments?per_page=100"
        )

    # ----- comment commands ------------------------------------------------------------------------

    async def create_reaction(self, full_name: str, kind: str, comment_id: int, content: str) -> JSON:
        """React to an issue comment (`kind` "issue") or a review comment ("review"); GitHub answers 201
        with a new reaction and 200 with the one already there."""
        area = "issues" if kind == "issue" else "pulls"
        url = f"/repos/{full_name}/{area}/comments/{comment_id}/reactions"
        return cast(JSON, await self._call(lambda gh: gh.post(url, data={"content": content})))

    async def issue_comments(self, full_name: str, number: int) -> list[JSON]:
        return await self._items(f"/repos/{full_name}/issues/{number}/comments?per_page=100")

    async def create_issue_comment(self, full_name: str, number: int, body: str) -> JSON:
        """A comment in the conversation of issue or pull request `number`."""
        url = f"/repos/{full_name}/issues/{number}/comments"
        return cast(JSON, await self._call(lambda gh: gh.post(url, data={"body": body})))

    async def pull_request_comments(self, full_name: str, number: int) -> list[JSON]:
        """Every review comment of the pull request (top-level comments and replies)."""
        return await self._items(f"/repos/{full_name}/pulls/{number}/comments?per_page=100")

    async def review_comment(self, full_name: str, comment_id: int) -> JSON:
        return await self._item(f"/repos/{full_name}/pulls/comments/{comment_id}")

    async def reply_to_review_comment(self, full_name: str, number: int, comment_id: int, body: str) -> JSON:
        """A reply in the thread of top-level review comment `comment_id` (replies to replies are refused)."""
        url = f"/repos/{full_name}/pulls/{number}/comments/{comment_id}/replies"
        return cast(JSON, await self._call(lambda gh: gh.post(url, data={"body": body})))

    async def collaborator_permission(self, full_name: str, login: str) -> JSON | None:
        """`permission` (admin, write, read, none) and `role_name` of `login` on the repository, or None
        when GitHub answers 404 (not a collaborator)."""
        try:
            return await self._item(
                f"/repos/{full_name}/collaborators/{{username}}/permission", {"username": login}
            )
        except BadRequest as error:
            if error.status_code == 404:
                return None
            raise
